"""The one exception family of releasegate, each carrying its exit code.

Exit codes are set here and nowhere else: 0 allowed/passed, 1 blocked/failed/
rollback, 2 usage or policy error, 3 inconclusive, 4 platform/provider failure.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3
EXIT_PROVIDER = 4


class ReleasegateError(Exception):
    """Base of every error releasegate reports; ``str(err)`` is the one-line message."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class UsageError(ReleasegateError):
    """A command line that cannot be carried out as given (exit 2)."""

    exit_code = EXIT_USAGE


class RefusedError(ReleasegateError):
    """A well-formed request that the rules refuse, e.g. recording a success the gate never
    allowed (exit 1, as a block)."""

    exit_code = EXIT_BLOCKED


class PolicyError(ReleasegateError):
    """The policy file is invalid; carries every problem found, one per line (exit 2)."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class EvidenceError(ReleasegateError):
    """A report file exists but cannot be read as the format it claims (exit 2)."""

    exit_code = EXIT_USAGE


class ProviderError(ReleasegateError):
    """A metric provider could not answer: network, HTTP or query error (exit 4)."""

    exit_code = EXIT_PROVIDER


class PlatformError(ReleasegateError):
    """A CI platform API call failed: auth, permission, rate limit, 5xx (exit 4)."""

    exit_code = EXIT_PROVIDER


class LedgerError(ReleasegateError):
    """The local ledger cannot be opened or written (exit 4)."""

    exit_code = EXIT_PROVIDER

"""Every outcome a decision can have, whether it is good, and its exit code (pure).

This table and :func:`exit_code` are the only place that maps outcomes to exit
codes; renderers and adapters ask :func:`is_good` instead of keeping their own
lists. ``error`` is the outcome of a command that could not decide because the
metric provider or the CI platform failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from releasegate.errors import EXIT_BLOCKED, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_PROVIDER, UsageError

__all__ = [
    "DEFAULT_FAIL_ON",
    "NONE",
    "OUTCOMES",
    "Outcome",
    "exit_code",
    "is_good",
    "parse_fail_on",
]


@dataclass(frozen=True)
class Outcome:
    """One outcome: its name, the kinds of decision that have it, whether it lets the release on,
    its exit code, and one sentence saying what it means."""

    name: str
    kinds: tuple[str, ...]
    good: bool
    exit_code: int
    meaning: str


#: Every outcome, in the order the README's table lists them.
OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome("allow", ("promotion",), True, EXIT_OK, "the build may enter the environment"),
        Outcome("block", ("promotion",), False, EXIT_BLOCKED, "a requirement is not met"),
        Outcome("pass", ("analysis", "watch", "drill"), True, EXIT_OK, "the gate or drill passed"),
        Outcome(
            "fail", ("analysis", "drill"), False, EXIT_BLOCKED, "a metric or a drill check failed"
        ),
        Outcome(
            "inconclusive",
            ("analysis", "canary", "watch"),
            False,
            EXIT_INCONCLUSIVE,
            "not enough data to decide",
        ),
        Outcome(
            "continue", ("canary",), True, EXIT_OK, "the canary step passed; the next one may start"
        ),
        Outcome("promote", ("canary",), True, EXIT_OK, "the canary finished healthy"),
        Outcome("rollback", ("canary", "watch"), False, EXIT_BLOCKED, "roll back: a gate failed"),
        Outcome("clean", ("drift",), True, EXIT_OK, "the environments are configured alike"),
        Outcome("drift", ("drift",), False, EXIT_BLOCKED, "unexpected configuration differences"),
        Outcome(
            "error",
            ("promotion", "analysis", "canary", "watch"),
            False,
            EXIT_PROVIDER,
            "no decision: the metric provider or the CI platform failed",
        ),
    )
}
#: ``--fail-on none``: no decided outcome fails (``error`` still does).
NONE = "none"
#: What an empty ``--fail-on`` means: each outcome's own exit code.
DEFAULT_FAIL_ON: frozenset[str] | None = None


def is_good(outcome: str) -> bool:
    """Whether ``outcome`` lets the release go on (an unknown outcome never does)."""
    known = OUTCOMES.get(outcome)
    return known is not None and known.good


def parse_fail_on(text: str | None, where: str = "--fail-on") -> frozenset[str] | None:
    """The outcomes ``--fail-on`` lists; ``None`` for the default (empty or unset); empty for ``none``.

    :raises UsageError: naming the unknown outcomes and the known ones.
    """
    if text is None or not text.strip():
        return DEFAULT_FAIL_ON
    names = [part.strip() for part in text.split(",")]
    if NONE in names:
        if len(names) > 1:
            raise UsageError(f"{where} {text!r}: 'none' cannot be combined with other outcomes")
        return frozenset()
    unknown = [name for name in names if name not in OUTCOMES]
    if unknown or "" in names:
        bad = ", ".join(repr(n) for n in unknown) or "an empty name"
        raise UsageError(
            f"{where} {text!r}: unknown outcome {bad}; known: {', '.join(OUTCOMES)}, or none"
        )
    return frozenset(names)


def exit_code(outcome: str, fail_on: Iterable[str] | None = DEFAULT_FAIL_ON) -> int:
    """The exit code of a decision with ``outcome``.

    Without ``fail_on``, each outcome's own code. With it, 1 for a listed outcome and 0 for
    the others; ``error`` keeps its exit code 4 either way, since nothing was decided, and an
    unknown outcome is never a pass.
    """
    known = OUTCOMES.get(outcome)
    if known is None:
        return EXIT_BLOCKED
    if fail_on is None or known.exit_code == EXIT_PROVIDER:
        return known.exit_code
    return EXIT_BLOCKED if outcome in set(fail_on) else EXIT_OK

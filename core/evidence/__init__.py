"""Evidence readers: report files in, :class:`Evidence` facts out (I/O).

A validation names its report kind and a path or glob; :func:`read_validation`
finds the files (inside the workspace only) and hands them to the reader of
that kind. No files is not an error here: it returns ``None`` and the
promotion rules call the validation ``missing``. A reader that trips over a
report shaped in a way it did not foresee still ends in an
:class:`~releasegate.errors.EvidenceError`, never in a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from releasegate.errors import EvidenceError
from releasegate.evidence.audit import AuditReader
from releasegate.evidence.coverage import CoverageReader
from releasegate.evidence.files import expand
from releasegate.evidence.junit import JUnitReader
from releasegate.evidence.model import SEVERITY_ORDER, Evidence, Finding, severity_rank, worst
from releasegate.evidence.sarif import SarifReader
from releasegate.evidence.trivy import TrivyReader
from releasegate.policy.model import Validation

__all__ = [
    "READERS",
    "SEVERITY_ORDER",
    "AuditReader",
    "CoverageReader",
    "Evidence",
    "EvidenceReader",
    "Finding",
    "JUnitReader",
    "SarifReader",
    "TrivyReader",
    "read_validation",
    "severity_rank",
    "worst",
]


class EvidenceReader(Protocol):
    """A reader of one report kind; plugins add more by ``name``."""

    name: str

    def read(self, paths: list[Path]) -> Evidence:
        """Read ``paths`` (at least one) into one :class:`Evidence`."""
        ...


#: The built-in readers by validation kind.
READERS: dict[str, type[EvidenceReader]] = {
    reader.name: reader
    for reader in (JUnitReader, CoverageReader, SarifReader, TrivyReader, AuditReader)
}


def read_validation(
    validation: Validation,
    base: Path,
    readers: dict[str, type[EvidenceReader]] | None = None,
    root: Path | None = None,
) -> Evidence | None:
    """Read the reports a validation names, relative to ``base`` (the policy's directory).

    :param root: the workspace the reports must be in (default: the git work tree holding
        ``base``, else ``base``); a file resolving outside it is refused.
    :returns: the evidence, or ``None`` when no file matches.
    :raises EvidenceError: when a file cannot be read as its kind, lies outside the workspace,
        or the kind has no reader.
    """
    table = READERS if readers is None else readers
    reader = table.get(validation.kind)
    if reader is None:
        raise EvidenceError(
            f"validation {validation.name}: no reader for {validation.kind!r} reports; "
            f"known: {', '.join(sorted(table))}"
        )
    paths = expand(validation.source, base, root)
    if not paths:
        return None
    try:
        return reader().read(paths)
    except EvidenceError:
        raise
    except (
        AttributeError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        OverflowError,
        RecursionError,
    ) as exc:
        # A reader's blind spot must block, not crash: name the file, never its content.
        raise EvidenceError(
            f"{', '.join(map(str, paths))}: not a {validation.kind} report this reader understands "
            f"({type(exc).__name__})"
        ) from exc

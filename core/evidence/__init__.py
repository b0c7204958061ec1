"""Evidence readers: report files in, :class:`Evidence` facts out (I/O).

A validation names its report kind and a path or glob; :func:`read_validation`
finds the files and hands them to the reader of that kind. No files is not an
error here: it returns ``None`` and the promotion rules call the validation
``missing``.
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
) -> Evidence | None:
    """Read the reports a validation names, relative to ``base`` (the policy's directory).

    :returns: the evidence, or ``None`` when no file matches.
    :raises EvidenceError: when a file cannot be read as its kind, or the kind has no reader.
    """
    table = READERS if readers is None else readers
    reader = table.get(validation.kind)
    if reader is None:
        raise EvidenceError(
            f"validation {validation.name}: no reader for {validation.kind!r} reports; "
            f"known: {', '.join(sorted(table))}"
        )
    paths = expand(validation.source, base)
    if not paths:
        return None
    return reader().read(paths)

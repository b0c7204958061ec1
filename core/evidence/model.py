"""Evidence: what a report file proves about a build, as named numbers (pure).

Every reader returns an :class:`Evidence`; promotion rules and criteria read
its ``facts`` (``tests.failed``, ``coverage``, ``vulnerabilities.high``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["FACTS", "SEVERITY_ORDER", "Evidence", "Finding", "severity_rank", "worst"]

#: Severities from least to most severe. ``unknown`` is a finding whose report gives no
#: severity: it is ranked above ``critical`` so that missing data never passes a ceiling.
SEVERITY_ORDER = ("none", "low", "medium", "high", "critical", "unknown")


_SEVERITY_FACTS = tuple(f"vulnerabilities.{name}" for name in SEVERITY_ORDER[1:]) + (
    "vulnerabilities.total",
)

#: The facts each validation kind's report can provide, for criteria to read (``check`` gives none).
#: ``coverage.branch*`` exist only when the report measured branches.
FACTS: dict[str, tuple[str, ...]] = {
    "junit": (
        "tests.total",
        "tests.failed",
        "tests.errors",
        "tests.skipped",
        "tests.run",
        "tests.passed",
    ),
    "coverage": (
        "coverage",
        "coverage.lines.covered",
        "coverage.lines.total",
        "coverage.branch",
        "coverage.branches.covered",
        "coverage.branches.total",
    ),
    "sarif": _SEVERITY_FACTS,
    "trivy": _SEVERITY_FACTS,
    "audit": (*_SEVERITY_FACTS, "dependencies.skipped"),
    "check": (),
}


def severity_rank(severity: str) -> int:
    """Position of ``severity`` in :data:`SEVERITY_ORDER`; unknown words rank as ``unknown``."""
    try:
        return SEVERITY_ORDER.index(severity)
    except ValueError:
        return SEVERITY_ORDER.index("unknown")


def worst(severities: Iterable[str]) -> str:
    """The most severe of ``severities``; ``none`` when there are none."""
    return max(severities, key=severity_rank, default="none")


@dataclass(frozen=True)
class Finding:
    """One security finding, kept so a decision can name what failed it.

    :param id: rule or advisory id (``CVE-2024-3651``, ``py/sql-injection``).
    :param severity: one of :data:`SEVERITY_ORDER`.
    :param where: the package or file it is in.
    """

    id: str
    severity: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.id} ({self.severity}{', ' + self.where if self.where else ''})"


@dataclass(frozen=True)
class Evidence:
    """What one validation's reports say.

    :param kind: the reader that made it: ``junit``, ``coverage``, ``sarif``, ``trivy``, ``audit``.
    :param facts: named numbers for rules and criteria.
    :param files: the files read, as given to the reader.
    :param commits: the commits the reports name (SARIF ``revisionId``...); empty when the
        format carries none.
    :param digests: image digests the reports name (``sha256:...``), e.g. from Trivy.
    :param summary: the facts in a short phrase for reasons.
    :param findings: security findings, most severe first.
    :param skipped: what the report says it could not check (dependencies pip-audit skipped).
    """

    kind: str
    facts: dict[str, float]
    files: tuple[str, ...]
    commits: tuple[str, ...] = ()
    digests: tuple[str, ...] = ()
    summary: str = ""
    findings: tuple[Finding, ...] = field(default=())
    skipped: tuple[str, ...] = ()

    @property
    def commit(self) -> str | None:
        """The one commit the reports name, or ``None`` when they name none."""
        return self.commits[0] if len(self.commits) == 1 else None

    @property
    def max_severity(self) -> str:
        """The most severe finding's severity, ``none`` when there are none."""
        return worst(finding.severity for finding in self.findings)


def severity_facts(findings: Iterable[Finding]) -> dict[str, float]:
    """``vulnerabilities.<severity>`` counts for every severity, and ``vulnerabilities.total``."""
    counts = {f"vulnerabilities.{name}": 0.0 for name in SEVERITY_ORDER if name != "none"}
    total = 0
    for finding in findings:
        if finding.severity == "none":
            continue
        counts[f"vulnerabilities.{finding.severity}"] += 1
        total += 1
    counts["vulnerabilities.total"] = float(total)
    return counts


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings most severe first, then by id, for stable reasons."""
    return tuple(sorted(findings, key=lambda f: (-severity_rank(f.severity), f.id, f.where)))


def severity_summary(findings: tuple[Finding, ...]) -> str:
    """``2 high, 1 medium`` or ``no findings``."""
    parts = []
    for name in reversed(SEVERITY_ORDER[1:]):
        count = sum(1 for f in findings if f.severity == name)
        if count:
            parts.append(f"{count} {name}")
    return ", ".join(parts) if parts else "no findings"

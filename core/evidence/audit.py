"""Dependency audit reader: pip-audit JSON and ``npm audit --json`` (versions 1 and 2) (I/O).

npm gives each advisory a severity (``moderate`` counts as medium, ``info``
as none). pip-audit's JSON carries none (its entries hold ``id``,
``fix_versions``, ``aliases`` and ``description``), and an advisory id such
as ``GHSA-...`` or ``PYSEC-...`` does not encode one; a ``severity`` on an
entry (a word, or a CVSS score as SARIF's ``security-severity``), as
enriching tools add, is used, else the finding is ``unknown`` and the
validation's ``unknown_severity`` decides (by default no ceiling tolerates it).

A report that audited nothing is an error, never "no findings": an empty
list, an npm report whose metadata does not count the dependencies it
audited, counts none or counts below zero. Dependencies pip-audit
skipped ("could not be audited") are counted (``dependencies.skipped``) and
named, and fail the validation unless it sets ``allow_skipped: true``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasegate.errors import EvidenceError
from releasegate.evidence.files import load_json
from releasegate.evidence.model import Evidence, Finding, ordered, severity_facts, severity_summary
from releasegate.evidence.sarif import score_severity

__all__ = ["AuditReader"]

_NPM = {
    "info": "none",
    "low": "low",
    "moderate": "medium",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
}


class AuditReader:
    """Reads dependency audit reports into ``vulnerabilities.*`` and ``dependencies.*`` facts."""

    name = "audit"

    def read(self, paths: Sequence[Path]) -> Evidence:
        """Read and add up every report in ``paths``.

        :raises EvidenceError: when a file is neither pip-audit nor npm audit JSON, or audited nothing.
        """
        findings: list[Finding] = []
        tools: list[str] = []
        skipped: list[str] = []
        audited = 0
        for path in paths:
            report = load_json(path, "pip-audit or npm audit JSON")
            audit = _read(path, report)
            findings.extend(audit.findings)
            skipped.extend(audit.skipped)
            audited += audit.audited
            if audit.tool not in tools:
                tools.append(audit.tool)
        ordered_findings = ordered(f for f in findings if f.severity != "none")
        facts = severity_facts(ordered_findings)
        facts["dependencies.skipped"] = float(len(skipped))
        summary = severity_summary(ordered_findings)
        if skipped:
            summary += f", {len(skipped)} dependencies not audited"
        return Evidence(
            kind=self.name,
            facts=facts,
            files=tuple(str(p) for p in paths),
            summary=f"{summary} ({', '.join(tools)})",
            findings=ordered_findings,
            skipped=tuple(skipped),
        )


class _Audit:
    def __init__(
        self, tool: str, findings: list[Finding], audited: int, skipped: list[str]
    ) -> None:
        self.tool, self.findings, self.audited, self.skipped = tool, findings, audited, skipped


def _text(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""


def _object(path: Path, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EvidenceError(f"{path}: {where} is not an object")
    return value


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _npm_total(report: dict[str, Any]) -> int | None:
    """How many dependencies npm says it audited, when the report says."""
    metadata = report.get("metadata")
    if not isinstance(metadata, dict):
        return None
    dependencies = metadata.get("dependencies")
    if isinstance(dependencies, dict):
        return _count(dependencies.get("total"))
    return _count(metadata.get("totalDependencies"))


def _read(path: Path, report: Any) -> _Audit:
    if (
        isinstance(report, dict)
        and isinstance(report.get("dependencies"), list)
        and ("auditReportVersion" in report or "advisories" in report)
    ):
        raise EvidenceError(
            f"{path}: the report is shaped as both npm audit and pip-audit JSON, so "
            f"which findings count is ambiguous; write one tool's report per file"
        )
    if isinstance(report, dict) and report.get("auditReportVersion") == 2:
        vulns = _object(path, report.get("vulnerabilities"), "vulnerabilities")
        findings = []
        for name, vuln in vulns.items():
            entry = _object(path, vuln, f"vulnerabilities.{_text(name)}")
            severity = _npm_severity(entry.get("severity"))
            findings.append(Finding(_text(entry.get("name")) or _text(name), severity, _text(name)))
        return _npm(path, "npm audit", report, findings)
    if isinstance(report, dict) and isinstance(report.get("advisories"), dict):
        findings = []
        for key, advisory in report["advisories"].items():
            entry = _object(path, advisory, f"advisories.{_text(key)}")
            severity = _npm_severity(entry.get("severity"))
            ident = entry.get("github_advisory_id") or entry.get("id") or key
            shown = (
                str(ident)[:100]
                if isinstance(ident, (str, int)) and not isinstance(ident, bool)
                else "?"
            )
            findings.append(Finding(shown, severity, _text(entry.get("module_name"))))
        return _npm(path, "npm audit v1", report, findings)
    dependencies = report.get("dependencies") if isinstance(report, dict) else report
    if isinstance(dependencies, list):
        return _pip_audit(path, dependencies)
    raise EvidenceError(
        f"{path}: neither pip-audit JSON (dependencies[].vulns) nor npm audit --json "
        f"(auditReportVersion 2 or advisories); run `pip-audit -f json` or `npm audit --json`"
    )


def _npm(path: Path, tool: str, report: dict[str, Any], findings: list[Finding]) -> _Audit:
    total = _npm_total(report)
    if total is None:
        where = (
            "metadata.dependencies.total" if tool == "npm audit" else "metadata.totalDependencies"
        )
        raise EvidenceError(
            f"{path}: npm audit report without {where}: it does not say what it "
            f"audited; write it with `npm audit --json`"
        )
    if total < 0:
        raise EvidenceError(
            f"{path}: npm audit metadata counts {total} dependencies: a count is never "
            f"negative, so the report is corrupt"
        )
    if total == 0 and not findings:
        raise EvidenceError(
            f"{path}: npm audited no dependencies (metadata counts 0): the report "
            f"proves nothing; run npm audit where the lockfile is"
        )
    return _Audit(tool, findings, total, [])


def _pip_audit(path: Path, dependencies: list[Any]) -> _Audit:
    findings: list[Finding] = []
    skipped: list[str] = []
    audited = 0
    for index, raw in enumerate(dependencies):
        dep = _object(path, raw, f"dependencies[{index}]")
        name = dep.get("name")
        if not isinstance(name, str) or not name:
            raise EvidenceError(
                f"{path}: dependencies[{index}] has no name; expected pip-audit JSON"
            )
        if "skip_reason" in dep:
            skipped.append(name[:100])
            continue
        vulns = dep.get("vulns")
        if not isinstance(vulns, list):
            raise EvidenceError(
                f"{path}: dependencies[{index}].vulns is not an array; expected pip-audit JSON"
            )
        audited += 1
        version = dep.get("version")
        where = f"{name[:100]} {_text(version)}".strip()
        for number, raw_vuln in enumerate(vulns):
            vuln = _object(path, raw_vuln, f"dependencies[{index}].vulns[{number}]")
            findings.append(
                Finding(_text(vuln.get("id")) or "?", _pip_severity(vuln.get("severity")), where)
            )
    if not audited:
        what = f"all {len(skipped)} dependencies were skipped" if skipped else "the list is empty"
        raise EvidenceError(
            f"{path}: pip-audit audited no dependency ({what}): the report proves "
            f"nothing; audit the environment or requirements that ship"
        )
    return _Audit("pip-audit", findings, audited, skipped)


def _npm_severity(value: Any) -> str:
    return _NPM.get(value, "unknown") if isinstance(value, str) else "unknown"


def _pip_severity(value: Any) -> str:
    """A severity written beside a pip-audit finding: a word, or a CVSS-like score."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _NPM:
            return _NPM[word]
        try:
            value = float(word)
        except ValueError:
            return "unknown"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 10:
        return score_severity(float(value))
    return "unknown"

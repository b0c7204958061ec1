"""Dependency audit reader: pip-audit JSON and ``npm audit --json`` (versions 1 and 2) (I/O).

npm gives each advisory a severity (``moderate`` counts as medium, ``info``
as none). pip-audit's JSON carries no severity at all, so each of its
findings is ``unknown``, which no ceiling tolerates: a vulnerable dependency
is never waved through for lack of a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasegate.errors import EvidenceError
from releasegate.evidence.files import load_json
from releasegate.evidence.model import Evidence, Finding, ordered, severity_facts, severity_summary

__all__ = ["AuditReader"]

_NPM = {"info": "none", "low": "low", "moderate": "medium", "high": "high", "critical": "critical"}


class AuditReader:
    """Reads dependency audit reports into ``vulnerabilities.*`` facts."""

    name = "audit"

    def read(self, paths: Sequence[Path]) -> Evidence:
        """Read and add up every report in ``paths``.

        :raises EvidenceError: when a file is neither pip-audit nor npm audit JSON.
        """
        findings: list[Finding] = []
        tools: list[str] = []
        for path in paths:
            report = load_json(path, "pip-audit or npm audit JSON")
            tool, found = _findings(path, report)
            findings.extend(found)
            if tool not in tools:
                tools.append(tool)
        ordered_findings = ordered(f for f in findings if f.severity != "none")
        return Evidence(
            kind=self.name,
            facts=severity_facts(ordered_findings),
            files=tuple(str(p) for p in paths),
            summary=f"{severity_summary(ordered_findings)} ({', '.join(tools)})",
            findings=ordered_findings,
        )


def _findings(path: Path, report: Any) -> tuple[str, list[Finding]]:
    if isinstance(report, dict) and report.get("auditReportVersion") == 2:
        vulns = report.get("vulnerabilities") or {}
        return "npm audit", [
            Finding(str(v.get("name", name)), _NPM.get(str(v.get("severity")), "unknown"), str(name))
            for name, v in vulns.items()
            if isinstance(v, dict)
        ]
    if isinstance(report, dict) and isinstance(report.get("advisories"), dict):
        return "npm audit v1", [
            Finding(
                str(a.get("github_advisory_id") or a.get("id") or key),
                _NPM.get(str(a.get("severity")), "unknown"),
                str(a.get("module_name", "")),
            )
            for key, a in report["advisories"].items()
            if isinstance(a, dict)
        ]
    dependencies = report.get("dependencies") if isinstance(report, dict) else report
    if isinstance(dependencies, list) and all(isinstance(d, dict) for d in dependencies):
        findings = []
        for dep in dependencies:
            if "name" not in dep:
                break
            for vuln in dep.get("vulns") or []:
                where = f"{dep['name']} {dep.get('version', '')}".strip()
                findings.append(Finding(str(vuln.get("id", "?")), "unknown", where))
        else:
            return "pip-audit", findings
    raise EvidenceError(
        f"{path}: neither pip-audit JSON (dependencies[].vulns) nor npm audit --json "
        f"(auditReportVersion 2 or advisories); run `pip-audit -f json` or `npm audit --json`"
    )

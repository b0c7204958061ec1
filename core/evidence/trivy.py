"""Trivy JSON reader (``trivy image --format json``, schema version 2) (I/O).

Vulnerabilities, failed misconfigurations and secrets count by their
``Severity``; Trivy's ``UNKNOWN`` stays unknown, which no ceiling tolerates.
The image digests in ``Metadata.RepoDigests`` and a ``Metadata.Commit``
(repository scans) name the artifact scanned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasegate.errors import EvidenceError
from releasegate.evidence.files import load_json
from releasegate.evidence.model import Evidence, Finding, ordered, severity_facts, severity_summary

__all__ = ["TrivyReader"]


class TrivyReader:
    """Reads Trivy JSON reports into ``vulnerabilities.*`` facts."""

    name = "trivy"

    def read(self, paths: Sequence[Path]) -> Evidence:
        """Read and add up every report in ``paths``.

        :raises EvidenceError: when a file is not a Trivy JSON report.
        """
        findings: list[Finding] = []
        digests: list[str] = []
        commits: list[str] = []
        for path in paths:
            report = load_json(path, "a Trivy JSON report")
            if not isinstance(report, dict) or "SchemaVersion" not in report:
                raise EvidenceError(
                    f"{path}: no SchemaVersion; expected `trivy --format json` output"
                )
            metadata = report.get("Metadata") or {}
            for digest in metadata.get("RepoDigests") or []:
                value = str(digest).rpartition("@")[2]
                if value and value not in digests:
                    digests.append(value)
            commit = metadata.get("Commit")
            if isinstance(commit, str) and commit and commit not in commits:
                commits.append(commit)
            for result in report.get("Results") or []:
                findings.extend(_result_findings(path, result))
        found = ordered(findings)
        return Evidence(
            kind=self.name,
            facts=severity_facts(found),
            files=tuple(str(p) for p in paths),
            commits=tuple(commits),
            digests=tuple(digests),
            summary=f"{severity_summary(found)} (Trivy)",
            findings=found,
        )


def _severity(value: Any) -> str:
    word = str(value or "UNKNOWN").lower()
    return word if word in ("low", "medium", "high", "critical") else "unknown"


def _result_findings(path: Path, result: Any) -> list[Finding]:
    if not isinstance(result, dict):
        raise EvidenceError(f"{path}: a Results entry is not an object")
    target = str(result.get("Target", ""))
    findings = []
    for vuln in result.get("Vulnerabilities") or []:
        where = f"{vuln.get('PkgName', '')} {vuln.get('InstalledVersion', '')}".strip() or target
        findings.append(Finding(str(vuln.get("VulnerabilityID", "?")), _severity(vuln.get("Severity")), where))
    for misconfig in result.get("Misconfigurations") or []:
        if misconfig.get("Status", "FAIL") == "FAIL":
            findings.append(Finding(str(misconfig.get("ID", "?")), _severity(misconfig.get("Severity")), target))
    for secret in result.get("Secrets") or []:
        findings.append(Finding(str(secret.get("RuleID", "secret")), _severity(secret.get("Severity")), target))
    return findings

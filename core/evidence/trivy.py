"""Trivy JSON reader (``trivy image --format json``, schema version 2) (I/O).

Vulnerabilities, failed misconfigurations and secrets count by their
``Severity``; Trivy's ``UNKNOWN`` stays unknown, which no ceiling tolerates.
The image digests in ``Metadata.RepoDigests`` and a ``Metadata.Commit``
(repository scans) name the artifact scanned.

A report without ``Results`` (Trivy leaves the key out when it found no
target: nothing was scanned), or with a result naming no ``Target``, is an
error, never "no findings". Every field
read is type-checked; a wrongly typed one is an error naming it.
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

        :raises EvidenceError: when a file is not a Trivy JSON report or scanned nothing.
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
            if report["SchemaVersion"] != 2:
                raise EvidenceError(
                    f"{path}: SchemaVersion is not 2; expected `trivy --format json` "
                    f"output of a Trivy that writes schema 2"
                )
            metadata = _typed(path, report.get("Metadata"), dict, "Metadata")
            for digest in _typed(path, metadata.get("RepoDigests"), list, "Metadata.RepoDigests"):
                if not isinstance(digest, str):
                    raise EvidenceError(
                        f"{path}: Metadata.RepoDigests holds a value that is not text"
                    )
                value = digest.rpartition("@")[2]
                if value and value not in digests:
                    digests.append(value)
            commit = metadata.get("Commit")
            if isinstance(commit, str) and commit and commit not in commits:
                commits.append(commit)
            results = _typed(path, report.get("Results"), list, "Results")
            if not results:
                raise EvidenceError(
                    f"{path}: the report has no Results: Trivy found no target to scan, so it "
                    f"proves nothing; check the image or path Trivy was given"
                )
            for index, result in enumerate(results):
                findings.extend(_result_findings(path, index, result))
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


def _typed(path: Path, value: Any, kind: type, where: str) -> Any:
    """``value`` when it is a ``kind``, an empty one when absent; else an error naming ``where``."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        noun = "an object" if kind is dict else "an array"
        raise EvidenceError(f"{path}: {where} is not {noun}")
    return value


def _severity(value: Any) -> str:
    word = value.lower() if isinstance(value, str) else "unknown"
    return word if word in ("low", "medium", "high", "critical") else "unknown"


def _text(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""


def _entries(path: Path, result: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    entries = _typed(path, result.get(key), list, f"{where}.{key}")
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise EvidenceError(f"{path}: {where}.{key}[{number}] is not an object")
    return list(entries)


def _result_findings(path: Path, index: int, result: Any) -> list[Finding]:
    where = f"Results[{index}]"
    if not isinstance(result, dict):
        raise EvidenceError(f"{path}: {where} is not an object")
    target = _text(result.get("Target"))
    if not target:
        raise EvidenceError(
            f"{path}: {where} has no Target: Trivy names what every result scanned, "
            f"so this one proves nothing"
        )
    findings = []
    for vuln in _entries(path, result, "Vulnerabilities", where):
        package = (
            f"{_text(vuln.get('PkgName'))} {_text(vuln.get('InstalledVersion'))}".strip() or target
        )
        findings.append(
            Finding(
                _text(vuln.get("VulnerabilityID")) or "?", _severity(vuln.get("Severity")), package
            )
        )
    for misconfig in _entries(path, result, "Misconfigurations", where):
        if misconfig.get("Status", "FAIL") not in ("PASS", "EXCEPTION"):
            findings.append(
                Finding(
                    _text(misconfig.get("ID")) or "?", _severity(misconfig.get("Severity")), target
                )
            )
    for secret in _entries(path, result, "Secrets", where):
        findings.append(
            Finding(
                _text(secret.get("RuleID")) or "secret", _severity(secret.get("Severity")), target
            )
        )
    return findings

"""SARIF 2.1.0 reader: Trivy, Grype, CodeQL, Semgrep and any other SARIF producer (I/O).

Severities follow GitHub code scanning: a rule's ``security-severity``
property (a CVSS-like score) gives critical (9.0 and over), high (7.0 to
8.9), medium (4.0 to 6.9) or low (below 4.0). Without a score the result's
``level`` (else the rule's ``defaultConfiguration.level``, else ``warning``)
decides: ``error`` is high, ``warning`` medium, ``note`` low, ``none`` is not
a finding. Results of a ``kind`` SARIF defines other than ``fail`` (``pass``,
``open``, ``informational``, ``notApplicable``, ``review``) and suppressed results
are not findings; an absent, null or unknown ``kind`` counts as ``fail``.
``versionControlProvenance[].revisionId`` names the commit.

A log that proves no scan ran is an error, never "no findings": no runs, a
run without a ``results`` array (SARIF: absent results mean the tool did not
produce them), or an invocation with ``executionSuccessful: false``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasegate.errors import EvidenceError
from releasegate.evidence.files import load_json
from releasegate.evidence.model import Evidence, Finding, ordered, severity_facts, severity_summary

__all__ = ["SarifReader", "level_severity", "score_severity"]

_LEVELS = {"error": "high", "warning": "medium", "note": "low", "none": "none"}
#: The result kinds SARIF defines besides ``fail`` (§3.27.9); any other value, or none, is ``fail``.
_NOT_FAILED = frozenset({"pass", "open", "informational", "notApplicable", "review"})


def score_severity(score: float) -> str:
    """GitHub code scanning's mapping of a ``security-severity`` score to a severity."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def level_severity(level: str) -> str:
    """The severity a SARIF ``level`` counts as when there is no ``security-severity``."""
    return _LEVELS.get(level, "unknown")


class SarifReader:
    """Reads SARIF 2.1.0 logs into ``vulnerabilities.*`` facts."""

    name = "sarif"

    def read(self, paths: Sequence[Path]) -> Evidence:
        """Read and add up every log in ``paths``.

        :raises EvidenceError: when a file is not a SARIF 2.1.0 log.
        """
        findings: list[Finding] = []
        commits: list[str] = []
        tools: list[str] = []
        for path in paths:
            log = load_json(path, "a SARIF 2.1.0 log")
            if not isinstance(log, dict) or not isinstance(log.get("runs"), list):
                raise EvidenceError(f"{path}: no 'runs' array; expected a SARIF 2.1.0 log")
            if log.get("version") != "2.1.0":
                raise EvidenceError(
                    f"{path}: the log's version is not '2.1.0'; ask the scanner for SARIF 2.1.0"
                )
            if not log["runs"]:
                raise EvidenceError(f"{path}: the SARIF log has no runs: nothing was scanned")
            for index, run in enumerate(log["runs"]):
                if not isinstance(run, dict):
                    raise EvidenceError(f"{path}: runs[{index}] is not an object")
                _completed(path, index, run)
                tool = _dig(run, "tool", "driver", "name")
                if isinstance(tool, str) and tool not in tools:
                    tools.append(tool)
                provenances = run.get("versionControlProvenance") or []
                for provenance in provenances if isinstance(provenances, list) else []:
                    revision = (
                        provenance.get("revisionId") if isinstance(provenance, dict) else None
                    )
                    if isinstance(revision, str) and revision and revision not in commits:
                        commits.append(revision)
                findings.extend(_run_findings(path, index, run))
        found = ordered(findings)
        return Evidence(
            kind=self.name,
            facts=severity_facts(found),
            files=tuple(str(p) for p in paths),
            commits=tuple(commits),
            summary=f"{severity_summary(found)} ({', '.join(tools) or 'SARIF'})",
            findings=found,
        )


def _completed(path: Path, index: int, run: dict[str, Any]) -> None:
    """Refuse a run that says its scan did not run or did not finish."""
    invocations = run.get("invocations", [])
    if not isinstance(invocations, list):
        raise EvidenceError(f"{path}: runs[{index}].invocations is not an array")
    for number, invocation in enumerate(invocations):
        if not isinstance(invocation, dict):
            raise EvidenceError(f"{path}: runs[{index}].invocations[{number}] is not an object")
        if invocation.get("executionSuccessful") is not True:
            raise EvidenceError(
                f"{path}: runs[{index}].invocations[{number}].executionSuccessful is not true: "
                f"the scan did not complete, so its results prove nothing"
            )
    if "results" not in run or run["results"] is None:
        raise EvidenceError(
            f"{path}: runs[{index}] has no 'results' array: the tool produced no results "
            f"(an empty array means it scanned and found nothing)"
        )


def _dig(value: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return None
            value = value[key]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
    return value


def _run_findings(path: Path, index: int, run: dict[str, Any]) -> list[Finding]:
    rules = _dig(run, "tool", "driver", "rules") or []
    extensions = _dig(run, "tool", "extensions") or []
    if not isinstance(rules, list) or not isinstance(extensions, list):
        raise EvidenceError(f"{path}: runs[{index}].tool rules or extensions are not arrays")
    by_id = {str(rule.get("id")): rule for rule in rules if isinstance(rule, dict)}
    results = run["results"]
    if not isinstance(results, list):
        raise EvidenceError(f"{path}: runs[{index}].results is not an array")
    findings = []
    for result in results:
        if not isinstance(result, dict):
            raise EvidenceError(f"{path}: runs[{index}].results has an entry that is not an object")
        if result.get("kind") in _NOT_FAILED or _suppressed(result):
            continue
        rule = _rule(result, rules, by_id, extensions)
        severity = _severity(result, rule)
        if severity == "none":
            continue
        rule_id = (
            result.get("ruleId") or _dig(result, "rule", "id") or (rule or {}).get("id") or "?"
        )
        where = _dig(result, "locations", 0, "physicalLocation", "artifactLocation", "uri") or ""
        findings.append(Finding(id=_text(rule_id), severity=severity, where=_text(where)))
    return findings


def _text(value: Any) -> str:
    """A report value shown in reasons: strings only, shortened."""
    return value[:200] if isinstance(value, str) else "?"


def _suppressed(result: dict[str, Any]) -> bool:
    suppressions = result.get("suppressions") or []
    if not isinstance(suppressions, list):
        return False
    return any(
        isinstance(s, dict) and s.get("status", "accepted") == "accepted" for s in suppressions
    )


def _rule(
    result: dict[str, Any],
    rules: list[Any],
    by_id: dict[Any, Any],
    extensions: list[Any],
) -> dict[str, Any] | None:
    component = _dig(result, "rule", "toolComponent", "index")
    rule_index = _dig(result, "rule", "index")
    if isinstance(component, int) and isinstance(rule_index, int):
        found = _dig(extensions, component, "rules", rule_index)
        return found if isinstance(found, dict) else None
    index = result.get("ruleIndex", rule_index)
    if isinstance(index, int):
        found = _dig(rules, index)
        if isinstance(found, dict):
            return found
    return by_id.get(str(result.get("ruleId") or _dig(result, "rule", "id")))


def _severity(result: dict[str, Any], rule: dict[str, Any] | None) -> str:
    for holder in (rule or {}, result):
        score = _dig(holder, "properties", "security-severity")
        if score is not None:
            if isinstance(score, bool):
                return "unknown"
            try:
                number = float(score)
            except (TypeError, ValueError, OverflowError):
                return "unknown"
            # A score that is not a number in 0..10 is no score to trust: unknown, never low.
            return score_severity(number) if 0.0 <= number <= 10.0 else "unknown"
    level = result.get("level") or _dig(rule, "defaultConfiguration", "level") or "warning"
    return level_severity(level if isinstance(level, str) else "")

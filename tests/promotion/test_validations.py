"""Validations and criteria: evidence proves, absence never passes, stale evidence is rejected."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from releasegate.evidence.model import Evidence, Finding
from releasegate.model import Subject
from releasegate.policy.model import Criterion
from releasegate.records import CheckRun

from .conftest import NOW, OTHER, SHA, coverage, decide, policy, reason, status


@pytest.mark.parametrize(
    ("percent", "expected"), [(79.99, "fail"), (80.0, "pass"), (80.01, "pass")]
)
def test_coverage_boundary(percent: float, expected: str) -> None:
    pol = policy(validations=("cov",), criteria=(Criterion("coverage >= 80"),))
    decision = decide(pol, evidence={"cov": coverage(percent)})
    assert status(decision, "validation cov") == expected
    assert status(decision, "criterion coverage >= 80") == expected
    assert decision.outcome == ("allow" if expected == "pass" else "block")


def scan(*severities: str) -> Evidence:
    findings = tuple(Finding(f"CVE-{i}", s, "pkg") for i, s in enumerate(severities))
    facts = {
        f"vulnerabilities.{s}": float(severities.count(s))
        for s in ("critical", "high", "medium", "low")
    }
    return Evidence("sarif", facts, ("scan.sarif",), findings=findings)


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        ((), "pass"),
        (("medium",), "pass"),
        (("low", "high"), "pass"),
        (("critical",), "fail"),
        (("unknown",), "fail"),
    ],
)
def test_severity_ceiling_high(severities: tuple[str, ...], expected: str) -> None:
    decision = decide(policy(validations=("scan",)), evidence={"scan": scan(*severities)})
    assert status(decision, "validation scan") == expected


def test_ceiling_failure_names_findings() -> None:
    decision = decide(policy(validations=("scan",)), evidence={"scan": scan("critical", "medium")})
    assert (
        reason(decision, "validation scan")
        == "1 finding exceeds the high ceiling: CVE-0 (critical, pkg)"
    )


def test_missing_report_is_missing_never_pass() -> None:
    decision = decide(policy(validations=("unit", "cov")))
    assert status(decision, "validation unit") == "missing"
    assert reason(decision, "validation unit").startswith("no report matches reports/*.xml")
    assert decision.outcome == "block"


def test_unreadable_report_is_an_error() -> None:
    decision = decide(
        policy(validations=("cov",)), evidence_errors={"cov": "coverage.xml:1:1: not XML"}
    )
    assert status(decision, "validation cov") == "error"
    assert decision.outcome == "block"


def test_report_for_another_commit_is_stale() -> None:
    pol = policy(validations=("cov",), criteria=(Criterion("coverage >= 80"),))
    decision = decide(pol, evidence={"cov": coverage(95.0, commits=(OTHER,))})
    assert status(decision, "validation cov") == "fail"
    assert (
        reason(decision, "validation cov")
        == "stale evidence: report is for commit 999999999999, not 3f2a9c1d4b5e"
    )
    # Stale facts do not feed criteria either.
    assert status(decision, "criterion") == "missing"


def test_report_naming_an_abbreviated_same_commit_is_fresh() -> None:
    decision = decide(
        policy(validations=("cov",)), evidence={"cov": coverage(95.0, commits=(SHA[:8],))}
    )
    assert status(decision, "validation cov") == "pass"


def test_scan_of_another_image_is_stale() -> None:
    evidence = Evidence("trivy", {}, ("t.json",), digests=("sha256:" + "a" * 64,))
    decision = decide(
        policy(validations=("scan",)),
        evidence={"scan": evidence},
        subject=Subject(sha=SHA, digest="sha256:" + "b" * 64),
    )
    assert status(decision, "validation scan") == "fail"
    assert "report scanned image sha256:aaaa" in reason(decision, "validation scan")


@pytest.mark.parametrize(
    ("total", "failed", "skipped", "expected"),
    [(2, 0, 0, "pass"), (1, 0, 0, "fail"), (3, 0, 2, "fail"), (5, 1, 0, "fail")],
)
def test_junit_rules(total: int, failed: int, skipped: int, expected: str) -> None:
    facts = {
        "tests.total": total,
        "tests.failed": failed,
        "tests.errors": 0,
        "tests.skipped": skipped,
        "tests.run": total - skipped,
    }
    evidence = Evidence("junit", {k: float(v) for k, v in facts.items()}, ("r.xml",))
    assert (
        status(
            decide(policy(validations=("unit",)), evidence={"unit": evidence}), "validation unit"
        )
        == expected
    )


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], "missing"),
        ([CheckRun(SHA, "lint", "passed", NOW)], "pass"),
        (
            [
                CheckRun(SHA, "lint", "passed", NOW - timedelta(hours=1)),
                CheckRun(SHA, "lint", "failed", NOW),
            ],
            "fail",
        ),
        ([CheckRun(OTHER, "lint", "passed", NOW)], "missing"),
        ([CheckRun(SHA, "test", "passed", NOW)], "missing"),
    ],
)
def test_check_validation(runs: list[CheckRun], expected: str) -> None:
    assert status(decide(policy(validations=("lint",)), checks=runs), "validation lint") == expected


@pytest.mark.parametrize(
    ("conclusion", "allowed", "expected"),
    [
        ("skipped", (), "fail"),
        ("neutral", (), "fail"),
        ("skipped", ("skipped",), "pass"),
        ("neutral", ("skipped",), "fail"),
        ("neutral", ("neutral", "skipped"), "pass"),
        ("failed", ("neutral", "skipped"), "fail"),
    ],
)
def test_skipped_and_neutral_checks_pass_only_when_allowed(
    conclusion: str, allowed: tuple[str, ...], expected: str
) -> None:
    pol = policy(validations=("lint",))
    lint = replace(pol.validations["lint"], allow_conclusions=allowed)
    pol = replace(pol, validations={**pol.validations, "lint": lint})
    decision = decide(pol, checks=[CheckRun(SHA, "lint", conclusion, NOW)])
    assert status(decision, "validation lint") == expected
    if expected == "fail" and conclusion != "failed":
        assert "is not a pass unless allow_conclusions lists it" in reason(
            decision, "validation lint"
        )


def test_unknown_severity_counts_as_the_policy_says() -> None:
    pol = policy(validations=("scan",))  # max_severity: high
    finding = Evidence("sarif", {}, ("scan.sarif",), findings=(Finding("PYSEC-1", "unknown"),))
    assert status(decide(pol, evidence={"scan": finding}), "validation scan") == "fail"
    for counted, expected in (("high", "pass"), ("critical", "fail")):
        scan = replace(pol.validations["scan"], unknown_severity=counted)
        lenient = replace(pol, validations={**pol.validations, "scan": scan})
        assert status(decide(lenient, evidence={"scan": finding}), "validation scan") == expected


def test_criterion_with_unknown_name_lists_what_is_available() -> None:
    pol = policy(validations=("cov",), criteria=(Criterion("vulnerabilities.critical == 0"),))
    decision = decide(pol, evidence={"cov": coverage(90.0)})
    assert status(decision, "criterion") == "missing"
    assert (
        reason(decision, "criterion")
        == "no evidence provides vulnerabilities.critical; available: coverage"
    )


def test_criteria_add_up_counts_across_reports() -> None:
    pol = policy(
        validations=("scan", "cov"),
        criteria=(
            Criterion("vulnerabilities.critical + vulnerabilities.high == 0"),
            Criterion("cov.coverage >= 90"),
        ),
    )
    decision = decide(pol, evidence={"scan": scan("high"), "cov": coverage(90.0)})
    assert status(decision, "criterion vulnerabilities") == "fail"
    assert status(decision, "criterion cov.coverage") == "pass"

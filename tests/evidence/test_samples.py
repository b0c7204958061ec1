"""Readers against samples in the published formats of Surefire, jest-junit, go-junit-report,
LCOV, JaCoCo, SARIF producers, Trivy JSON, pip-audit and npm audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasegate.errors import EvidenceError
from releasegate.evidence import (
    AuditReader,
    CoverageReader,
    JUnitReader,
    SarifReader,
    TrivyReader,
)
from releasegate.evidence.sarif import score_severity

SUREFIRE = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd" version="3.0" name="com.acme.checkout.CartTest" time="0.051" tests="4" errors="0" skipped="1" failures="0">
  <properties>
    <property name="java.version" value="17.0.9"/>
  </properties>
  <testcase name="addsLines" classname="com.acme.checkout.CartTest" time="0.01"/>
  <testcase name="flaky" classname="com.acme.checkout.CartTest" time="0.02">
    <flakyFailure message="expected 2" type="org.opentest4j.AssertionFailedError"><stackTrace>...</stackTrace></flakyFailure>
  </testcase>
  <testcase name="removes" classname="com.acme.checkout.CartTest" time="0.001"/>
  <testcase name="later" classname="com.acme.checkout.CartTest" time="0"><skipped message="disabled"/></testcase>
</testsuite>
"""

JEST = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="1" errors="0" time="1.234">
  <testsuite name="cart" errors="0" failures="1" skipped="0" timestamp="2026-03-30T08:00:00" time="0.9" tests="3">
    <testcase classname="cart adds a line" name="cart adds a line" time="0.003"></testcase>
    <testcase classname="cart removes a line" name="cart removes a line" time="0.001"></testcase>
    <testcase classname="cart totals" name="cart totals" time="0.002">
      <failure>Error: expect(received).toBe(expected)</failure>
    </testcase>
  </testsuite>
</testsuites>
"""

GO = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="0" errors="0">
\t<testsuite name="github.com/acme/checkout/cart" tests="3" failures="0" errors="0" id="0" hostname="ci" time="0.012" timestamp="2026-03-30T08:00:00Z">
\t\t<properties>
\t\t\t<property name="go.version" value="go1.22.1"></property>
\t\t</properties>
\t\t<testcase name="TestAdd" classname="github.com/acme/checkout/cart" time="0.000"></testcase>
\t\t<testcase name="TestRemove" classname="github.com/acme/checkout/cart" time="0.000"></testcase>
\t\t<testcase name="TestTotal" classname="github.com/acme/checkout/cart" time="0.010"></testcase>
\t</testsuite>
</testsuites>
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "total", "failed", "skipped", "passed"),
    [(SUREFIRE, 4, 0, 1, 3), (JEST, 3, 1, 0, 2), (GO, 3, 0, 0, 3)],
    ids=["surefire-bare-testsuite", "jest-junit", "go-junit-report"],
)
def test_junit_dialects(
    tmp_path: Path, text: str, total: int, failed: int, skipped: int, passed: int
) -> None:
    facts = JUnitReader().read([write(tmp_path, "r.xml", text)]).facts
    assert (
        facts["tests.total"],
        facts["tests.failed"],
        facts["tests.skipped"],
        facts["tests.passed"],
    ) == (total, failed, skipped, passed)


def test_junit_adds_up_files(tmp_path: Path) -> None:
    paths = [write(tmp_path, "a.xml", JEST), write(tmp_path, "b.xml", GO)]
    assert JUnitReader().read(paths).facts["tests.total"] == 6


def test_junit_names_commit_property(tmp_path: Path) -> None:
    text = GO.replace('name="go.version" value="go1.22.1"', 'name="git.commit" value="abc1234def"')
    assert JUnitReader().read([write(tmp_path, "r.xml", text)]).commits == ("abc1234def",)


LCOV = """TN:
SF:src/cart.js
FN:1,add
FNDA:3,add
FNF:1
FNH:1
DA:1,3
DA:2,3
DA:5,0
BRDA:2,0,0,3
BRDA:2,0,1,0
BRF:2
BRH:1
LF:3
LH:2
end_of_record
SF:src/pricing.js
DA:1,1
DA:2,0
LF:2
LH:1
end_of_record
"""

JACOCO = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="checkout"><sessioninfo id="ci-1" start="1711785600000" dump="1711785610000"/><package name="com/acme/checkout"><class name="com/acme/checkout/Cart" sourcefilename="Cart.java"><counter type="LINE" missed="1" covered="9"/></class><counter type="LINE" missed="20" covered="80"/></package><counter type="INSTRUCTION" missed="90" covered="410"/><counter type="BRANCH" missed="6" covered="18"/><counter type="LINE" missed="20" covered="80"/><counter type="METHOD" missed="2" covered="30"/></report>"""

ISTANBUL = {
    "total": {
        "lines": {"total": 200, "covered": 170, "skipped": 0, "pct": 85},
        "branches": {"total": 40, "covered": 30, "skipped": 0, "pct": 75},
    }
}


@pytest.mark.parametrize(
    ("name", "text", "line", "branch"),
    [
        ("lcov.info", LCOV, 60.0, 50.0),
        ("jacoco.xml", JACOCO, 80.0, 75.0),
        ("coverage-summary.json", json.dumps(ISTANBUL), 85.0, 75.0),
        (
            "cobertura.xml",
            '<coverage line-rate="0.5" branch-rate="0"><packages><package><classes>'
            '<class filename="a.py"><lines><line number="1" hits="1"/><line number="2" hits="0"/>'
            "</lines></class></classes></package></packages></coverage>",
            50.0,
            None,
        ),
    ],
)
def test_coverage_formats(
    tmp_path: Path, name: str, text: str, line: float, branch: float | None
) -> None:
    facts = CoverageReader().read([write(tmp_path, name, text)]).facts
    assert facts["coverage"] == pytest.approx(line)
    assert facts.get("coverage.branch") == (None if branch is None else pytest.approx(branch))


def sarif(results: list[dict], rules: list[dict] | None = None, **run: object) -> str:
    return json.dumps(
        {
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "Scanner", "rules": rules or []}},
                    "results": results,
                    **run,
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (10.0, "critical"),
        (9.0, "critical"),
        (8.9, "high"),
        (7.0, "high"),
        (6.9, "medium"),
        (4.0, "medium"),
        (3.9, "low"),
        (0.0, "low"),
    ],
)
def test_security_severity_mapping(score: float, severity: str) -> None:
    assert score_severity(score) == severity


def test_sarif_severity_from_rule_score_then_level(tmp_path: Path) -> None:
    rules = [
        {"id": "CVE-1", "properties": {"security-severity": "9.8"}},
        {"id": "semgrep.rule", "defaultConfiguration": {"level": "error"}},
        {"id": "style", "defaultConfiguration": {"level": "note"}},
    ]
    results = [
        {"ruleId": "CVE-1", "ruleIndex": 0, "level": "warning", "message": {"text": "x"}},
        {"ruleId": "semgrep.rule", "message": {"text": "x"}},
        {"ruleId": "style", "message": {"text": "x"}},
        {"ruleId": "plain", "message": {"text": "x"}},  # no rule, no level: warning -> medium
        {"ruleId": "plain", "level": "none", "message": {"text": "x"}},
        {"ruleId": "plain", "kind": "pass", "message": {"text": "x"}},
        {"ruleId": "CVE-1", "suppressions": [{"kind": "inSource"}], "message": {"text": "x"}},
    ]
    evidence = SarifReader().read([write(tmp_path, "r.sarif", sarif(results, rules))])
    facts = evidence.facts
    assert (
        facts["vulnerabilities.critical"],
        facts["vulnerabilities.high"],
        facts["vulnerabilities.medium"],
        facts["vulnerabilities.low"],
    ) == (1, 1, 1, 1)
    assert evidence.max_severity == "critical"


def test_sarif_codeql_extension_rules_and_commit(tmp_path: Path) -> None:
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "CodeQL", "rules": []},
                    "extensions": [
                        {
                            "name": "codeql/python-queries",
                            "rules": [
                                {
                                    "id": "py/sql-injection",
                                    "properties": {"security-severity": "8.8"},
                                }
                            ],
                        }
                    ],
                },
                "results": [
                    {
                        "ruleId": "py/sql-injection",
                        "rule": {
                            "id": "py/sql-injection",
                            "index": 0,
                            "toolComponent": {"index": 0},
                        },
                        "message": {"text": "x"},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": {"uri": "app/db.py"}}}
                        ],
                    }
                ],
                "versionControlProvenance": [
                    {
                        "repositoryUri": "https://github.com/acme/checkout",
                        "revisionId": "3f2a9c1d4b5e6f708192a3b4c5d6e7f809102132",
                    }
                ],
            }
        ],
    }
    evidence = SarifReader().read([write(tmp_path, "codeql.sarif", json.dumps(log))])
    assert evidence.facts["vulnerabilities.high"] == 1
    assert evidence.commit == "3f2a9c1d4b5e6f708192a3b4c5d6e7f809102132"
    assert str(evidence.findings[0]) == "py/sql-injection (high, app/db.py)"


def test_example_trivy_sarif() -> None:
    path = Path(__file__).parents[2] / "examples" / "checkout" / "reports" / "trivy.sarif"
    evidence = SarifReader().read([path])
    assert evidence.facts["vulnerabilities.medium"] == 1
    assert evidence.facts["vulnerabilities.low"] == 1
    assert evidence.summary == "1 medium, 1 low (Trivy)"


TRIVY_JSON = {
    "SchemaVersion": 2,
    "ArtifactName": "ghcr.io/acme/checkout:1.4.0",
    "ArtifactType": "container_image",
    "Metadata": {
        "OS": {"Family": "debian", "Name": "12.5"},
        "RepoDigests": ["ghcr.io/acme/checkout@sha256:" + "a" * 64],
    },
    "Results": [
        {
            "Target": "ghcr.io/acme/checkout:1.4.0 (debian 12.5)",
            "Class": "os-pkgs",
            "Type": "debian",
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "CVE-2024-2961",
                    "PkgName": "libc6",
                    "InstalledVersion": "2.36-9",
                    "Severity": "HIGH",
                },
                {
                    "VulnerabilityID": "CVE-2011-3374",
                    "PkgName": "apt",
                    "InstalledVersion": "2.6.1",
                    "Severity": "LOW",
                },
                {
                    "VulnerabilityID": "CVE-2099-0001",
                    "PkgName": "zlib",
                    "InstalledVersion": "1",
                    "Severity": "UNKNOWN",
                },
            ],
        },
        {
            "Target": "Dockerfile",
            "Class": "config",
            "Type": "dockerfile",
            "Misconfigurations": [
                {"ID": "DS002", "Status": "FAIL", "Severity": "HIGH"},
                {"ID": "DS026", "Status": "PASS", "Severity": "LOW"},
            ],
        },
    ],
}


def test_trivy_json(tmp_path: Path) -> None:
    evidence = TrivyReader().read([write(tmp_path, "trivy.json", json.dumps(TRIVY_JSON))])
    assert evidence.facts["vulnerabilities.high"] == 2
    assert evidence.facts["vulnerabilities.low"] == 1
    assert evidence.facts["vulnerabilities.unknown"] == 1
    assert evidence.digests == ("sha256:" + "a" * 64,)
    assert evidence.max_severity == "unknown"


NPM_V2 = {
    "auditReportVersion": 2,
    "vulnerabilities": {
        "handlebars": {
            "name": "handlebars",
            "severity": "critical",
            "isDirect": False,
            "via": [],
            "effects": [],
            "range": "<=4.7.3",
            "nodes": ["node_modules/handlebars"],
            "fixAvailable": True,
        },
        "minimist": {
            "name": "minimist",
            "severity": "moderate",
            "isDirect": False,
            "via": [],
            "effects": [],
            "range": "<0.2.1",
            "nodes": ["node_modules/minimist"],
            "fixAvailable": True,
        },
        "debug": {
            "name": "debug",
            "severity": "info",
            "isDirect": True,
            "via": [],
            "effects": [],
            "range": "*",
            "nodes": [],
            "fixAvailable": False,
        },
    },
    "metadata": {
        "vulnerabilities": {
            "info": 1,
            "low": 0,
            "moderate": 1,
            "high": 0,
            "critical": 1,
            "total": 3,
        },
        "dependencies": {
            "prod": 40,
            "dev": 2,
            "optional": 0,
            "peer": 0,
            "peerOptional": 0,
            "total": 42,
        },
    },
}
NPM_V1 = {
    "actions": [],
    "advisories": {
        "118": {
            "id": 118,
            "module_name": "minimatch",
            "severity": "high",
            "title": "Regular Expression Denial of Service",
            "findings": [{"version": "0.2.14", "paths": ["minimatch"]}],
        }
    },
    "muted": [],
    "metadata": {
        "vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 1, "critical": 0},
        "dependencies": 12,
        "devDependencies": 3,
        "optionalDependencies": 0,
        "totalDependencies": 15,
    },
}
PIP_AUDIT = {
    "dependencies": [
        {
            "name": "requests",
            "version": "2.31.0",
            "vulns": [
                {
                    "id": "GHSA-9wx4-h78v-vm56",
                    "fix_versions": ["2.32.0"],
                    "aliases": ["CVE-2024-35195"],
                    "description": "...",
                }
            ],
        },
        {"name": "idna", "version": "3.7", "vulns": []},
    ],
    "fixes": [],
}
PIP_AUDIT_LEGACY = [{"name": "idna", "version": "3.7", "vulns": []}]


@pytest.mark.parametrize(
    ("report", "counts"),
    [
        (NPM_V2, {"critical": 1, "medium": 1, "total": 2}),
        (NPM_V1, {"high": 1, "total": 1}),
        (PIP_AUDIT, {"unknown": 1, "total": 1}),
        (PIP_AUDIT_LEGACY, {"total": 0}),
    ],
    ids=["npm-v2", "npm-v1", "pip-audit", "pip-audit-legacy"],
)
def test_audit_formats(tmp_path: Path, report: object, counts: dict[str, int]) -> None:
    facts = AuditReader().read([write(tmp_path, "audit.json", json.dumps(report))]).facts
    for severity, count in counts.items():
        assert facts[f"vulnerabilities.{severity}"] == count


@pytest.mark.parametrize(
    ("reader", "name", "text", "message"),
    [
        (
            JUnitReader,
            "r.xml",
            "<testsuite><testcase>",
            "r.xml:1:22: not well-formed XML (no element found); expected JUnit XML",
        ),
        (JUnitReader, "r.xml", "<html/>", "the root element is not <testsuites> or <testsuite>"),
        (
            JUnitReader,
            "r.xml",
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            "<testsuite>&lol2;</testsuite>",
            "refusing XML with entity declarations",
        ),
        (CoverageReader, "c.xml", "<report/>", "without a LINE counter"),
        (CoverageReader, "c.json", '{"meta": {}}', "JSON without 'totals' or 'total'"),
        (CoverageReader, "c.info", "hello world\n", "c.info:1: not an LCOV line"),
        (
            CoverageReader,
            "c.json",
            '{"totals": {"covered_lines": 0, "num_statements": 0}}',
            "measured no lines",
        ),
        (SarifReader, "r.sarif", "{not json", "r.sarif:1:2: not valid JSON"),
        (
            SarifReader,
            "r.sarif",
            '{"version": "2.0.0", "runs": []}',
            "the log's version is not '2.1.0'",
        ),
        (SarifReader, "r.sarif", '{"version": "2.1.0"}', "no 'runs' array"),
        (TrivyReader, "t.json", "{}", "no SchemaVersion"),
        (AuditReader, "a.json", '{"foo": 1}', "neither pip-audit JSON"),
    ],
)
def test_corrupt_reports_are_clear_errors(
    tmp_path: Path, reader: type, name: str, text: str, message: str
) -> None:
    with pytest.raises(EvidenceError) as caught:
        reader().read([write(tmp_path, name, text)])
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)

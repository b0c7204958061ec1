"""Hostile and malformed reports through ``releasegate promote``: each row ends blocked (exit 1)
with the validation in error or failed, a one-line reason naming the file, no traceback, no pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from peers.cli import Invoke

SHA = "3f2a9c1d4b5e6f708192a3b4c5d6e7f809102132"
POLICY = """\
version: 1
validations:
  proof:
    {kind}: {file}
{extra}environments:
  - name: production
    requires:
      validations: [proof]
"""

SARIF_RUN = {"tool": {"driver": {"name": "Trivy", "rules": []}}, "results": []}


def sarif(**run: Any) -> str:
    return json.dumps({"version": "2.1.0", "runs": [{**SARIF_RUN, **run}]})


def result(**fields: Any) -> dict[str, Any]:
    return {"ruleId": "CVE-1", "message": {"text": "x"}, **fields}


TRIVY_RESULT = {"Target": "app", "Class": "os-pkgs", "Type": "alpine"}


def trivy(**report: Any) -> str:
    return json.dumps(
        {"SchemaVersion": 2, "ArtifactName": "app", "Results": [TRIVY_RESULT], **report}
    )


def pip_audit(*dependencies: Any) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


NPM_META = {"metadata": {"dependencies": {"prod": 3, "total": 3}}}
REQUESTS = {"name": "requests", "version": "2.32.0", "vulns": []}
SKIPPED = {
    "name": "internal-lib",
    "skip_reason": "Dependency not found on PyPI and could not be audited",
}

JUNIT_OK = '<testsuite tests="1"><testcase name="a"/></testsuite>'
UTF16_ENTITY = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE t [<!ENTITY x "boom">]>'
    '<testsuite><testcase name="&x;"/></testsuite>'
).encode("utf-16")
UTF16_ENTITY_COVERAGE = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE c [<!ENTITY x "1">]>'
    '<coverage lines-valid="&x;" lines-covered="1"/>'
).encode("utf-16")
PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"

# (kind, file name, content, extra validation keys, text the reason must hold)
CASES: list[tuple[str, str, str | bytes, str, str]] = [
    # SARIF that proves no scan ran
    ("sarif", "s.sarif", '{"version": "2.1.0", "runs": []}', "", "no runs: nothing was scanned"),
    (
        "sarif",
        "s.sarif",
        json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]}),
        "",
        "has no 'results' array",
    ),
    ("sarif", "s.sarif", sarif(results={}), "", "results is not an array"),
    ("sarif", "s.sarif", sarif(results=None), "", "has no 'results' array"),
    (
        "sarif",
        "s.sarif",
        sarif(invocations=[{"executionSuccessful": False}]),
        "",
        "executionSuccessful is not true",
    ),
    ("sarif", "s.sarif", sarif(invocations=[{}]), "", "executionSuccessful is not true"),
    ("sarif", "s.sarif", sarif(invocations={}), "", "invocations is not an array"),
    ("sarif", "s.sarif", sarif(results=[1]), "", "not an object"),
    (
        "sarif",
        "s.sarif",
        sarif(tool={"driver": {"name": "x", "rules": {"r": 1}}}),
        "",
        "are not arrays",
    ),
    ("sarif", "s.sarif", '{"version": "2.0.0", "runs": []}', "", "version is not '2.1.0'"),
    ("sarif", "s.sarif", '{"version": "2.1.0", "runs": [NaN]}', "", "not valid JSON"),
    ("sarif", "s.sarif", '{"version": "2.1.0", "runs": [1e999]}', "", "not valid JSON"),
    ("sarif", "s.sarif", "[" * 100000, "", "nested too deeply"),
    ("sarif", "s.sarif", "\xff\xfe garbage", "", "not valid JSON"),
    # unscorable severities are unknown, never low
    (
        "sarif",
        "s.sarif",
        sarif(results=[result(properties={"security-severity": "NaN"}, level="note")]),
        "    max_severity: medium\n",
        "CVE-1 (unknown",
    ),
    (
        "sarif",
        "s.sarif",
        sarif(results=[result(properties={"security-severity": 1e308}, level="note")]),
        "    max_severity: medium\n",
        "CVE-1 (unknown",
    ),
    (
        "sarif",
        "s.sarif",
        sarif(results=[result(properties={"security-severity": True}, level="note")]),
        "    max_severity: medium\n",
        "CVE-1 (unknown",
    ),
    # one key twice: parsers disagree on which counts, so the report is ambiguous
    (
        "sarif",
        "s.sarif",
        '{"version": "2.1.0", "runs": [{"results": [{"ruleId": "CVE-1", "level": "error"}], '
        '"results": []}]}',
        "",
        'key "results" twice',
    ),
    (
        "trivy",
        "t.json",
        '{"SchemaVersion": 2, "Results": [{"Target": "app", "Vulnerabilities": '
        '[{"VulnerabilityID": "CVE-9", "Severity": "CRITICAL"}]}], "Results": [{"Target": "app"}]}',
        "",
        'key "Results" twice',
    ),
    # a kind SARIF does not define (or null) is no reason to drop a result: absent means "fail"
    ("sarif", "s.sarif", sarif(results=[result(kind=None, level="error")]), "", "CVE-1 (high"),
    ("sarif", "s.sarif", sarif(results=[result(kind="FAIL", level="error")]), "", "CVE-1 (high"),
    ("sarif", "s.sarif", sarif(results=[result(kind="", level="error")]), "", "CVE-1 (high"),
    # Trivy that scanned nothing, or is wrongly typed
    ("trivy", "t.json", '{"SchemaVersion": 2}', "", "has no Results"),
    ("trivy", "t.json", trivy(Results=[]), "", "has no Results"),
    ("trivy", "t.json", trivy(Results={}), "", "Results is not an array"),
    ("trivy", "t.json", trivy(Results=[1]), "", "Results[0] is not an object"),
    (
        "trivy",
        "t.json",
        trivy(Results=[{**TRIVY_RESULT, "Vulnerabilities": "CVE"}]),
        "",
        "Results[0].Vulnerabilities is not an array",
    ),
    (
        "trivy",
        "t.json",
        trivy(Results=[{**TRIVY_RESULT, "Vulnerabilities": [7]}]),
        "",
        "Results[0].Vulnerabilities[0] is not an object",
    ),
    (
        "trivy",
        "t.json",
        trivy(Results=[{**TRIVY_RESULT, "Misconfigurations": [None]}]),
        "",
        "Misconfigurations[0] is not an object",
    ),
    ("trivy", "t.json", trivy(Metadata=[]), "", "Metadata is not an object"),
    (
        "trivy",
        "t.json",
        trivy(Metadata={"RepoDigests": "sha256:x"}),
        "",
        "RepoDigests is not an array",
    ),
    ("trivy", "t.json", trivy(Metadata={"RepoDigests": [5]}), "", "not text"),
    (
        "trivy",
        "t.json",
        trivy(
            Results=[
                {**TRIVY_RESULT, "Vulnerabilities": [{"VulnerabilityID": "CVE-2", "Severity": 9}]}
            ]
        ),
        "    max_severity: critical\n",
        "CVE-2 (unknown",
    ),
    ("trivy", "t.json", "{}", "", "no SchemaVersion"),
    ("trivy", "t.json", trivy(SchemaVersion="2"), "", "SchemaVersion is not 2"),
    ("trivy", "t.json", trivy(SchemaVersion=True), "", "SchemaVersion is not 2"),
    ("trivy", "t.json", trivy(Results=[{}]), "", "Results[0] has no Target"),
    (
        "trivy",
        "t.json",
        trivy(Results=[{"Target": 7, "Vulnerabilities": None}]),
        "",
        "Results[0] has no Target",
    ),
    # audits that audited nothing, skipped dependencies, wrongly typed entries
    ("audit", "a.json", "[]", "", "audited no dependency (the list is empty)"),
    ("audit", "a.json", pip_audit(), "", "audited no dependency (the list is empty)"),
    ("audit", "a.json", pip_audit(SKIPPED), "", "all 1 dependencies were skipped"),
    (
        "audit",
        "a.json",
        pip_audit(SKIPPED),
        "    allow_skipped: true\n",
        "all 1 dependencies were skipped",
    ),
    (
        "audit",
        "a.json",
        pip_audit(REQUESTS, SKIPPED),
        "",
        "1 dependencies could not be audited (internal-lib)",
    ),
    (
        "audit",
        "a.json",
        pip_audit({"name": "x", "version": "1", "vulns": "GHSA"}),
        "",
        "vulns is not an array",
    ),
    (
        "audit",
        "a.json",
        pip_audit({"name": "x", "version": "1", "vulns": [3]}),
        "",
        "vulns[0] is not an object",
    ),
    ("audit", "a.json", pip_audit({"version": "1", "vulns": []}), "", "has no name"),
    ("audit", "a.json", pip_audit(7), "", "dependencies[0] is not an object"),
    (
        "audit",
        "a.json",
        pip_audit({"name": "x", "version": "1", "vulns": [{"id": "PYSEC-1"}]}),
        "    max_severity: critical\n",
        "PYSEC-1 (unknown",
    ),
    (
        "audit",
        "a.json",
        pip_audit({"name": "x", "version": "1", "vulns": [{"id": "PYSEC-1"}]}),
        "    max_severity: medium\n    unknown_severity: high\n",
        "PYSEC-1 (unknown",
    ),
    (
        "audit",
        "a.json",
        json.dumps({"auditReportVersion": 2, "vulnerabilities": []}),
        "",
        "vulnerabilities is not an object",
    ),
    (
        "audit",
        "a.json",
        json.dumps({"auditReportVersion": 2}),
        "",
        "vulnerabilities is not an object",
    ),
    (
        "audit",
        "a.json",
        json.dumps({"auditReportVersion": 2, "vulnerabilities": {}}),
        "",
        "without metadata.dependencies.total",
    ),
    ("audit", "a.json", json.dumps({"advisories": {}}), "", "without metadata.totalDependencies"),
    (
        "audit",
        "a.json",
        json.dumps({"auditReportVersion": 2, "vulnerabilities": {"lodash": "high"}, **NPM_META}),
        "",
        "vulnerabilities.lodash is not an object",
    ),
    (
        "audit",
        "a.json",
        json.dumps(
            {
                "auditReportVersion": 2,
                "vulnerabilities": {},
                "metadata": {"dependencies": {"total": 0}},
            }
        ),
        "",
        "npm audited no dependencies",
    ),
    (
        "audit",
        "a.json",
        json.dumps({"advisories": {"1": None}, "metadata": {"totalDependencies": 3}}),
        "",
        "advisories.1 is not an object",
    ),
    (
        "audit",
        "a.json",
        json.dumps({"advisories": {}, "metadata": {"totalDependencies": 0}}),
        "",
        "npm audited no dependencies",
    ),
    (
        "audit",
        "a.json",
        json.dumps(
            {
                "auditReportVersion": 2,
                "vulnerabilities": {},
                "metadata": {"dependencies": {"total": -3}},
            }
        ),
        "",
        "counts -3",
    ),
    (
        "audit",
        "a.json",
        json.dumps({"advisories": {}, "metadata": {"totalDependencies": -1}}),
        "",
        "counts -1",
    ),
    (
        "audit",
        "a.json",
        json.dumps(
            {"auditReportVersion": 2, "vulnerabilities": {"x": {"severity": ["high"]}}, **NPM_META}
        ),
        "    max_severity: critical\n",
        "(unknown",
    ),
    ("audit", "a.json", '{"foo": 1}', "", "neither pip-audit JSON"),
    # both shapes at once: the npm half used to win and hide pip-audit's findings
    (
        "audit",
        "a.json",
        json.dumps(
            {
                "auditReportVersion": 2,
                "vulnerabilities": {},
                **NPM_META,
                "dependencies": [
                    {
                        "name": "x",
                        "version": "1",
                        "vulns": [{"id": "PYSEC-1", "severity": "critical"}],
                    }
                ],
            }
        ),
        "",
        "both npm audit and pip-audit JSON",
    ),
    (
        "audit",
        "a.json",
        json.dumps({"advisories": {}, "metadata": {"totalDependencies": 3}, "dependencies": []}),
        "",
        "both npm audit and pip-audit JSON",
    ),
    # JUnit: suite-level failures, hostile XML
    (
        "junit",
        "r.xml",
        '<testsuite tests="2" failures="1"><testcase name="a"/><testcase name="b"/></testsuite>',
        "",
        "1 failed and 0 errors",
    ),
    (
        "junit",
        "r.xml",
        '<testsuites><testsuite errors="2"><testcase name="a"/></testsuite>'
        '<testsuite errors="1"><testcase name="b"/></testsuite></testsuites>',
        "",
        "0 failed and 3 errors",
    ),
    (
        "junit",
        "r.xml",
        '<testsuite><testcase name="a"/><error message="setup failed"/></testsuite>',
        "",
        "0 failed and 1 errors",
    ),
    (
        "junit",
        "r.xml",
        '<testsuite failures="x"><testcase name="a"/></testsuite>',
        "",
        "not a whole number",
    ),
    (
        "junit",
        "r.xml",
        '<testsuite failures="1e308"><testcase name="a"/></testsuite>',
        "",
        "not a whole number",
    ),
    ("junit", "r.xml", "<testsuite/>", "", "0 tests ran, fewer than 1"),
    ("junit", "r.xml", UTF16_ENTITY, "", "refusing XML with entity declarations"),
    (
        "junit",
        "r.xml",
        "<!DOCTYPE t [<!ELEMENT t ANY>]>" + JUNIT_OK,
        "",
        "refusing XML with entity declarations",
    ),
    (
        "junit",
        "r.xml",
        '<!DOCTYPE t SYSTEM "http://127.0.0.1:9/x.dtd">'
        + JUNIT_OK.replace('tests="1"', 'failures="&ext;"'),
        "",
        "failures attribute is not a whole number",
    ),
    (
        "junit",
        "r.xml",
        '<!DOCTYPE t SYSTEM "x.dtd"><testsuite><testcase name="a">&ext;</testcase></testsuite>',
        "",
        "refusing XML with entity declarations",
    ),
    ("junit", "r.xml", "<html/>", "", "not <testsuites> or <testsuite>"),
    ("junit", "r.xml", "<testsuite><testcase>", "", "not well-formed XML"),
    # an encoding expat cannot read: Python raised LookupError past the readers ("internal error")
    (
        "junit",
        "r.xml",
        '<?xml version="1.0" encoding="nonsense-enc"?>' + JUNIT_OK,
        "",
        "declares an encoding expat cannot read",
    ),
    (
        "junit",
        "r.xml",
        b'<?xml version="1.0" encoding="UTF-7"?>' + JUNIT_OK.encode("utf-7"),
        "",
        "declares an encoding expat cannot read",
    ),
    (
        "coverage",
        "c.xml",
        '<?xml version="1.0" encoding="x-bogus"?><coverage lines-valid="1" lines-covered="1"/>',
        "",
        "declares an encoding expat cannot read",
    ),
    # coverage that cannot be true
    (
        "coverage",
        "c.xml",
        '<coverage lines-valid="10" lines-covered="100"/>',
        "",
        "100 lines covered out of 10",
    ),
    (
        "coverage",
        "c.xml",
        '<coverage lines-valid="10" lines-covered="5" branches-valid="2" branches-covered="3"/>',
        "",
        "3 branches covered out of 2",
    ),
    (
        "coverage",
        "c.xml",
        '<coverage line-rate="12" lines-valid="10" lines-covered="5"/>',
        "",
        "line-rate is outside",
    ),
    (
        "coverage",
        "c.xml",
        '<coverage lines-valid="1e308" lines-covered="1"/>',
        "",
        "not a whole number",
    ),
    (
        "coverage",
        "c.xml",
        '<coverage lines-valid="\u0663" lines-covered="1"/>',
        "",
        "lines-valid is not a number",
    ),
    ("coverage", "c.xml", '<coverage lines-valid="-5" lines-covered="-6"/>', "", "is negative"),
    ("coverage", "c.xml", UTF16_ENTITY_COVERAGE, "", "refusing XML with entity declarations"),
    (
        "coverage",
        "c.xml",
        '<report><counter type="LINE" covered="x" missed="1"/></report>',
        "",
        "LINE covered is not",
    ),
    ("coverage", "c.xml", "<report/>", "", "without a LINE counter"),
    (
        "coverage",
        "c.xml",
        '<report><counter type="LINE" missed="90" covered="10"/>'
        '<counter type="LINE" missed="0" covered="100"/></report>',
        "",
        "two top-level LINE counters",
    ),
    (
        "coverage",
        "c.xml",
        '<coverage lines-valid="10" lines-covered="9"><packages><package>',
        "",
        "not well-formed XML (no element found)",
    ),
    ("coverage", "c.xml", "<html/>", "", "root element is not <coverage>"),
    (
        "coverage",
        "c.json",
        '{"totals": {"covered_lines": 900, "num_statements": 90}}',
        "",
        "900 lines covered out of 90",
    ),
    (
        "coverage",
        "c.json",
        '{"totals": {"covered_lines": 9, "num_statements": 90, "percent_covered": 1000}}',
        "",
        "percent_covered is outside 0..100",
    ),
    (
        "coverage",
        "c.json",
        '{"totals": {"covered_lines": NaN, "num_statements": 90}}',
        "",
        "not valid JSON",
    ),
    (
        "coverage",
        "c.json",
        '{"totals": {"covered_lines": "9", "num_statements": true}}',
        "",
        "num_statements is not a number",
    ),
    (
        "coverage",
        "c.json",
        '{"total": {"lines": {"covered": 5, "total": 10, "pct": 150}}}',
        "",
        "total.lines.pct is outside",
    ),
    ("coverage", "c.json", '{"total": {"lines": [], "branches": {}}}', "", "without total.lines"),
    (
        "coverage",
        "c.json",
        '{"totals": {"covered_lines": 0, "num_statements": 0}}',
        "",
        "measured no lines",
    ),
    ("coverage", "c.info", "SF:a.py\nLF:10\nLH:11\nend_of_record\n", "", "LH is larger than LF"),
    ("coverage", "c.info", "SF:a.py\nLF:10\nend_of_record\n", "", "only one of LF and LH"),
    (
        "coverage",
        "c.info",
        "SF:a.py\nDA:1,0\nDA:2,0\nend_of_record\nSF:b.py\nLF:1\nLH:1\nend_of_record\n",
        "    min: 50\n",
        "line coverage 33.33% is below 50%",
    ),
    ("coverage", "c.info", PASSWD, "", "c.info:1: not an LCOV line"),
    ("coverage", "c.info", "SF:a.py\nDA:x\n", "", "DA needs LINE,HITS"),
]


def _id(case: tuple[str, str, str | bytes, str, str]) -> str:
    return f"{case[0]}-{case[4][:40]}"


@pytest.fixture
def promote(invoke: Invoke, tmp_path: Path):
    def run(
        kind: str, name: str, content: str | bytes, extra: str
    ) -> tuple[int, dict[str, Any], str]:
        report = tmp_path / name
        if isinstance(content, bytes):
            report.write_bytes(content)
        else:
            report.write_text(content, encoding="utf-8")
        (tmp_path / "releasegate.yml").write_text(POLICY.format(kind=kind, file=name, extra=extra))
        env = {
            "RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"),
            "RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
        code, out, err = invoke(
            "promote",
            "--to",
            "production",
            "--sha",
            SHA,
            "--dry-run",
            "--format",
            "json",
            "-c",
            tmp_path / "releasegate.yml",
            env=env,
        )
        return code, json.loads(out) if out.strip() else {}, err

    return run


@pytest.mark.parametrize(
    ("kind", "name", "content", "extra", "reason"), CASES, ids=[_id(c) for c in CASES]
)
def test_hostile_report_blocks_with_one_line_naming_the_file(
    promote, kind: str, name: str, content: str | bytes, extra: str, reason: str
) -> None:
    code, decision, err = promote(kind, name, content, extra)
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert decision["outcome"] == "block"
    [requirement] = [r for r in decision["requirements"] if r["name"] == "validation proof"]
    assert requirement["status"] in ("error", "fail")
    assert reason in requirement["reason"]
    assert "\n" not in requirement["reason"]
    if requirement["status"] == "error":
        assert name in requirement["reason"]
    assert "root:x:0" not in json.dumps(decision)


@pytest.mark.parametrize(
    ("kind", "name", "content", "extra", "reason"),
    [
        (
            "audit",
            "a.json",
            pip_audit(REQUESTS, SKIPPED),
            "    allow_skipped: true\n",
            "1 dependencies not audited, allowed by allow_skipped (internal-lib)",
        ),
        (
            "audit",
            "a.json",
            pip_audit({"name": "x", "version": "1", "vulns": [{"id": "PYSEC-1"}]}),
            "    max_severity: high\n    unknown_severity: high\n",
            "nothing above high",
        ),
        (
            "audit",
            "a.json",
            pip_audit(
                {"name": "x", "version": "1", "vulns": [{"id": "PYSEC-1", "severity": "low"}]}
            ),
            "    max_severity: low\n",
            "nothing above low",
        ),
        (
            "coverage",
            "c.info",
            "SF:a.py\nDA:1,1\nDA:2,0\nend_of_record\nSF:b.py\nLF:2\nLH:2\nend_of_record\n",
            "    min: 75\n",
            "line coverage 75.00%",
        ),
        (
            "junit",
            "r.xml",
            '<!DOCTYPE testsuite PUBLIC "-//X//DTD//EN" "junit.dtd">' + JUNIT_OK,
            "",
            "1 tests ran",
        ),
        (
            "sarif",
            "s.sarif",
            sarif(invocations=[{"executionSuccessful": True}]),
            "",
            "nothing above none",
        ),
        ("trivy", "t.json", trivy(), "", "nothing above none"),
    ],
)
def test_what_the_policy_allows_still_passes(
    promote, kind: str, name: str, content: str, extra: str, reason: str
) -> None:
    code, decision, err = promote(kind, name, content, extra)
    [requirement] = [r for r in decision["requirements"] if r["name"] == "validation proof"]
    assert (code, requirement["status"]) == (0, "pass"), requirement
    assert reason in requirement["reason"]


@pytest.mark.parametrize("where", ["symlink", "parent", "absolute"])
def test_reports_outside_the_workspace_are_refused_without_quoting_them(
    invoke: Invoke, tmp_path: Path, where: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.info"
    secret.write_text(PASSWD)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    project = repo / "service"
    project.mkdir()
    source = {
        "symlink": "link.info",
        "parent": "../../outside/secret.info",
        "absolute": str(secret),
    }[where]
    if where == "symlink":
        (project / "link.info").symlink_to(secret)
    (project / "releasegate.yml").write_text(
        POLICY.format(kind="coverage", file=json.dumps(source), extra="")
    )
    env = {
        "RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"),
        "RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    code, out, err = invoke(
        "promote",
        "--to",
        "production",
        "--sha",
        SHA,
        "--dry-run",
        "--format",
        "json",
        "-c",
        project / "releasegate.yml",
        env=env,
    )
    assert code == 1, err
    [requirement] = [r for r in json.loads(out)["requirements"] if r["name"] == "validation proof"]
    assert requirement["status"] == "error"
    assert f"resolves outside the workspace {repo}" in requirement["reason"]
    assert "root:x" not in out + err


def test_a_report_elsewhere_in_the_repository_is_read(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "r.xml").write_text(JUNIT_OK)
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "releasegate.yml").write_text(
        POLICY.format(kind="junit", file="../reports/*.xml", extra="")
    )
    env = {
        "RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"),
        "RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = invoke(
        "promote",
        "--to",
        "production",
        "--sha",
        SHA,
        "--dry-run",
        "-c",
        tmp_path / "ci" / "releasegate.yml",
        env=env,
    )
    assert result.code == 0, result

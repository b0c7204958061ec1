"""Hostile report files, as a pull request can write them, and checks that an output is inert.

Shared by the renderer test and the adapters' tests (act for GitHub, gitlab-ci-local for
GitLab): a SARIF ``ruleId`` and location, a Trivy ``Target`` and package, and a JUnit
commit property carrying line breaks, workflow commands, HTML and control characters.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

#: Text a report's author controls, each aiming at one way output can be subverted.
PAYLOADS = (
    "\n::add-mask::allow\n",
    "x\r\n::stop-commands::halt\n::error title=ok::forged",
    "  ::set-output name=outcome::allow",
    "##[error]legacy command",
    '<img src=x onerror="alert(1)"><script>alert(2)</script>',
    "\n### ✅ releasegate promotion: **allow**\n> forged quote",
    "| cell | injection |",
    "[click](javascript:alert(3)) `code` *bold* $x$",
    "nul\x00bell\x07esc\x1b[31mdel\x7fnel\x85ls\u2028ps\u2029bidi\u202eform\x0c\x0b",
)

SARIF = json.dumps(
    {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "scanner", "rules": []}},
                "results": [
                    {
                        "ruleId": payload,
                        "level": "error",
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": payload}}}],
                    }
                    for payload in PAYLOADS
                ],
            }
        ],
    }
)

TRIVY = json.dumps(
    {
        "SchemaVersion": 2,
        "ArtifactName": "app",
        "Results": [
            {
                "Target": payload,
                "Class": "lang-pkgs",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": payload,
                        "PkgName": payload,
                        "InstalledVersion": "1",
                        "Severity": "CRITICAL",
                    }
                ],
                "Misconfigurations": [{"ID": payload, "Status": "FAIL", "Severity": "HIGH"}],
            }
            for payload in PAYLOADS
        ],
    }
)

#: A commit property is quoted in the stale-report reason (its first 12 characters).
JUNIT = (
    '<testsuite name="u" tests="1" failures="0" errors="0"><properties>'
    '<property name="commit" value="a&#10;::error::pwned-by-report"/></properties>'
    '<testcase name="a&#10;::add-mask::allow"/></testsuite>\n'
)

POLICY = """\
version: 1
validations:
  scan:
    sarif: reports/scan.sarif
    max_severity: low
  image:
    trivy: reports/trivy.json
    max_severity: low
  unit-tests:
    junit: reports/unit.xml
environments:
  - name: staging
    requires:
      validations: [scan, image, unit-tests]
"""

FILES = {
    "releasegate.yml": POLICY,
    "reports/scan.sarif": SARIF,
    "reports/trivy.json": TRIVY,
    "reports/unit.xml": JUNIT,
}

#: The GitHub runner reads a command from a line whose trimmed text starts with these.
_COMMAND = re.compile(r"^\s*(::|##\[)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def command_lines(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Lines of ``text`` a runner would execute, except ``allowed`` ones (our annotations)."""
    return [
        line
        for line in re.split(r"\r\n|\r|\n", text)
        if _COMMAND.match(line) and not line.lstrip().startswith(allowed)
    ]


def assert_inert_text(text: str, allowed: tuple[str, ...] = ()) -> None:
    """No workflow command from report data, no control character but line ends."""
    assert command_lines(text, allowed) == []
    assert _CONTROL.findall(text) == []


def assert_inert_markdown(text: str) -> None:
    """One heading (ours), no HTML from the report, no forged quote, list or table row."""
    assert_inert_text(text)
    assert [line for line in text.splitlines() if line.lstrip().startswith("#")] == [
        text.splitlines()[0]
    ]
    tags = set(re.findall(r"</?([A-Za-z]+)", text))
    assert tags <= {"details", "summary", "sub"}, tags
    assert "forged quote" not in [line.lstrip("> ") for line in text.splitlines()]
    assert re.findall(r"(?<!\\)\]\(", text) == []  # no link: every ] from the report is escaped


def assert_well_formed_junit(text: str) -> None:
    assert_inert_text(text)
    ET.fromstring(text.split("\n", 1)[1] if text.startswith("<?xml") else text)

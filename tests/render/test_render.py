"""Every rendering of a Decision: text for logs, JSON, Markdown with charts, JUnit per requirement."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from xml.etree import ElementTree as ET

import pytest

from releasegate.errors import UsageError
from releasegate.model import Decision, Requirement, Series, Subject
from releasegate.render import render

WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SHA = "0123456789abcdef0123456789abcdef01234567"


def decision(**changes) -> Decision:
    base = dict(
        kind="promotion",
        outcome="block",
        reason="blocked 0123456789ab into production: 2 of 3 requirements not met",
        subject=Subject(environment="production", sha=SHA, version="1.4.0"),
        time=WHEN,
        policy_sha256="f" * 64,
        policy_path="releasegate.yml",
        requirements=(
            Requirement(
                "validation unit-tests",
                "pass",
                "120 tests ran, none failed",
                "120 tests",
                ">= 1 test",
            ),
            Requirement(
                "criterion coverage >= 80",
                "fail",
                "coverage = 79.99: does not hold",
                "79.99",
                ">= 80",
                location=(40, 11),
            ),
            Requirement("approvals release|leads", "missing", "no approval yet", None, ">= 1"),
        ),
        outputs={"outcome": "block"},
    )
    base.update(changes)
    return Decision(**base)


def test_text_has_one_line_per_requirement() -> None:
    out = render(decision(), "text")
    assert out.splitlines() == [
        "BLOCK promotion (env=production sha=0123456789ab version=1.4.0): blocked 0123456789ab into production: "
        "2 of 3 requirements not met",
        "  PASS validation unit-tests     120 tests ran, none failed [120 tests vs >= 1 test]",
        "  FAIL criterion coverage >= 80  coverage = 79.99: does not hold [79.99 vs >= 80]",
        "  MISS approvals release|leads   no approval yet [- vs >= 1]",
        "  -> outcome: block",
    ]


def test_text_puts_a_long_name_on_its_own_line() -> None:
    long = Requirement(
        "drift Deployment checkout: spec.template.spec.containers[name=app].image",
        "fail",
        "value differs",
    )
    out = render(
        decision(requirements=(long, Requirement("short", "pass", "ok"))), "text"
    ).splitlines()
    assert out[1:4] == [
        "  FAIL drift Deployment checkout: spec.template.spec.containers[name=app].image",
        "       " + " " * 36 + "  value differs",
        "  PASS short" + " " * 31 + "  ok",
    ]


def test_text_colors_only_when_asked() -> None:
    assert "\033[" not in render(decision(), "text")
    assert "\033[31mBLOCK\033[0m" in render(decision(), "text", color=True)


def test_json_is_stable_and_complete() -> None:
    body = json.loads(render(decision(break_glass="prod is down"), "json"))
    assert body["outcome"] == "block" and body["kind"] == "promotion"
    assert body["subject"] == {"environment": "production", "sha": SHA, "version": "1.4.0"}
    assert body["policy"] == {"path": "releasegate.yml", "sha256": "f" * 64}
    assert body["break_glass"] == "prod is down"
    assert body["requirements"][1] == {
        "name": "criterion coverage >= 80",
        "status": "fail",
        "observed": "79.99",
        "expected": ">= 80",
        "reason": "coverage = 79.99: does not hold",
        "line": 40,
    }


def test_markdown_table_escapes_pipes_and_shows_break_glass() -> None:
    out = render(decision(break_glass="prod is down"), "markdown")
    assert out.startswith("### ❌ releasegate promotion: **block**\n")
    assert (
        "| ✅ | validation unit-tests | 120 tests | &gt;= 1 test | 120 tests ran, none failed |"
        in out
    )
    assert "| ⚠️ | approvals release\\|leads | – | &gt;= 1 | no approval yet |" in out
    assert "**BREAK-GLASS** used: prod is down" in out
    assert "sha256 `ffffffffffff`" in out


def test_markdown_draws_a_mermaid_chart_per_series() -> None:
    series = (
        Series("canary", tuple((float(t), 0.01 * t) for t in range(5))),
        Series("baseline", tuple((float(t), None if t == 2 else 0.01) for t in range(5))),
    )
    analysis = decision(
        kind="analysis",
        outcome="fail",
        requirements=(Requirement("error-rate", "fail", "canary worse", series=series),),
    )
    out = render(analysis, "markdown")
    chart = out[out.index("```mermaid") :]
    assert chart.splitlines()[:8] == [
        "```mermaid",
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#d62728, #1f77b4"}}}}%%',
        "xychart-beta",
        '    title "error-rate"',
        '    x-axis "interval" 1 --> 5',
        '    y-axis "value" 0 --> 0.04',
        "    line [0, 0.01, 0.02, 0.03, 0.04]",
        "    line [0.01, 0.01, 0.01, 0.01, 0.01]",
    ]
    assert "<sub>red: canary · blue: baseline</sub>" in out
    assert (
        "**Worst: error-rate** (fail): canary 0.02 vs 0.01 baseline, 2× (means over the window)"
        in out
    )


def test_markdown_charts_are_zero_based_and_draw_the_threshold() -> None:
    series = (
        Series("canary", tuple((float(t), 0.045) for t in range(4))),
        Series("baseline", tuple((float(t), 0.005) for t in range(4))),
    )
    analysis = decision(
        kind="analysis",
        outcome="fail",
        requirements=(
            Requirement(
                "metric error-rate",
                "fail",
                "canary worse",
                observed="0.045",
                expected="not > 0.02",
                series=series,
            ),
        ),
    )
    out = render(analysis, "markdown")
    assert (
        "**Worst: error-rate** (fail): canary 0.045 vs 0.005 baseline, 9× (means over the window)"
        in out
    )
    assert '    y-axis "value" 0 --> 0.045' in out
    assert "    line [0.02, 0.02, 0.02, 0.02]" in out
    assert "<sub>red: canary · blue: baseline · grey: threshold 0.02</sub>" in out


def _metric(
    status: str,
    canary: list[float | None],
    baseline: list[float | None] | None = None,
    observed: str | None = "CUSUM 11.2",
) -> Requirement:
    times = [1767225600.0 + 60 * i for i in range(len(canary))]
    details: dict[str, object] = {
        "canary": [[t, v] for t, v in zip(times, canary, strict=True)],
        "baseline": [[t, v] for t, v in zip(times, baseline or [], strict=False)],
    }
    return Requirement(
        "metric error-rate",
        status,
        "why",
        observed=observed,
        expected="not > 0.05",
        details=details,
    )


def _row(out: str) -> str:
    return next(line for line in out.splitlines() if "metric error-rate" in line)


def test_markdown_metric_rows_show_the_values_then_the_statistic() -> None:
    row = _row(
        render(
            decision(
                kind="analysis",
                outcome="fail",
                requirements=(_metric("fail", [0.01, 0.045, 0.09], [0.01, 0.01, 0.01]),),
            ),
            "markdown",
        )
    )
    assert row == (
        "| ❌ | metric error-rate | canary **0.09** vs baseline 0.01 (interval to 00:02:00Z; "
        "3 intervals of 1m) · statistic CUSUM 11.2 | not &gt; 0.05 | why |"
    )


@pytest.mark.parametrize("status", ["pass", "inconclusive", "error"])
def test_markdown_shows_no_data_as_such_never_as_a_pass(status: str) -> None:
    row = _row(
        render(
            decision(
                kind="analysis",
                outcome="pass",
                requirements=(_metric(status, [None, None], observed=None),),
            ),
            "markdown",
        )
    )
    assert row.startswith(
        f"| {'❔' if status != 'error' else '🛑'} | metric error-rate | **no data** | "
    )
    assert "✅" not in row


def test_markdown_names_the_interval_without_data_and_the_last_value_seen() -> None:
    row = _row(
        render(
            decision(
                kind="analysis", outcome="pass", requirements=(_metric("pass", [0.01, None]),)
            ),
            "markdown",
        )
    )
    assert (
        "**no data** at 00:01:00Z (last value 0.01 at 00:00:00Z) (interval to 00:01:00Z; 2 intervals of 1m)"
        " · statistic CUSUM 11.2"
    ) in row


def test_markdown_thins_long_series() -> None:
    series = (Series("canary", tuple((float(t), float(t)) for t in range(600))),)
    out = render(
        decision(requirements=(Requirement("m", "pass", "ok", series=series),)), "markdown"
    )
    line = next(row for row in out.splitlines() if row.startswith("    line ["))
    assert len(line.split(",")) <= 60


def test_junit_has_one_case_per_requirement() -> None:
    root = ET.fromstring(render(decision(), "junit"))
    suite = root.find("testsuite")
    assert (root.tag, suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        "testsuites",
        "3",
        "2",
        "0",
    )
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "validation unit-tests",
        "criterion coverage >= 80",
        "approvals release|leads",
    ]
    assert cases[0].find("failure") is None
    assert (
        cases[1].find("failure").get("message")
        == "coverage = 79.99: does not hold (observed 79.99, expected >= 80)"
    )
    assert cases[2].find("failure").get("type") == "missing"
    assert {p.get("name"): p.get("value") for p in suite.find("properties")}["outcome"] == "block"


def test_junit_without_requirements_still_fails_a_failing_decision() -> None:
    root = ET.fromstring(render(decision(requirements=()), "junit"))
    assert root.find("testsuite/testcase/failure").get("type") == "block"


def test_unknown_format() -> None:
    with pytest.raises(
        UsageError, match="unknown format 'yaml'; expected one of text, json, markdown, junit"
    ):
        render(decision(), "yaml")


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        ("allow", 0),
        ("pass", 0),
        ("promote", 0),
        ("continue", 0),
        ("clean", 0),
        ("block", 1),
        ("fail", 1),
        ("rollback", 1),
        ("drift", 1),
        ("inconclusive", 3),
    ],
)
def test_exit_code_per_outcome(outcome: str, code: int) -> None:
    assert decision(outcome=outcome).exit_code == code


@pytest.mark.parametrize(
    ("observed", "expected", "tail"),
    [
        (None, "> 0.05", " (expected > 0.05)"),
        ("0.2", None, " (observed 0.2)"),
        (None, None, ""),
    ],
)
def test_junit_messages_name_only_what_is_known_never_none(
    observed: str | None, expected: str | None, tail: str
) -> None:
    requirement = Requirement(
        name="metric error-rate",
        status="fail",
        observed=observed,
        expected=expected,
        reason="no data",
    )
    root = ET.fromstring(render(decision(requirements=(requirement,)), "junit"))
    message = root.find("testsuite/testcase/failure").get("message")
    assert message == "no data" + tail and "None" not in message

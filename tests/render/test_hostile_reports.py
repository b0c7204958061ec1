"""Hostile report text through every renderer: ``promote`` reads SARIF, Trivy and JUnit files
whose names carry line breaks, workflow commands, HTML and control characters, and each
format's output (stdout, ``--output``) is inert."""

from __future__ import annotations

import json

import pytest
from render.hostile import (
    FILES,
    assert_inert_markdown,
    assert_inert_text,
    assert_well_formed_junit,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit"])
def test_every_format_is_inert_whatever_the_reports_hold(
    releasegate_cli, workspace, fmt: str
) -> None:
    result = releasegate_cli(
        "promote", "--to", "staging", "--sha", SHA, "--format", fmt, "--output", "decision.json"
    )

    assert result.exit_code == 1, result.stderr  # blocked: the findings exceed the ceiling
    assert_inert_text(result.stderr)
    {
        "text": assert_inert_text,
        "json": assert_inert_text,
        "markdown": assert_inert_markdown,
        "junit": assert_well_formed_junit,
    }[fmt](result.stdout)
    body = json.loads((workspace / "decision.json").read_text(encoding="utf-8"))
    assert body["outcome"] == "block"
    reasons = " ".join(r["reason"] for r in body["requirements"])
    assert "::add-mask::allow" in reasons  # still shown, but inside a line: not a command
    assert "report is for commit a ::error::p, not 0123456789ab" in reasons
    assert "\n" not in reasons


def test_the_sanitiser_keeps_ordinary_text_as_it_is() -> None:
    from releasegate.render.sanitize import markdown, one_line, xml_text

    text = "error-rate failed 3 > failure_limit 2 (p99 0.21s, CVE-2024-1234 in openssl 3.0.2)"
    assert one_line(text) == text
    assert xml_text(text) == text
    assert markdown("coverage 79.5 % below 80") == "coverage 79.5 % below 80"


def test_no_link_of_any_form_comes_from_report_text() -> None:
    """A ``[x]: url`` definition quoted at a line's start (the reason, as ``> ...``) would
    turn a ``[x]`` elsewhere into a link, invisibly; GFM also links bare URLs and ``www.``.
    (Checked against GitHub's renderer, cmark-gfm: the output below shows no link.)"""
    import re
    from datetime import datetime, timezone

    from releasegate.model import Decision, Requirement, Subject
    from releasegate.render import render
    from releasegate.render.sanitize import sanitize

    hostile = (
        "[x]: https://evil.example/a",
        "[x]",
        "[x][x] see HTTPS://evil.example/b or www.evil.example",
        "![i](https://evil.example/i.png) [c](javascript:alert(1))",
    )
    decision = Decision(
        kind="promotion",
        outcome="block",
        reason=hostile[0],
        subject=Subject(environment="staging"),
        time=datetime(2026, 1, 1, tzinfo=timezone.utc),
        requirements=tuple(
            Requirement(name=h, status="fail", reason=h, observed=h, expected=h) for h in hostile
        ),
    )

    text = render(sanitize(decision), "markdown")

    assert "> \\[x]: https\\://evil.example/a" in text
    assert re.findall(r"(?<!\\)\[", text) == []  # no link, image or definition can open
    assert re.findall(r"(?<!\\)://|(?<![\\A-Za-z0-9.])www\.", text) == []  # no autolink

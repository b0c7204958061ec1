"""Hostile report text through the composite action under act: the runner executes no
workflow command from a report (no ``::add-mask::``, ``::stop-commands::``...), the
step summary carries no HTML or forged heading, and the outputs are what was decided.

GitHub's API is the local ``github_fake``; the check run's summary is the same Markdown.
"""

from __future__ import annotations

import re

import pytest
from render.hostile import FILES, assert_inert_markdown, command_lines

from github_actions.payloads import AUTH

pytestmark = pytest.mark.peer("act")

#: Our own workflow commands: annotations, groups and the masks of the action's secrets.
OURS = (
    "::error title=releasegate",
    "::warning title=releasegate",
    "::notice title=releasegate",
    "::group::",
    "::endgroup::",
    "::add-mask::***",
)


def test_a_promotion_over_hostile_reports_runs_no_command_from_them(
    action_workspace, run_action, github_fake
):
    ws, sha = action_workspace(FILES)
    github_fake.expect(
        "GET",
        "/repos/acme/app/deployments",
        query={"environment": "staging", "per_page": "100"},
        headers=AUTH,
    ).respond(json=[])
    seen: list[dict] = []

    def summary(body: dict) -> bool:
        seen.append(body)
        return body["conclusion"] == "failure"

    github_fake.expect("POST", "/repos/acme/app/check-runs", headers=AUTH, json=summary).respond(
        201, json={"id": 7}
    )

    result = run_action(ws, command="promote", environment="staging", api=github_fake)

    assert result.conclusion == "failure", result.log
    assert result.outputs["outcome"] == "block"
    assert "\n" not in result.outputs["reason"]
    # act prints each line of the step as "[workflow/job]   | <line>": look at what the step wrote.
    step_lines = [
        re.sub(r"^\[[^\]]*\]\s+\|\s?", "", line) for line in result.log.splitlines() if "|" in line
    ]
    assert command_lines("\n".join(step_lines), OURS) == []
    # Lines act executed as commands are shown with a marker (⚙, ❗...) instead of "|".
    executed = [
        line for line in result.log.splitlines() if re.match(r"^\[[^\]]*\]\s+\S+\s+::", line)
    ]
    assert executed and all(
        "title=releasegate" in line or "::set-output::" in line for line in executed
    ), executed
    assert_inert_markdown(result.summary)
    assert seen and "<img" not in seen[0]["output"]["summary"]

"""The action's publishing inputs: fail-on (and the check run's conclusion), check-run, summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from github_actions.payloads import SHA
from releasegate.adapters.github_actions import launch

POLICY = "version: 1\nenvironments:\n  - name: staging\n  - name: production\n    requires:\n      from: staging\n"


def _promote(tmp_path: Path, github_env, standin, **extra: str) -> tuple[int, Path]:
    (tmp_path / "releasegate.yml").write_text(POLICY)
    env = github_env(
        standin,
        RELEASEGATE_COMMAND="promote",
        RELEASEGATE_ENVIRONMENT="production",
        RELEASEGATE_CONFIG=str(tmp_path / "releasegate.yml"),
        RUNNER_TEMP=str(tmp_path),
        **extra,
    )
    return launch.main(env=env, stdout=io.StringIO()), Path(env["GITHUB_STEP_SUMMARY"])


@pytest.mark.parametrize(
    ("fail_on", "code", "conclusion"),
    [
        ("", 1, "failure"),  # the CLI's own exit codes
        ("block,fail,rollback", 1, "failure"),  # the action's default
        ("none", 0, "neutral"),  # never fails: never a red check either
        ("fail", 0, "neutral"),
    ],
)
def test_a_blocked_promotion_posts_a_failing_check_run_only_when_it_fails_the_step(
    tmp_path, github_env, github_standin, fail_on, code, conclusion
):
    extra = {"RELEASEGATE_FAIL_ON": fail_on} if fail_on else {}

    got, _ = _promote(tmp_path, github_env, github_standin, **extra)  # never deployed to staging

    assert got == code
    assert [p["conclusion"] for p in github_standin.check_run_posts] == [conclusion]


def test_an_allowed_promotion_is_a_successful_check_run_whatever_fail_on_says(
    tmp_path, github_env, github_standin
):
    github_standin.add_deployment(SHA, "staging", "success")

    got, _ = _promote(tmp_path, github_env, github_standin, RELEASEGATE_FAIL_ON="none")

    assert got == 0
    assert [p["conclusion"] for p in github_standin.check_run_posts] == ["success"]


def test_check_run_false_posts_none_and_summary_false_writes_none(
    tmp_path, github_env, github_standin
):
    got, summary = _promote(
        tmp_path,
        github_env,
        github_standin,
        RELEASEGATE_GITHUB_CHECK_RUN="false",
        RELEASEGATE_GITHUB_SUMMARY="false",
    )

    assert got == 1
    assert github_standin.check_run_posts == []
    assert not summary.exists() or summary.read_text() == ""


def test_every_failing_requirement_annotates_the_policy_line_that_states_it(
    tmp_path, github_env, github_standin, capsys
):
    import io as _io

    policy = (
        "version: 1\nenvironments:\n  - name: staging\n  - name: production\n    requires:\n"
        "      from: staging\n      soak: 1h\n      approvals: 1\n"
    )
    (tmp_path / "releasegate.yml").write_text(policy)
    env = github_env(
        github_standin,
        RELEASEGATE_COMMAND="promote",
        RELEASEGATE_ENVIRONMENT="production",
        RELEASEGATE_CONFIG=str(tmp_path / "releasegate.yml"),
        RUNNER_TEMP=str(tmp_path),
        RELEASEGATE_GITHUB_CHECK_RUN="false",
        GITHUB_RUN_ID="",
    )
    out = _io.StringIO()

    assert launch.main(env=env, stdout=out) == 1

    text = capsys.readouterr().out  # the platform's annotations go to the step's stdout
    assert "::error title=releasegate%3A from staging,file=releasegate.yml,line=6,col=7::" in text
    assert (
        "::error title=releasegate%3A soak 1h in staging,file=releasegate.yml,line=7,col=7::"
        in text
    )
    assert "::error title=releasegate%3A approvals,file=releasegate.yml,line=8,col=7::" in text


def _promote_while_github_fails_after(
    tmp_path: Path, github_env, standin, method: str
) -> tuple[int, Path]:
    """Promote to production (staging deployed) while every request after the first ``method``
    of the deployments is refused with a secondary rate limit GitHub asks a day's wait for."""
    standin.add_deployment(SHA, "staging", "success")
    standin.before.append(
        lambda request: (
            request.method == method
            and request.path.endswith("/deployments")
            and standin.throttle.append(("secondary", 100000))
        )
    )
    return _promote(tmp_path, github_env, standin, RELEASEGATE_GITHUB_CHECK_RUN="false")


def test_a_refused_deployment_after_an_allowed_decision_still_publishes_outputs_and_summary(
    tmp_path, github_env, github_standin
):
    got, summary = _promote_while_github_fails_after(tmp_path, github_env, github_standin, "POST")

    assert got == 4
    outputs = (Path(github_env()["GITHUB_OUTPUT"])).read_text()
    assert "outcome=error\n" in outputs
    assert "reason=allowed by the policy, but the promotion could not be recorded: " in outputs
    assert "releasegate promotion: **error**" in summary.read_text()


def test_a_platform_failure_before_the_decision_is_an_error_decision_and_records_nothing(
    tmp_path, github_env, github_standin, capsys
):
    """GitHub fails while the deployments are read: the step publishes outcome ``error`` (not
    a silent exit without outputs), exits 4 with the platform's message, and no deployment is
    created, since nothing was decided."""
    got, summary = _promote_while_github_fails_after(tmp_path, github_env, github_standin, "GET")

    assert got == 4
    outputs = (Path(github_env()["GITHUB_OUTPUT"])).read_text()
    assert "outcome=error\n" in outputs
    assert "reason=no decision: " in outputs and "secondary rate limit" in outputs
    assert "releasegate promotion: **error**" in summary.read_text()
    assert not [r for r in github_standin.requests if r.method == "POST"]
    assert "secondary rate limit" in capsys.readouterr().err

"""A canary continued in another job (or a rerun) resumes at its step from its GitHub deployment,
without a second deployment: the job's ledger is gone, the deployment's statuses are not."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from github_actions.standin import BASE
from releasegate.adapters.github_actions import launch
from releasegate.adapters.github_actions.platform import decode_canary, encode_canary

POLICY = """\
version: 1
service: checkout
environments:
  - name: production
    strategy:
      canary:
        router: {kind: command, command: "true {weight}"}
        steps:
          - weight: 10
          - weight: 50
"""


def _job(
    tmp_path: Path, name: str, github_env, standin, args: str, command: str = "canary"
) -> dict[str, object]:
    """One job: its own RUNNER_TEMP (so its own ledger), the canary step, its decision. The
    first canary job of a test is preceded by the promotion a canary requires."""
    if command == "canary" and not (tmp_path / "promote").exists():
        assert (
            _job(tmp_path, "promote", github_env, standin, "--to production", "promote")["outcome"]
            == "allow"
        )
    temp = tmp_path / name
    temp.mkdir()
    (tmp_path / "releasegate.yml").write_text(POLICY)
    env = github_env(
        standin,
        RELEASEGATE_COMMAND=command,
        RELEASEGATE_ARGS=args,
        RELEASEGATE_CONFIG=str(tmp_path / "releasegate.yml"),
        RUNNER_TEMP=str(temp),
        RELEASEGATE_GITHUB_CHECK_RUN="false",
        RELEASEGATE_OUTPUT=str(temp / "d.json"),
    )
    assert launch.main(env=env, stdout=io.StringIO()) == 0
    return json.loads((temp / "d.json").read_text())


def test_the_state_round_trips_through_a_status_description():
    state = {
        "step": 2,
        "weight": 12.5,
        "step_started_at": 1767225600.0,
        "passed": [0, 1],
        "status": "running",
    }
    text = encode_canary(state)
    assert (
        text == "releasegate canary step=2 weight=12.5 started=1767225600 passed=0,1"
        and len(text) <= 140
    )
    assert decode_canary(text) == state
    assert decode_canary("releasegate: promoting") is None


def test_a_canary_continued_in_another_job_resumes_without_a_second_deployment(
    tmp_path, github_env, github_standin
):
    first = _job(tmp_path, "job1", github_env, github_standin, "--env production --step 1")
    assert first["outcome"] == "continue"
    assert len(github_standin.deployment_rows) == 1

    second = _job(tmp_path, "job2", github_env, github_standin, "--env production --step 2")
    assert second["outcome"] == "continue", second["reason"]
    assert second["outputs"]["weight"] == "50"
    third = _job(tmp_path, "job3", github_env, github_standin, "--env production --step 3")

    assert third["outcome"] == "promote", third["reason"]
    assert len(github_standin.deployment_rows) == 1  # no second deployment
    assert [
        r.path
        for r in github_standin.requests
        if r.method == "POST" and r.path == f"{BASE}/deployments"
    ] == [f"{BASE}/deployments"]
    assert github_standin.statuses[1][0]["state"] == "success"


def test_a_rerun_of_a_finished_canary_does_nothing_again(tmp_path, github_env, github_standin):
    _job(tmp_path, "job1", github_env, github_standin, "--env production")

    again = _job(tmp_path, "rerun", github_env, github_standin, "--env production")

    assert again["outcome"] == "promote"
    assert "already over" in again["reason"]
    assert len(github_standin.deployment_rows) == 1


@pytest.mark.parametrize("step", ["2"])
def test_a_later_step_without_the_earlier_one_is_still_refused(
    tmp_path, github_env, github_standin, step
):
    _job(tmp_path, "promote", github_env, github_standin, "--to production", "promote")
    temp = tmp_path / "job"
    temp.mkdir()
    (tmp_path / "releasegate.yml").write_text(POLICY)
    env = github_env(
        github_standin,
        RELEASEGATE_COMMAND="canary",
        RELEASEGATE_ARGS=f"--env production --step {step}",
        RELEASEGATE_CONFIG=str(tmp_path / "releasegate.yml"),
        RUNNER_TEMP=str(temp),
        RELEASEGATE_GITHUB_CHECK_RUN="false",
    )
    assert launch.main(env=env, stdout=io.StringIO()) == 2


@pytest.mark.peer("act")
def test_two_act_jobs_continue_one_canary_on_one_deployment(
    action_workspace, run_action, github_standin
):
    ws, sha = action_workspace({"releasegate.yml": POLICY})

    result = run_action(ws, workflow="canary-two-jobs.yml", api=github_standin)

    assert result.proc.returncode == 0, result.log
    assert result.outputs["outcome"] == "continue", result.log
    assert (result.outputs["weight"], result.outputs["next-step"]) == (
        "50",
        "3",
    )  # step 2 ran in job 2
    assert [d["sha"] for d in github_standin.deployment_rows] == [sha]  # one deployment
    states = [s["description"] for s in github_standin.statuses[1]]
    assert "releasegate canary step=2 weight=50" in states[0]  # the position GitHub now holds


#: The router: logs each weight; the first time it is told 50 it kills releasegate (its
#: parent), as a cancelled or crashed job would end mid-rollout.
KILLING_ROUTER = """\
#!/bin/sh
echo "$1" >> "$RESULT_DIR/weights"
if [ "$1" = 50 ] && [ ! -e "$RESULT_DIR/killed-once" ]; then
  touch "$RESULT_DIR/killed-once"
  kill -9 "$PPID"
fi
"""


@pytest.mark.peer("act")
def test_a_rerun_after_the_job_died_resumes_at_its_step_on_the_same_deployment(
    tmp_path, action_workspace, run_action, github_standin
):
    policy = POLICY.replace('command: "true {weight}"', 'command: "./route {weight}"')
    ws, sha = action_workspace({"releasegate.yml": policy, "route": KILLING_ROUTER})
    (ws / "route").chmod(0o755)

    result = run_action(ws, workflow="canary-rerun.yml", api=github_standin)

    log, results = result.log, tmp_path / "results"
    assert (results / "killed").read_text() == "failure", log  # the first job died mid-rollout
    weights = (results / "weights").read_text().split() if (results / "weights").exists() else []
    assert weights == ["10", "50", "50", "100"], (
        log
    )  # the rerun went on at step 2, never back to 10
    assert result.outputs["outcome"] == "promote", log
    assert [d["sha"] for d in github_standin.deployment_rows] == [sha]  # one deployment
    assert github_standin.statuses[1][0]["state"] == "success"

"""check: validations against GitHub's check runs: running, missing and failed told apart,
waiting for a running check, workflow-qualified names."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from github_actions.payloads import SHA
from releasegate.adapters.github_actions import launch


def _policy(check: str, wait: str = "") -> str:
    return (
        f"version: 1\nvalidations:\n  lint:\n    check: {check}\n"
        + (f"    wait: {wait}\n" if wait else "")
        + "environments:\n  - name: staging\n    requires:\n      validations: [lint]\n"
    )


def _promote(tmp_path: Path, github_env, standin, policy: str, **extra: str) -> tuple[int, str]:
    import json

    (tmp_path / "releasegate.yml").write_text(policy)
    env = github_env(
        standin,
        RELEASEGATE_COMMAND="promote",
        RELEASEGATE_ENVIRONMENT="staging",
        RELEASEGATE_CONFIG=str(tmp_path / "releasegate.yml"),
        RUNNER_TEMP=str(tmp_path),
        RELEASEGATE_GITHUB_CHECK_RUN="false",
        RELEASEGATE_OUTPUT=str(tmp_path / "d.json"),
        **extra,
    )
    code = launch.main(env=env, stdout=io.StringIO())
    decision = json.loads((tmp_path / "d.json").read_text())
    lint = next(r for r in decision["requirements"] if r["name"] == "validation lint")
    return code, lint["reason"]


def test_a_running_check_is_running_not_missing(tmp_path, github_env, github_standin):
    github_standin.add_check_run(SHA, "lint", status="in_progress", conclusion=None)

    code, reason = _promote(tmp_path, github_env, github_standin, _policy("lint"))

    assert code == 1
    assert reason.startswith(f"check lint is still running on {SHA[:12]}")


def test_a_missing_check_lists_the_names_found(tmp_path, github_env, github_standin):
    github_standin.add_check_run(SHA, "build")
    github_standin.add_check_run(SHA, "unit")

    code, reason = _promote(tmp_path, github_env, github_standin, _policy("lint"))

    assert code == 1
    assert reason == f"no check named lint ran on {SHA[:12]}; checks found: build, unit"


def test_a_failed_check_is_failed(tmp_path, github_env, github_standin):
    github_standin.add_check_run(SHA, "lint", conclusion="failure")

    code, reason = _promote(tmp_path, github_env, github_standin, _policy("lint"))

    assert code == 1
    assert reason.startswith("check lint failed at ")


@pytest.mark.parametrize(("wanted", "name"), [("ci / lint", "lint"), ("lint", "ci / lint")])
def test_the_workflow_qualified_name_matches(tmp_path, github_env, github_standin, wanted, name):
    github_standin.add_check_run(SHA, name)

    code, reason = _promote(tmp_path, github_env, github_standin, _policy(f'"{wanted}"'))

    assert code == 0, reason


def test_a_running_check_is_waited_for_with_progress_lines(
    tmp_path, github_env, github_standin, monkeypatch, capsys
):
    from releasegate.cli import promote

    monkeypatch.setattr(promote, "POLL_SECONDS", 0.0)
    github_standin.add_check_run(SHA, "lint", status="in_progress", conclusion=None)
    looks = []

    def finish_on_third_look(request):
        if request.path.endswith("/check-runs"):
            looks.append(request)
            if len(looks) == 3:
                github_standin.check_runs[0].update(status="completed", conclusion="success")

    github_standin.before.append(finish_on_third_look)

    code, reason = _promote(tmp_path, github_env, github_standin, _policy("lint", wait="10m"))

    assert code == 0, reason
    assert len(looks) == 3
    err = capsys.readouterr().err
    assert err.count("promote staging: waiting for lint (still running; ") == 2


def test_the_actions_input_waits_too(tmp_path, github_env, github_standin, monkeypatch):
    from releasegate.cli import promote

    monkeypatch.setattr(promote, "POLL_SECONDS", 0.0)
    github_standin.add_check_run(SHA, "lint", status="queued", conclusion=None)
    looks = []

    def finish_on_second_look(request):
        if request.path.endswith("/check-runs"):
            looks.append(request)
            if len(looks) == 2:
                github_standin.check_runs[0].update(status="completed", conclusion="success")

    github_standin.before.append(finish_on_second_look)

    code, reason = _promote(
        tmp_path, github_env, github_standin, _policy("lint"), RELEASEGATE_WAIT_FOR_CHECKS="5m"
    )

    assert code == 0, reason
    assert len(looks) == 2


def test_wait_applies_to_check_validations_only(tmp_path):
    from releasegate.errors import PolicyError
    from releasegate.policy import load_policy

    (tmp_path / "releasegate.yml").write_text(
        "version: 1\nvalidations:\n  unit:\n    junit: r.xml\n    wait: 5m\n"
    )
    with pytest.raises(PolicyError, match="'wait' applies only to check validations"):
        load_policy(str(tmp_path / "releasegate.yml"))

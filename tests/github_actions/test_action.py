"""The composite action for real under act (on the host): outputs, summary, success or failure.

GitHub's API is the local ``github_fake`` (every request checked against GitHub's OpenAPI
description); ``actions/cache`` is a local stand-in (see ``stand-ins/``).
"""

from __future__ import annotations

import json
import sys

import pytest

from github_actions.payloads import AUTH

pytestmark = pytest.mark.peer("act")

POLICY = """\
version: 1
validations:
  static-check:
    check: lint
  unit-tests:
    junit: reports/unit.xml
environments:
  - name: staging
    requires:
      validations: [static-check, unit-tests]
"""
PASSING = '<testsuite name="u" tests="2" failures="0" errors="0"><testcase name="a"/><testcase name="b"/></testsuite>\n'
FAILING = (
    '<testsuite name="u" tests="2" failures="1" errors="0"><testcase name="a"/>'
    '<testcase name="b"><failure message="boom"/></testcase></testsuite>\n'
)


def _lint_passed(fake, sha: str) -> None:
    fake.expect(
        "GET",
        "/repos/acme/app/deployments",
        query={"environment": "staging", "per_page": "100"},
        headers=AUTH,
    ).respond(json=[])
    fake.expect("GET", f"/repos/acme/app/commits/{sha}/check-runs", headers=AUTH).respond(
        json={
            "total_count": 1,
            "check_runs": [
                {
                    "id": 1,
                    "name": "lint",
                    "head_sha": sha,
                    "status": "completed",
                    "conclusion": "success",
                    "started_at": "2026-03-02T09:00:00Z",
                    "completed_at": "2026-03-02T09:01:00Z",
                    "html_url": "https://github.com/acme/app/runs/1",
                }
            ],
        }
    )
    fake.expect("GET", f"/repos/acme/app/commits/{sha}/statuses", headers=AUTH).respond(json=[])


def test_check_runs_and_restores_its_environment_from_the_cache(action_workspace, run_action):
    ws, _ = action_workspace({"releasegate.yml": POLICY})

    result = run_action(ws, command="check")

    assert result.proc.returncode == 0, result.log
    assert result.conclusion == "success"
    assert "releasegate.yml: valid (version 1; staging; 2 validations, 0 gates)" in result.log
    assert result.cache_log.startswith("restore releasegate-Linux-")
    assert "save" not in result.cache_log  # a hit is never written back


def test_without_the_cache_the_action_installs_itself_with_uv(action_workspace, run_action):
    ws, _ = action_workspace({"releasegate.yml": POLICY})
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"  # one uv finds here, without a download

    result = run_action(ws, command="check", cache="false", python_version=python)

    assert result.proc.returncode == 0, result.log
    assert result.conclusion == "success", result.log
    assert "Installing releasegate" in result.log
    assert "releasegate.yml: valid (version 1; staging; 2 validations, 0 gates)" in result.log
    assert result.cache_log == ""  # the cache was neither restored nor saved


def test_promote_allowed_records_a_deployment_and_publishes(
    action_workspace, run_action, github_fake
):
    ws, sha = action_workspace({"releasegate.yml": POLICY, "reports/unit.xml": PASSING})
    _lint_passed(github_fake, sha)
    github_fake.expect(
        "POST",
        "/repos/acme/app/deployments",
        headers=AUTH,
        json={
            "ref": sha,
            "task": "deploy",
            "auto_merge": False,
            "required_contexts": [],
            "payload": {"releasegate": {"vouch": "allowed"}},
            "environment": "staging",
            "description": f"releasegate: promote {sha[:12]}",
            "production_environment": False,
        },
    ).respond(
        201,
        json={
            "id": 31,
            "sha": sha,
            "environment": "staging",
            "created_at": "2026-03-02T10:00:00Z",
            "payload": {},
            "creator": {"login": "github-actions[bot]"},
            "url": f"{github_fake.url}/repos/acme/app/deployments/31",
        },
    )
    github_fake.expect(
        "POST",
        "/repos/acme/app/deployments/31/statuses",
        headers=AUTH,
        json=lambda body: body["state"] == "in_progress",
    ).respond(201, json={"id": 1, "state": "in_progress", "created_at": "2026-03-02T10:00:01Z"})
    github_fake.expect(
        "POST",
        "/repos/acme/app/check-runs",
        headers=AUTH,
        json=lambda body: body["conclusion"] == "success",
    ).respond(201, json={"id": 5})

    result = run_action(ws, command="promote", environment="staging", api=github_fake)

    assert result.conclusion == "success", result.log
    assert result.outputs["outcome"] == "allow"
    assert result.outputs["reason"]
    assert result.outputs["report"].endswith(".json")
    assert "### ✅ releasegate promotion: **allow**" in result.summary


def test_promote_blocked_fails_the_step_with_an_annotation(
    action_workspace, run_action, github_fake
):
    ws, sha = action_workspace({"releasegate.yml": POLICY, "reports/unit.xml": FAILING})
    _lint_passed(github_fake, sha)
    github_fake.expect(
        "POST",
        "/repos/acme/app/check-runs",
        headers=AUTH,
        json=lambda body: body["conclusion"] == "failure",
    ).respond(201, json={"id": 6})

    result = run_action(ws, command="promote", environment="staging", api=github_fake)

    assert result.conclusion == "failure", result.log
    assert result.outputs["outcome"] == "block"
    assert (
        "::error title=releasegate%3A validation unit-tests,file=releasegate.yml,line="
        in result.log
    )
    assert "### ❌ releasegate promotion: **block**" in result.summary


def test_an_api_permission_error_fails_the_step_in_one_line(
    action_workspace, run_action, github_fake
):
    ws, _ = action_workspace({"releasegate.yml": POLICY, "reports/unit.xml": PASSING})
    github_fake.expect("GET", "/repos/acme/app/deployments").respond(
        403, json={"message": "Resource not accessible by integration"}
    )
    # The error decision is published too; the same token may not write check runs either.
    github_fake.expect("POST", "/repos/acme/app/check-runs").respond(
        403, json={"message": "Resource not accessible by integration"}
    )

    result = run_action(ws, command="promote", environment="staging", api=github_fake)

    assert result.conclusion == "failure"
    assert (
        "releasegate: error: GitHub API GET /repos/acme/app/deployments: 403 forbidden: the token "
        "lacks `deployments: read`"
    ) in result.log  # the first failure is the one told, not the check run's
    assert "Traceback" not in result.log
    assert result.outputs["outcome"] == "error", result.log


CACHE_POLICY = """\
version: 1
cache:
  write_on: [main]
  dependencies: auto
  docker: {backend: registry, ref: ghcr.io/acme/app/cache, mode: max}
"""


def test_cache_on_the_default_branch_may_write(action_workspace, run_action):
    ws, _ = action_workspace(
        {"releasegate.yml": CACHE_POLICY, "requirements.txt": "requests==2.31.0\n"}
    )

    result = run_action(ws, command="cache")

    assert result.conclusion == "success", result.log
    assert result.outputs["cache-key"].startswith("releasegate-linux-pip-")
    assert result.outputs["cache-paths"] == "~/.cache/pip"
    assert result.outputs["buildx-cache-from"] == "type=registry,ref=ghcr.io/acme/app/cache"
    assert result.outputs["buildx-cache-to"] == "type=registry,ref=ghcr.io/acme/app/cache,mode=max"


def test_cache_for_a_fork_pull_request_only_reads(action_workspace, run_action):
    ws, sha = action_workspace(
        {"releasegate.yml": CACHE_POLICY, "requirements.txt": "requests==2.31.0\n"}
    )
    event = {
        "pull_request": {
            "number": 7,
            "head": {"sha": sha, "ref": "main", "repo": {"full_name": "mallory/app"}},
            "base": {"ref": "main", "repo": {"full_name": "acme/app"}},
        },
        "repository": {"default_branch": "main", "full_name": "acme/app"},
    }

    result = run_action(ws, command="cache", event=event, event_name="pull_request")

    assert result.conclusion == "success", result.log
    assert result.outputs["cache-key"].startswith("releasegate-linux-pip-")
    assert result.outputs["buildx-cache-to"] == ""
    assert "save" not in result.cache_log


def test_analyze_passes_on_a_healthy_gate_of_a_real_prometheus(
    action_workspace, run_action, prometheus
):
    from peers.openmetrics import Series

    at = 1_767_225_600  # 2026-01-01T00:00:00Z
    server = prometheus(
        [
            Series(
                "error_ratio",
                {"service": "checkout"},
                [(at - 2400 + 15 * i, 0.01) for i in range(161)],
            )
        ]
    )
    policy = (
        "version: 1\nservice: checkout\ngates:\n  health:\n    provider: prometheus\n"
        "    address: http://127.0.0.1:9\n    interval: 1m\n    retries: 0\n    metrics:\n"
        "      - name: error-rate\n        query: 'max(error_ratio{service=\"{service}\"})'\n"
        '        judge: threshold\n        fail_if: "> 0.05"\n'
    )
    ws, _ = action_workspace({"releasegate.yml": policy})

    result = run_action(
        ws,
        command="analyze",
        gate="health",
        prometheus_url=server.url,
        args="--once --at 2026-01-01T00:00:00Z --deployed-at 2025-12-31T23:40:00Z",
    )

    assert result.conclusion == "success", result.log
    assert result.outputs["outcome"] == "pass"
    assert result.outputs["intervals"] == "20"  # the review judged 20 intervals in one evaluation
    assert "releasegate analysis: **pass**" in result.summary
    # the metric's values, its threshold and its interval, not only the judge's statistic
    row = next(line for line in result.summary.splitlines() if "metric error-rate" in line)
    assert (
        "canary **0.01** (interval to 00:00:00Z; 20 intervals of 1m)" in row
        and "not &gt; 0.05" in row
    )


def test_a_policy_typo_is_an_error_annotation_on_its_line(action_workspace, run_action):
    ws, _ = action_workspace({"releasegate.yml": POLICY.replace("    requires:", "    require:")})

    result = run_action(ws, command="check")

    assert result.conclusion == "failure"
    assert "::error title=releasegate%3A policy,file=releasegate.yml,line=9,col=5::" in result.log


def test_fail_on_none_posts_no_failing_check_run(action_workspace, run_action, github_standin):
    ws, sha = action_workspace({"releasegate.yml": POLICY, "reports/unit.xml": FAILING})
    github_standin.add_check_run(sha, "lint")

    result = run_action(
        ws,
        command="promote",
        environment="staging",
        api=github_standin,
        fail_on="none",
        environment_url="https://staging.acme.example",
    )

    assert result.conclusion == "success", result.log
    assert result.outputs["outcome"] == "block"
    assert [p["conclusion"] for p in github_standin.check_run_posts] == ["neutral"]
    assert "deployment-id" not in result.outputs or result.outputs["deployment-id"] == ""


def test_an_allowed_promotion_gives_a_deploy_step_what_it_needs(
    action_workspace, run_action, github_standin
):
    ws, sha = action_workspace({"releasegate.yml": POLICY, "reports/unit.xml": PASSING})
    github_standin.add_check_run(sha, "lint")

    result = run_action(
        ws,
        command="promote",
        environment="staging",
        api=github_standin,
        environment_url="https://staging.acme.example",
    )

    assert result.conclusion == "success", result.log
    assert result.outputs["deployment-id"] == "1"
    assert result.outputs["environment-url"] == "https://staging.acme.example"
    assert json.loads(result.outputs["decision"])["outcome"] == "allow"
    assert github_standin.statuses[1][0]["environment_url"] == "https://staging.acme.example"

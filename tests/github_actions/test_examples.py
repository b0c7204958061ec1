"""Every workflow in ``adapters/github_actions/examples`` runs under act, as a user would copy it.

``uses: releasegate/releasegate@v1`` is a copy of this checkout (act's
``--local-repository``); the other actions the examples use (artifacts, the user's own
caches, Docker's build actions) are local stand-ins under ``stand-ins/examples`` that log
what they were given, since act cannot fetch them; ``make``, ``pip`` and the deploy script
are small programs in the workspace or on ``PATH``. GitHub's API is the stateful stand-in,
Prometheus a real server. Only what a test cannot wait for is changed in the copy: the
canary's 15-minute watch becomes a few seconds (a comment below says so).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from github_actions.conftest import CACHE_SHA, HERE, copy_action
from github_actions.payloads import TOKEN
from peers.locate import ROOT
from peers.runners import git_repo

pytestmark = pytest.mark.peer("act")

EXAMPLES = ROOT / "adapters" / "github_actions" / "examples"
STANDINS = HERE / "stand-ins" / "examples"
#: Every action an example uses besides releasegate, and the stand-in act runs instead.
OTHER_ACTIONS = {
    "actions/upload-artifact@v6": "upload-artifact",
    "actions/download-artifact@v7": "download-artifact",
    "actions/cache@v5": "cache",
    "docker/setup-buildx-action@v4": "setup-buildx-action",
    "docker/build-push-action@v7": "build-push-action",
}

PROMOTE_POLICY = """\
version: 1
validations:
  unit-tests:
    junit: reports/unit/*.xml
environments:
  - name: staging
    requires:
      validations: [unit-tests]
  - name: production
    requires:
      from: staging
      validations: [unit-tests]
"""
CANARY_POLICY = """\
version: 1
service: checkout
gates:
  health:
    provider: prometheus
    address: http://127.0.0.1:9
    interval: 1s
    retries: 0
    metrics:
      - name: error-rate
        query: 'max(error_ratio{service="{service}"})'
        judge: threshold
        fail_if: "> 0.05"
environments:
  - name: staging
  - name: production
    requires:
      from: staging
    strategy:
      canary:
        router: {kind: command, command: "./route {weight}"}
        steps:
          - weight: 10
          - weight: 50
    rollback:
      gates: [health]
      window: 3s
"""
CACHE_POLICY = """\
version: 1
cache:
  write_on: [main]
  dependencies: auto
  docker: {backend: registry, ref: ghcr.io/acme/app/cache, mode: max}
"""
JUNIT = (
    '<testsuite name="unit" tests="2" failures="0" errors="0">'
    '<testcase name="a"/><testcase name="b"/></testsuite>\n'
)


def test_every_example_is_run_here_and_every_other_action_has_a_stand_in():
    assert sorted(p.name for p in EXAMPLES.glob("*.yml")) == [
        "cache.yml",
        "canary.yml",
        "promote.yml",
    ]
    used = set()
    for path in EXAMPLES.glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            used |= {step["uses"] for step in job["steps"] if "uses" in step}
    others = {
        u for u in used if not u.startswith(("releasegate/releasegate@", "actions/checkout@"))
    }
    assert {u.replace("/restore@", "@").replace("/save@", "@") for u in others} == set(
        OTHER_ACTIONS
    )


def _run(
    tmp_path: Path,
    act,
    standin,
    prebuilt_env,
    example: str,
    files: dict[str, str],
    *,
    event: str = "push",
    variables: dict[str, str] | None = None,
    text: str | None = None,
    seed: Callable[[str], None] | None = None,
) -> tuple[str, str]:
    """act runs ``example`` (or ``text``) in a repository of ``files``; ``seed(sha)`` prepares
    GitHub's records once the commit exists. Returns act's output and the stand-ins' log."""
    action = tmp_path / "action"
    action.mkdir()
    copy_action(action)
    ws = tmp_path / "ws"
    (ws / ".github" / "workflows").mkdir(parents=True)
    (ws / ".github" / "workflows" / example).write_text(text or (EXAMPLES / example).read_text())
    for name, content in files.items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(content)
        if content.startswith("#!"):
            (ws / name).chmod(0o755)
    git_repo(ws, remote="https://github.com/acme/app.git")
    if seed is not None:
        seed(
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text('#!/bin/sh\necho "pip $*" >> "$RELEASEGATE_TEST_EXAMPLE_LOG"\n')
    (bin_dir / "pip").chmod(0o755)
    log = tmp_path / "example.log"
    env = {
        "GITHUB_API_URL": standin.url,
        "RELEASEGATE_TEST_PREBUILT": str(prebuilt_env),
        "RELEASEGATE_TEST_CACHE_LOG": str(tmp_path / "cache.log"),
        "RELEASEGATE_TEST_EXAMPLE_LOG": str(log),
        "RELEASEGATE_TEST_ARTIFACTS": str(tmp_path / "artifacts"),
    }
    args = [
        event,
        "-W",
        f".github/workflows/{example}",
        "-s",
        f"GITHUB_TOKEN={TOKEN}",
        "--local-repository",
        f"releasegate/releasegate@v1={action}",
        "--local-repository",
        f"actions/cache@{CACHE_SHA}={HERE / 'stand-ins' / 'cache'}",
    ]
    for uses, folder in OTHER_ACTIONS.items():
        args += ["--local-repository", f"{uses}={STANDINS / folder}"]
    for key, value in env.items():
        args += ["--env", f"{key}={value}"]
    for key, value in (variables or {}).items():
        args += ["--var", f"{key}={value}"]

    proc = act(ws, *args, env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, timeout=300)

    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    return output, log.read_text() if log.exists() else ""


def test_the_promote_example_runs_tests_then_staging_then_production(
    tmp_path, act, github_standin, prebuilt_env
):
    makefile = (
        "test:\n\tmkdir -p reports/unit\n\tprintf '%s' '"
        + JUNIT.strip()
        + "' > reports/unit/junit.xml\n"
    )
    files = {
        "releasegate.yml": PROMOTE_POLICY,
        "Makefile": makefile,
        "deploy.sh": '#!/bin/sh\necho "deploy $1" >> "$RELEASEGATE_TEST_EXAMPLE_LOG"\n',
    }

    _, log = _run(tmp_path, act, github_standin, prebuilt_env, "promote.yml", files)

    assert [
        line for line in log.splitlines() if line.startswith(("upload", "download", "deploy"))
    ] == [
        "upload-artifact reports reports/",
        "download-artifact reports reports/",
        "deploy staging",
        "download-artifact reports reports/",
        "deploy production",
    ]
    assert [
        (d["environment"], github_standin.statuses[d["id"]][0]["state"])
        for d in github_standin.deployment_rows
    ] == [("staging", "success"), ("production", "success")]


def test_the_canary_example_walks_the_steps_on_one_deployment_then_watches(
    tmp_path, act, github_standin, prebuilt_env, prometheus
):
    from peers.openmetrics import Series

    now = int(time.time())
    server = prometheus(
        [
            Series(
                "error_ratio",
                {"service": "checkout"},
                [(t, 0.01) for t in range(now - 1200, now + 1200, 5)],
            )
        ]
    )
    files = {
        "releasegate.yml": CANARY_POLICY,
        "route": '#!/bin/sh\necho "route $1" >> "$RELEASEGATE_TEST_EXAMPLE_LOG"\n',
        "deploy.sh": '#!/bin/sh\necho "deploy $1 $2" >> "$RELEASEGATE_TEST_EXAMPLE_LOG"\n',
    }
    example = (EXAMPLES / "canary.yml").read_text()
    assert example.count("duration: 15m") == 1
    # The one change: a test cannot watch for 15 minutes; the policy's window is as short.
    text = example.replace("duration: 15m", "duration: 3s")
    seen: list[str] = []

    def seed(sha: str) -> None:
        seen.append(sha)
        github_standin.add_deployment("0" * 40, "production", "success")  # the last good one
        github_standin.add_deployment(
            sha, "staging", "success"
        )  # production requires from: staging

    _, log = _run(
        tmp_path,
        act,
        github_standin,
        prebuilt_env,
        "canary.yml",
        files,
        event="workflow_dispatch",
        variables={"PROMETHEUS_URL": server.url},
        text=text,
        seed=seed,
    )

    sha = seen[0]
    assert [line for line in log.splitlines() if line.startswith("route")][:2] == [
        "route 10",
        "route 50",
    ]
    assert "deploy production" not in log  # the watch passed: no rollback job
    production = [
        d
        for d in github_standin.deployment_rows
        if d["environment"] == "production" and d["sha"] == sha
    ]
    assert len(production) == 1  # promote's deployment is the canary's: no second one
    assert github_standin.statuses[production[0]["id"]][0]["state"] == "success"


def test_the_cache_example_feeds_the_cache_and_buildkit_steps(
    tmp_path, act, github_standin, prebuilt_env
):
    files = {
        "releasegate.yml": CACHE_POLICY,
        "requirements.txt": "requests==2.31.0\n",
        "Dockerfile": "FROM scratch\n",
    }

    _, log = _run(tmp_path, act, github_standin, prebuilt_env, "cache.yml", files)

    lines = log.splitlines()
    restore = next(line for line in lines if line.startswith("cache-restore "))
    assert "key=" in restore and "paths=" in restore and not restore.endswith("paths=")
    assert "pip install -r requirements.txt" in lines
    assert "setup-buildx" in lines
    build = next(line for line in lines if line.startswith("build-push "))
    assert "cache-from=type=registry,ref=ghcr.io/acme/app/cache" in build
    assert "cache-to=type=registry,ref=ghcr.io/acme/app/cache" in build  # main may write
    assert any(line.startswith("cache-save ") for line in lines)  # and saves

"""Every workflow example in the action's README runs under act, as a user would paste it.

Step snippets get a job around them, job snippets a workflow, and the ``permissions:``
block is the job's; ``uses: releasegate/releasegate@v1`` is a copy of this checkout
(act's ``--local-repository``), GitHub's API the stateful stand-in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from github_actions.conftest import CACHE_SHA, HERE, copy_action
from github_actions.payloads import TOKEN
from peers.locate import ROOT
from peers.runners import git_repo

pytestmark = pytest.mark.peer("act")

README = (ROOT / "adapters" / "github_actions" / "README.md").read_text()
BLOCKS = [
    yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
]
PERMISSIONS = next(
    b["permissions"] for b in BLOCKS if isinstance(b, dict) and set(b) == {"permissions"}
)
POLICY = "version: 1\nenvironments:\n  - name: staging\n  - name: production\n"


def _workflows() -> list[tuple[str, dict[str, object]]]:
    found = []
    for i, block in enumerate(BLOCKS):
        if isinstance(block, list):  # steps
            job = {
                "runs-on": "ubuntu-latest",
                "permissions": PERMISSIONS,
                "steps": [{"uses": "actions/checkout@v5"}, *block],
            }
            found.append(
                (f"block{i}-steps", {"name": "example", "on": ["push"], "jobs": {"example": job}})
            )
        elif isinstance(block, dict) and set(block) != {"permissions"}:  # jobs
            jobs = {
                name: {k: v for k, v in job.items() if k != "needs"} for name, job in block.items()
            }
            found.append((f"block{i}-jobs", {"name": "example", "on": ["push"], "jobs": jobs}))
    return found


WORKFLOWS = _workflows()


def test_the_readme_has_workflow_examples():
    assert len(WORKFLOWS) >= 2
    assert all("releasegate/releasegate@v1" in yaml.safe_dump(w) for _, w in WORKFLOWS)


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=[n for n, _ in WORKFLOWS])
def test_a_readme_example_runs_under_act(
    tmp_path: Path, act, github_standin, prebuilt_env, name, workflow
):
    action = tmp_path / "action"
    action.mkdir()
    copy_action(action)
    ws = tmp_path / "ws"
    (ws / ".github" / "workflows").mkdir(parents=True)
    (ws / ".github" / "workflows" / "example.yml").write_text(
        yaml.safe_dump(workflow, sort_keys=False)
    )
    (ws / "releasegate.yml").write_text(POLICY)
    (ws / "deploy.sh").write_text('#!/bin/sh\necho deployed "$1"\n')
    (ws / "deploy.sh").chmod(0o755)
    git_repo(ws, remote="https://github.com/acme/app.git")
    env = {
        "GITHUB_API_URL": github_standin.url,
        "RELEASEGATE_TEST_PREBUILT": str(prebuilt_env),
        "RELEASEGATE_TEST_CACHE_LOG": str(tmp_path / "cache.log"),
    }
    args = [
        "push",
        "-W",
        ".github/workflows/example.yml",
        "-s",
        f"GITHUB_TOKEN={TOKEN}",
        "--local-repository",
        f"releasegate/releasegate@v1={action}",
        "--local-repository",
        f"actions/cache@{CACHE_SHA}={HERE / 'stand-ins' / 'cache'}",
    ]
    for key, value in env.items():
        args += ["--env", f"{key}={value}"]

    proc = act(ws, *args, timeout=240)

    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "Traceback" not in log
    if "record" in yaml.safe_dump(workflow):
        # one deployment, promoted then recorded as a success
        assert [
            (d["id"], github_standin.statuses[d["id"]][0]["state"])
            for d in github_standin.deployment_rows
        ] == [(1, "success")]

"""The action's own setup under act: a key on its source, one environment per job, pinned
dependencies, and a fallback to the runner's Python.

``actions/cache`` is the local stand-in (``stand-ins/cache``); with
``RELEASEGATE_TEST_CACHE_STORE`` it keeps what is saved and restores by exact key, as the
real cache does, so a run after a change of the action's source sees what GitHub would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from peers.locate import ROOT

pytestmark = pytest.mark.peer("act")

POLICY = "version: 1\nenvironments:\n  - name: staging\n"
#: A push to the default branch: the only runs that save the environment.
PUSH = {"ref": "refs/heads/main", "repository": {"default_branch": "main", "full_name": "acme/app"}}
VALID = "releasegate.yml: valid (version 1; staging; 0 validations, 0 gates)"


def _keys(cache_log: str, verb: str) -> list[str]:
    return re.findall(rf"^{verb} (\S+)$", cache_log, flags=re.MULTILINE)


def test_a_changed_action_source_runs_the_new_code_with_the_cache_on(
    action_workspace, run_action, tmp_path: Path
):
    ws, _ = action_workspace({"releasegate.yml": POLICY})
    store = {"RELEASEGATE_TEST_CACHE_STORE": str(tmp_path / "cache-store")}

    first = run_action(ws, command="check", env=store, event=PUSH)
    assert first.conclusion == "success", first.log
    assert "Installing releasegate" in first.log
    (key,) = _keys(first.cache_log, "restore")
    assert _keys(first.cache_log, "save") == [key]

    again = run_action(ws, command="check", env=store, event=PUSH)
    assert again.conclusion == "success", again.log
    assert _keys(again.cache_log, "restore") == [key] and not _keys(again.cache_log, "save")
    assert "Installing releasegate" not in again.log  # a hit: nothing installed

    check = ws / "core" / "cli" / "check.py"
    check.write_text(check.read_text().replace(": valid (version", ": valid, upgraded (version"))
    upgraded = run_action(ws, command="check", env=store, event=PUSH)

    assert upgraded.conclusion == "success", upgraded.log
    (new_key,) = _keys(upgraded.cache_log, "restore")
    assert new_key != key
    assert "Installing releasegate" in upgraded.log
    assert "releasegate.yml: valid, upgraded (version 1" in upgraded.log


def test_the_key_covers_every_installed_file_and_the_pinned_requirements():
    action = (ROOT / "action.yml").read_text()
    assert "find core adapters -type f" in action  # both package folders, whatever they hold
    assert "pyproject.toml README.md" in action  # the metadata (the version is read from core)
    lock = ROOT / "adapters" / "github_actions" / "requirements.txt"
    pins = [line for line in lock.read_text().splitlines() if line and line[0] not in " #"]
    assert pins and all("==" in line for line in pins)
    assert lock.read_text().count("--hash=sha256:") >= len(pins)
    assert "--require-hashes" in action
    assert 'cp -R "$GITHUB_ACTION_PATH/core"' in action  # releasegate itself: the digested source


def test_a_second_step_in_the_same_job_neither_restores_nor_installs(action_workspace, run_action):
    ws, _ = action_workspace({"releasegate.yml": POLICY})

    result = run_action(ws, workflow="two-steps.yml")

    assert result.conclusion == "success", result.log
    assert len(_keys(result.cache_log, "restore")) == 1  # the first step only
    ran = re.findall(r"✅  Success - Main (.+?) \[", result.log)
    assert ran.count("Run releasegate") == 2
    assert ran.count("Restore releasegate's environment") == 1  # the second step skips both
    assert ran.count("Install releasegate") == 1


def test_an_unavailable_python_falls_back_to_the_runners_with_a_notice(
    action_workspace, run_action
):
    ws, _ = action_workspace({"releasegate.yml": POLICY})

    result = run_action(ws, command="check", cache="false", python_version="3.99")

    assert result.conclusion == "success", result.log
    assert (
        "::notice title=releasegate::input python-version: Python 3.99 cannot be had here"
        in result.log
    )
    assert VALID in result.log

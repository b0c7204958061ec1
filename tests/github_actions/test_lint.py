"""action.yml, the example workflows and the act workflow pass actionlint and GitHub's schemas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from peers.locate import ROOT

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted((ROOT / "adapters" / "github_actions" / "examples").glob("*.yml"))
WORKFLOWS = [*EXAMPLES, HERE / "workflows" / "action.yml"]
ACTIONS = [ROOT / "action.yml", *sorted((HERE / "stand-ins").glob("*/*/action.yml"))]


def test_there_are_example_workflows():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_actions_fit_the_published_schema(check_jsonschema, path):
    result = check_jsonschema("--builtin-schema", "vendor.github-actions", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflows_fit_the_published_schema(check_jsonschema, path):
    result = check_jsonschema("--builtin-schema", "vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_actionlint(actionlint):
    result = actionlint(*WORKFLOWS, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_never_splices_inputs_into_scripts_or_leaks_into_later_steps():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        script = step.get("run", "")
        assert "${{" not in script, f"step {step.get('name')}: an expression inside run:"
        assert "GITHUB_ENV" not in script and "GITHUB_PATH" not in script
    remote = [s["uses"] for s in action["runs"]["steps"] if "uses" in s]
    assert all(re.fullmatch(r"[\w-]+/[\w/-]+@[0-9a-f]{40}", u) for u in remote), remote


def test_the_action_declares_the_issue_inputs_and_outputs():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["inputs"]) >= {
        "command",
        "environment",
        "config",
        "sha",
        "gate",
        "duration",
        "prometheus-url",
        "prometheus-token",
        "github-token",
        "fail-on",
        "args",
        "python-version",
    }
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["fail-on"]["default"] == "block,fail,rollback"
    assert set(action["inputs"]) >= {"check-run", "summary", "environment-url"}
    # what every command writes is pinned by test_outputs.py; these a deploy step needs
    assert set(action["outputs"]) >= {
        "outcome",
        "reason",
        "report",
        "decision",
        "deployment-id",
        "environment-url",
        "next-weight",
        "rollback-to",
        "cache-key",
        "cache-restore-keys",
        "cache-paths",
        "buildx-cache-from",
        "buildx-cache-to",
        "cache-save",
    }


def test_the_plugin_module_does_not_import_pygithub():
    import subprocess
    import sys

    code = (
        "import sys, releasegate.adapters.github_actions.plugin as p; "
        "print('github' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""The Tekton parts of the README and docs/cache.md against the Task, and their examples played.

Every YAML block of adapters/tekton/README.md and of the tekton section of docs/cache.md
parses; a releasegate task in it gives only the Task's params and reads only its results;
the cache-and-build snippet runs as a PipelineRun on a trusted and an untrusted ref.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pipeline_harness import PipelineRunHarness, load_tasks
from tekton_harness import TaskRunHarness, copy_tree, harness_root

from peers.locate import ROOT, VENV_BIN, require_bin

TEKTON_DIR = ROOT / "adapters" / "tekton"
TASK_FILE = TEKTON_DIR / "releasegate.yaml"
README = TEKTON_DIR / "README.md"
CACHE_DOC = ROOT / "docs" / "cache.md"
STUBS = Path(__file__).resolve().parent / "fixtures" / "stub-tasks.yaml"
TASK = yaml.safe_load(TASK_FILE.read_text())["spec"]


def _tekton_section() -> str:
    text = CACHE_DOC.read_text()
    return text.split("\n### tekton\n", 1)[1].split("\n### ", 1)[0]


def _blocks(text: str) -> list[Any]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def _pipeline_tasks(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _pipeline_tasks(item)
    elif isinstance(node, dict):
        if "taskRef" in node and "name" in node:
            yield node
        for value in node.values():
            yield from _pipeline_tasks(value)


def test_every_param_and_result_of_the_task_is_in_the_readme() -> None:
    readme = README.read_text()
    for param in TASK["params"]:
        default = param["default"] or '""'
        assert f"| `{param['name']}` | `{default}` |" in readme, param["name"]
    for result in TASK["results"]:
        assert f"| `{result['name']}` | " in readme, result["name"]


def test_the_cache_doc_names_only_declared_results() -> None:
    declared = {r["name"] for r in TASK["results"]}
    named = set(re.findall(r"`((?:cache|kaniko|buildkit)-[a-z-]+)`", _tekton_section()))
    assert named and named <= declared, named - declared


@pytest.mark.parametrize("source", [README, CACHE_DOC])
def test_the_examples_use_the_task_as_declared(source: Path) -> None:
    text = source.read_text() if source == README else _tekton_section()
    stubs = load_tasks(STUBS)
    declared_params = {p["name"] for p in TASK["params"]}
    declared_results = {r["name"] for r in TASK["results"]}
    tasks = [t for block in _blocks(text) for t in _pipeline_tasks(block)]
    releasegate = {t["name"] for t in tasks if t["taskRef"].get("name") == "releasegate"}

    assert releasegate, f"{source.name}: no releasegate task in the examples"
    for task in tasks:
        ref = task["taskRef"].get("name")
        given = {p["name"] for p in task.get("params", [])}
        if ref == "releasegate":
            assert given <= declared_params, (task["name"], given - declared_params)
        elif ref in stubs:
            assert given <= {p["name"] for p in stubs[ref]["spec"]["params"]}, task["name"]
        text_of = yaml.safe_dump(task)
        for name, result in re.findall(r"\$\(tasks\.([a-z0-9-]+)\.results\.([a-z0-9-]+)", text_of):
            if name in releasegate:
                assert result in declared_results, (task["name"], result)


@pytest.fixture
def workdir() -> Iterator[Path]:
    require_bin("releasegate", "venv: pip install -e '.[test]'", where=VENV_BIN)
    yield from harness_root()


@pytest.mark.parametrize("source", [README, CACHE_DOC])
@pytest.mark.parametrize(("ref", "read_only"), [("main", False), ("feature/x", True)])
def test_the_cache_snippet_runs_and_kaniko_gets_the_flags_of_the_ref(
    source: Path, ref: str, read_only: bool, workdir: Path
) -> None:
    text = source.read_text() if source == README else _tekton_section()
    (snippet,) = [
        b
        for b in _blocks(text)
        if isinstance(b, list) and any(t.get("taskRef", {}).get("name") == "kaniko" for t in b)
    ]
    pipeline = {
        "apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "doc"},
        "spec": {
            "params": [{"name": "revision", "type": "string"}, {"name": "image", "type": "string"}],
            "workspaces": [{"name": "shared"}],
            "tasks": [{"name": "clone", "taskRef": {"name": "git-clone"},
                       "params": [{"name": "URL", "value": "https://git.example.com/a.git"},
                                  {"name": "REVISION", "value": "$(params.revision)"}],
                       "workspaces": [{"name": "output", "workspace": "shared"}]}, *snippet],
        },
    }  # fmt: skip
    file = workdir / "pipeline.yaml"
    file.write_text(yaml.safe_dump(pipeline))
    source_ws = copy_tree(
        ROOT / "examples" / "checkout", TaskRunHarness(TASK_FILE, VENV_BIN, workdir)
    )

    run = PipelineRunHarness(file, (TASK_FILE, STUBS), VENV_BIN, workdir / "runs").run(
        {"revision": ref, "image": "registry.example.com/acme/checkout"}, {"shared": source_ws}
    )

    assert run.reason == "Succeeded", run.skipped
    given = (source_ws / ".kaniko-args").read_text().splitlines()
    assert given[:2] == ["--cache=true", "--cache-repo=registry.example.com/checkout/cache"]
    assert ("--no-push-cache" in given) is read_only

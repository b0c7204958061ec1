"""The Task, the samples and the Dockerfile against the real linters and Tekton's v1 schemas."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

import releasegate
from peers.locate import ROOT
from peers.runners import Tool

#: Tekton's v1 JSON Schemas (from redhat-developer/vscode-tekton), kept beside the repository.
#: The shared folder sits beside the main checkout; a worktree sits one level deeper.
SHARED = next(
    (d / "shared" for d in (ROOT.parent, ROOT.parent.parent) if (d / "shared").is_dir()),
    ROOT.parent / "shared",
)
SCHEMAS = Path(os.environ.get("RELEASEGATE_TEKTON_SCHEMAS", SHARED / "schemas/tekton"))
TEKTON_DIR = ROOT / "adapters" / "tekton"
TASK_FILE = TEKTON_DIR / "releasegate.yaml"
PIPELINE = TEKTON_DIR / "samples" / "pipeline.yaml"
PIPELINERUN = TEKTON_DIR / "samples" / "pipelinerun.yaml"
REFERENCE = TEKTON_DIR / "samples" / "reference-pipeline.yaml"
STUBS = Path(__file__).resolve().parent / "fixtures" / "stub-tasks.yaml"
#: Replaces tekton-lint's no-undefined-result, which does not know array results' [*].
ARRAY_RULE = Path(__file__).resolve().parent / "fixtures" / "tekton-lint" / "array-results.mjs"


@pytest.fixture
def lint_config(tmp_path: Path) -> Path:
    """A .tektonlintrc.yaml with the array-aware result rule (loaded by absolute path)."""
    config = tmp_path / ".tektonlintrc.yaml"
    config.write_text(f"rules:\n  no-undefined-result: off\ncustom:\n  releasegate: {ARRAY_RULE}\n")
    return config


def _schema(name: str) -> Path:
    path = SCHEMAS / name
    if not path.is_file():
        pytest.fail(f"Tekton schema missing: {path} (the shared schemas folder)", pytrace=False)
    return path


@pytest.mark.peer("tekton-lint")
def test_task_and_samples_pass_tekton_lint(tekton_lint: Tool, lint_config: Path) -> None:
    result = tekton_lint(
        "--config", lint_config, TASK_FILE, PIPELINE, PIPELINERUN, REFERENCE, STUBS
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert " error " not in result.stdout
    assert "releasegate.yaml" not in result.stdout  # not even a warning for the Task


@pytest.mark.peer("tekton-lint")
def test_tekton_lint_catches_a_wrong_param_in_the_sample(
    tekton_lint: Tool, tmp_path: Path, lint_config: Path
) -> None:
    broken = tmp_path / "pipeline.yaml"
    broken.write_text(
        PIPELINE.read_text().replace("- name: environment\n", "- name: enviroment\n", 1)
    )

    result = tekton_lint("--config", lint_config, TASK_FILE, broken, STUBS)

    assert result.returncode == 1
    assert "enviroment" in result.stdout


@pytest.mark.peer("tekton-lint")
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("results.kaniko-args[*]", "results.kaniko-arg[*]", "undefined result 'kaniko-arg'"),
        (
            "staging-gate.results.outcome",
            "staging-gate.results.outcom",
            "undefined result 'outcom'",
        ),
    ],
)
def test_the_array_aware_rule_still_catches_undefined_results(
    tekton_lint: Tool, tmp_path: Path, lint_config: Path, old: str, new: str, message: str
) -> None:
    broken = tmp_path / "pipeline.yaml"
    broken.write_text(REFERENCE.read_text().replace(old, new, 1))

    result = tekton_lint("--config", lint_config, TASK_FILE, broken, STUBS)

    assert result.returncode == 1, result.stdout
    assert message in result.stdout


@pytest.mark.peer("check-jsonschema")
@pytest.mark.parametrize(
    ("document", "schema"),
    [(TASK_FILE, "v1_Task.json"), (PIPELINE, "v1_Pipeline.json"), (REFERENCE, "v1_Pipeline.json")],
)
def test_documents_match_the_tekton_v1_schemas(
    check_jsonschema: Tool, document: Path, schema: str
) -> None:
    result = check_jsonschema("--schemafile", _schema(schema), document)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.peer("hadolint")
def test_dockerfile_passes_hadolint(hadolint: Tool) -> None:
    result = hadolint(TEKTON_DIR / "Dockerfile")

    assert result.returncode == 0, result.stdout + result.stderr


def test_task_follows_the_catalog_conventions() -> None:
    task = yaml.safe_load(TASK_FILE.read_text())
    meta, spec = task["metadata"], task["spec"]

    major_minor = ".".join(releasegate.__version__.split(".")[:2])
    assert meta["labels"]["app.kubernetes.io/version"] == major_minor
    for key in ("pipelines.minVersion", "categories", "tags", "displayName", "platforms"):
        assert meta["annotations"][f"tekton.dev/{key}"], key
    assert [p["name"] for p in spec["params"]] == [
        "command", "environment", "config", "sha", "ref", "gate", "duration",
        "prometheus-url", "args", "fail-on", "image",
    ]  # fmt: skip
    assert all(p.get("type") == "string" and p.get("description") for p in spec["params"])
    assert [r["name"] for r in spec["results"]] == [
        "outcome", "reason", "next-weight", "rollback-to", "cache-key",
        "cache-restore-keys", "cache-save", "kaniko-args", "buildkit-args", "rollback-steps",
        "rollback-left", "forced",
    ]  # fmt: skip
    assert {r["name"] for r in spec["results"] if r.get("type") == "array"} == {
        "kaniko-args",
        "buildkit-args",
    }
    workspaces = {w["name"]: w for w in spec["workspaces"]}
    assert not workspaces["source"].get("optional")
    assert workspaces["ledger"]["optional"] is True
    security = spec["stepTemplate"]["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == 65532
    assert {"name": "HOME", "value": "/tekton/home"} in spec["stepTemplate"]["env"]


def test_params_reach_the_step_only_through_env() -> None:
    spec = yaml.safe_load(TASK_FILE.read_text())["spec"]
    (step,) = spec["steps"]
    env_values = " ".join(str(e["value"]) for e in step["env"])

    assert "$(" not in step["script"]
    for param in spec["params"]:
        if param["name"] != "image":
            assert f"$(params.{param['name']})" in env_values, param["name"]
    for result in spec["results"]:
        assert f"$(results.{result['name']}.path)" in env_values, result["name"]


def test_the_pipelinerun_fits_the_sample_pipeline() -> None:
    pipeline = yaml.safe_load(PIPELINE.read_text())["spec"]
    run = yaml.safe_load(PIPELINERUN.read_text())["spec"]

    declared = {p["name"] for p in pipeline["params"]}
    required = {p["name"] for p in pipeline["params"] if "default" not in p}
    given = {p["name"] for p in run["params"]}
    assert required <= given <= declared
    assert {w["name"] for w in run["workspaces"]} == {w["name"] for w in pipeline["workspaces"]}
    assert run["pipelineRef"]["name"] == yaml.safe_load(PIPELINE.read_text())["metadata"]["name"]

"""The sample Pipelines played as PipelineRuns, blocked and allowed, by Tekton's documented rules.

The releasegate Task runs for real (the project's venv plays its image); git-clone,
kaniko, deploy and notify are the stand-ins of ``fixtures/stub-tasks.yaml``. The
ledger workspace is a real SQLite ledger, read back after each run.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_harness import PipelineRunHarness, PipelineRunResult
from tekton_harness import TaskRunError, TaskRunHarness, copy_tree, harness_root

from peers.locate import ROOT, VENV_BIN, require_bin

TEKTON_DIR = ROOT / "adapters" / "tekton"
TASK_FILE = TEKTON_DIR / "releasegate.yaml"
EXAMPLE = ROOT / "examples" / "checkout"
STUBS = Path(__file__).resolve().parent / "fixtures" / "stub-tasks.yaml"
CLASSIC = TEKTON_DIR / "samples" / "pipeline.yaml"
REFERENCE = TEKTON_DIR / "samples" / "reference-pipeline.yaml"
IMAGE = "registry.example.com/acme/checkout"
#: kaniko's cache flags from examples/checkout/releasegate.yml (cache.kaniko)
KANIKO_WRITE = [
    "--cache=true",
    "--cache-repo=registry.example.com/checkout/cache",
    "--cache-ttl=168h",
]


def _commit(revision: str) -> str:
    """The commit the git-clone stand-in reports for ``revision``."""
    return hashlib.sha1(revision.encode()).hexdigest()


@pytest.fixture
def play(tmp_path: Path) -> Iterator[tuple[TaskRunHarness, Path]]:
    require_bin("releasegate", "venv: pip install -e '.[test]'", where=VENV_BIN)
    for root in harness_root():
        yield TaskRunHarness(TASK_FILE, VENV_BIN, root), root


def _run(pipeline: Path, root: Path, params: dict[str, str], **ws: Path) -> PipelineRunResult:
    runs = root / f"pipelineruns-{len(list(root.glob('pipelineruns-*')))}"
    harness = PipelineRunHarness(pipeline, (TASK_FILE, STUBS), VENV_BIN, runs)
    return harness.run(
        {"repo-url": "https://git.example.com/acme/checkout.git", "image": IMAGE, **params}, ws
    )


def _workspaces(taskruns: TaskRunHarness) -> tuple[Path, Path]:
    return copy_tree(EXAMPLE, taskruns), taskruns.workspace("ledger")


def _deployments(ledger: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(ledger / "ledger.db") as db:
        rows = db.execute("SELECT environment, sha, status FROM deployments ORDER BY id").fetchall()
    return [tuple(r) for r in rows]


def _record_dev(taskruns: TaskRunHarness, source: Path, ledger: Path, sha: str) -> None:
    done = taskruns.run(
        {
            "command": "record",
            "environment": "dev",
            "sha": sha,
            "args": "--status success --force 'dev deployed before this pipeline'",
        },
        {"source": source, "ledger": ledger},
    )
    assert done.succeeded and done.results["outcome"] == "ok", done.stderr


def test_a_blocked_staging_gate_records_nothing_and_production_blocks_on_from_staging(
    play: tuple[TaskRunHarness, Path],
) -> None:
    taskruns, root = play
    source, ledger = _workspaces(taskruns)  # no dev deployment: staging's `from: dev` blocks

    run = _run(CLASSIC, root, {"revision": "main"}, shared=source, ledger=ledger)

    assert run.results("staging-gate")["outcome"] == "block"
    # task-scoped `when`: the gate's own guard skips deploy-staging and staging-recorded ...
    assert run.status["deploy-staging"] == run.status["staging-recorded"] == "None"
    assert "when 'block' in ['allow']" in run.skipped["staging-recorded"]
    # ... and production-gate, only ordered after them, still runs (docs/pipelines.md)
    production = run.results("production-gate")
    assert production["outcome"] == "block"
    assert "from staging:" in production["reason"]
    assert not [d for d in _deployments(ledger) if d[0] == "staging"]
    # the canary is skipped by its when; so is the rollback that reads its result
    assert run.status["canary"] == run.status["production-recorded"] == "None"
    assert run.skipped["rollback"].endswith("of canary, which did not run")
    # the report reads statuses only, so it runs; every TaskRun that ran succeeded
    assert run.ran("report")
    assert run.params["report"]["message"] == (
        "staging gate: Succeeded, production gate: Succeeded, canary: None; pipeline: Completed"
    )
    assert run.reason == "Completed"


def test_an_allowed_staging_gate_deploys_records_and_production_no_longer_blocks_on_staging(
    play: tuple[TaskRunHarness, Path],
) -> None:
    taskruns, root = play
    source, ledger = _workspaces(taskruns)
    sha = _commit("main")
    _record_dev(taskruns, source, ledger, sha)

    run = _run(CLASSIC, root, {"revision": "main"}, shared=source, ledger=ledger)

    assert run.results("staging-gate")["outcome"] == "allow", run.results("staging-gate")
    assert run.status["deploy-staging"] == run.status["staging-recorded"] == "Succeeded"
    digest = run.results("build")["IMAGE_DIGEST"]
    assert run.params["deploy-staging"]["image"] == f"{IMAGE}@{digest}"
    assert ("staging", sha, "success") in _deployments(ledger)
    production = run.results("production-gate")
    assert production["outcome"] == "block"  # approvals, soak... but staging is satisfied
    assert "from staging:" not in production["reason"]


def test_a_failed_deploy_stops_the_run_before_the_record(
    play: tuple[TaskRunHarness, Path], tmp_path: Path
) -> None:
    taskruns, root = play
    source, ledger = _workspaces(taskruns)
    _record_dev(taskruns, source, ledger, _commit("main"))
    stubs = tmp_path / "stubs.yaml"
    stubs.write_text(STUBS.read_text().replace('echo "deploy $ENVIRONMENT', 'exit 1; echo "'))
    harness = PipelineRunHarness(CLASSIC, (TASK_FILE, stubs), VENV_BIN, root / "runs")

    run = harness.run(
        {"repo-url": "https://git.example.com/a.git", "image": IMAGE, "revision": "main"},
        {"shared": source, "ledger": ledger},
    )

    assert run.status["deploy-staging"] == "Failed"
    # "PipelineRun Status with finally": no new Task starts after a failure; finally runs
    assert run.status["staging-recorded"] == "None"
    assert not run.ran("production-gate")
    assert run.aggregate == "Failed" and run.reason == "Failed"
    assert "pipeline: Failed" in run.params["report"]["message"]
    assert not [d for d in _deployments(ledger) if d[0] == "staging" and d[2] == "success"]


@pytest.mark.parametrize(
    ("revision", "write"),
    [("main", True), ("release/2.1", True), ("feature/login", False), ("refs/pull/7/head", False)],
)
def test_the_cache_flags_that_reach_kaniko_follow_the_ref(
    play: tuple[TaskRunHarness, Path], revision: str, write: bool
) -> None:
    taskruns, root = play
    source, ledger = _workspaces(taskruns)

    run = _run(REFERENCE, root, {"revision": revision}, shared=source, ledger=ledger)

    cache = run.results("cache")
    assert run.status["cache"] == "Succeeded" and cache["outcome"] == "ok", cache
    expected = KANIKO_WRITE if write else [*KANIKO_WRITE, "--no-push-cache"]
    assert cache["kaniko-args"] == expected
    assert cache["cache-save"] == ("true" if write else "false")
    assert run.params["build"]["EXTRA_ARGS"] == expected
    # what the kaniko stand-in was started with: the flags first, then the catalog Task's own
    given = (source / ".kaniko-args").read_text().splitlines()
    assert given[: len(expected)] == expected
    assert given[len(expected)] == "--dockerfile=./Dockerfile"
    assert ("--no-push-cache" in given) is not write


def test_the_reference_pipeline_blocked_and_allowed(play: tuple[TaskRunHarness, Path]) -> None:
    taskruns, root = play
    source, ledger = _workspaces(taskruns)

    blocked = _run(REFERENCE, root, {"revision": "main"}, shared=source, ledger=ledger)
    _record_dev(taskruns, source, ledger, _commit("main"))
    allowed = _run(REFERENCE, root, {"revision": "main"}, shared=source, ledger=ledger)

    assert blocked.results("staging-gate")["outcome"] == "block"
    assert blocked.status["deploy-staging"] == blocked.status["record-staging"] == "None"
    assert blocked.reason == "Completed"
    assert allowed.status["deploy-staging"] == allowed.status["record-staging"] == "Succeeded"
    assert allowed.reason == "Succeeded"
    assert [d[0] for d in _deployments(ledger) if d[2] == "success"] == ["dev", "staging"]


def test_without_its_own_when_a_record_after_a_skipped_deploy_still_runs(
    play: tuple[TaskRunHarness, Path], tmp_path: Path
) -> None:
    """The bug the samples are built against, played: guarded only by runAfter, the record runs;
    it can no longer record a success the gate blocked, so the chain holds even here."""
    taskruns, root = play
    source, ledger = _workspaces(taskruns)
    unsafe = tmp_path / "unsafe.yaml"
    text = REFERENCE.read_text()
    head, tail = text.split("    - name: record-staging\n")
    tail = tail.replace(
        "      when:\n        - input: $(tasks.staging-gate.results.outcome)\n"
        '          operator: in\n          values: ["allow"]\n',
        "",
        1,
    )
    unsafe.write_text(head + "    - name: record-staging\n" + tail)

    run = _run(unsafe, root, {"revision": "main"}, shared=source, ledger=ledger)

    assert run.results("staging-gate")["outcome"] == "block"
    assert run.status["deploy-staging"] == "None"
    assert run.status["record-staging"] == "Failed"  # refused: no allowed promotion on file
    assert "no allowed promotion of" in run.results("record-staging")["reason"]
    assert ("staging", _commit("main"), "success") not in _deployments(ledger)


def test_the_harness_refuses_what_the_controller_would(
    play: tuple[TaskRunHarness, Path], tmp_path: Path
) -> None:
    taskruns, root = play
    source, ledger = _workspaces(taskruns)
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        REFERENCE.read_text().replace("results.kaniko-args[*]", "results.kaniko-arg[*]")
    )
    with pytest.raises(TaskRunError, match="Task cache declares no result kaniko-arg"):
        _run(broken, root, {"revision": "main"}, shared=source, ledger=ledger)
    broken.write_text(
        REFERENCE.read_text().replace(
            "input: $(tasks.staging-gate.results.outcome)", "input: $(tasks.staging-gate.status)", 1
        )
    )
    with pytest.raises(TaskRunError, match=r"\$\(tasks.staging-gate.status\) outside finally"):
        _run(broken, root, {"revision": "main"}, shared=source, ledger=ledger)

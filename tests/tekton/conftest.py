"""Fixtures for the Tekton adapter's tests: a TaskRun harness over the real Task and workspaces.

I/O: runs the Task's step (the project's venv stands in for the image) as its
``runAsUser`` when the tests run as root, in directories under the system temp dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tekton_harness import TaskRunHarness, copy_tree, harness_root

from peers.locate import ROOT, VENV_BIN, require_bin

#: The adapter's directory: the Task, its samples, the Dockerfile.
TEKTON_DIR = ROOT / "adapters" / "tekton"
TASK_FILE = TEKTON_DIR / "releasegate.yaml"
#: The example service whose policy and reports the v1 contract promises to keep passing.
EXAMPLE = ROOT / "examples" / "checkout"


@pytest.fixture
def taskrun() -> Iterator[TaskRunHarness]:
    """``taskrun.run(params, workspaces)`` runs one TaskRun of ``adapters/tekton/releasegate.yaml``."""
    require_bin("releasegate", "venv: pip install -e '.[test]'", where=VENV_BIN)
    for root in harness_root():
        yield TaskRunHarness(TASK_FILE, VENV_BIN, root)


@pytest.fixture
def checkout_source(taskrun: TaskRunHarness) -> Path:
    """A ``source`` workspace holding a copy of ``examples/checkout`` (policy and reports)."""
    return copy_tree(EXAMPLE, taskrun)


@pytest.fixture
def ledger_workspace(taskrun: TaskRunHarness) -> Path:
    """An empty ``ledger`` workspace; bind it to several TaskRuns to share the ledger."""
    return taskrun.workspace("ledger")

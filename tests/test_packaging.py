"""The distribution: a wheel built from the tree holds the package data, and works once installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("core", "adapters"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
    )
    [built] = out.glob("releasegate-*.whl")
    return built


def test_the_wheel_holds_the_package_data_and_nothing_else(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for required in (
        "releasegate/py.typed",
        "releasegate/policy/releasegate.schema.json",
        "releasegate/adapters/gitlab/templates/promote.yml",
        "releasegate/adapters/tekton/releasegate.yaml",
        "releasegate/adapters/github_actions/plugin.py",
        "releasegate/cli/__init__.py",
    ):
        assert required in names, required
    assert not [n for n in names if n.startswith(("core/", "adapters/", "tests/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "releasegate = releasegate.cli:run" in text


def test_the_installed_wheel_runs(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RELEASEGATE_")},
        "PYTHONPATH": str(target),
        "RELEASEGATE_LEDGER": str(tmp_path / "l.db"),
    }
    code = "import releasegate, sys; print(releasegate.__file__)"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "releasegate",
            "check",
            "-c",
            str(ROOT / "examples" / "checkout" / "releasegate.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    located = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert located.stdout.startswith(str(target)), located.stdout

"""The whole tree passes ruff, and the package passes ``mypy --strict`` as it is installed.

mypy sees the package under its installed name: ``core/`` is ``releasegate`` and
``adapters/`` is ``releasegate.adapters`` (pyproject's ``package-dir``), which an
editable install hides from it, so the test lays that mapping out with symlinks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, check=False)


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing(tmp_path: Path) -> None:
    package = tmp_path / "releasegate"
    package.mkdir()
    for entry in (ROOT / "core").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "adapters").symlink_to(ROOT / "adapters")
    env = {**os.environ, "MYPYPATH": str(tmp_path)}
    result = _run("mypy", "--cache-dir", str(tmp_path / ".mypy_cache"), "-p", "releasegate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout

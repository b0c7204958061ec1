"""Run mypy --strict and the import contract over the package under its installed name.

The package is ``releasegate`` (``core/``) with ``releasegate.adapters`` (``adapters/``), a
mapping pyproject's ``package-dir`` makes and an editable install hides from tools that walk
the source tree. This lays the mapping out with symlinks in a temporary directory and runs the
tools there. The test suite (tests/test_static.py, tests/test_architecture.py) and the
pre-commit hooks both call it, so they check the same thing.

    python scripts/typecheck.py mypy      # mypy --strict -p releasegate
    python scripts/typecheck.py imports   # lint-imports with pyproject's contracts
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layout(into: Path) -> Path:
    """``into/releasegate`` as the installed package looks; returns ``into``."""
    package = into / "releasegate"
    package.mkdir()
    for entry in (ROOT / "core").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "adapters").symlink_to(ROOT / "adapters")
    return into


def lint_imports(top: Path, *, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with pyproject's contracts over the package laid out in ``top``."""
    # The installed-name copy comes first on the path, before the editable install's finder.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(top), os.environ.get("PYTHONPATH", "")]),
    }
    lint = Path(sys.executable).parent / "lint-imports"
    cmd = [str(lint), str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"]
    return subprocess.run(cmd, cwd=top, env=env, check=False, capture_output=capture, text=True)


def run(tool: str) -> int:
    with tempfile.TemporaryDirectory(prefix="releasegate-typecheck-") as tmp:
        top = layout(Path(tmp))
        if tool == "mypy":
            env = {**os.environ, "MYPYPATH": str(top)}
            cmd = [
                sys.executable,
                "-m",
                "mypy",
                "--cache-dir",
                str(top / ".mypy_cache"),
                "-p",
                "releasegate",
            ]
            return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
        if tool == "imports":
            return lint_imports(top).returncode
    print(f"typecheck: unknown tool {tool!r} (mypy or imports)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(run(sys.argv[1]))

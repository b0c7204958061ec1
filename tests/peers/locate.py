"""Where ``scripts/test.sh`` installs the test peers, and the failure raised when one is missing.

I/O: looks at the file system only.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = [
    "CACHE",
    "NPM_BIN",
    "OPENAPI_FILE",
    "ROOT",
    "VENV_BIN",
    "missing_peer",
    "require_bin",
    "require_file",
]

#: The repository root (``tests/peers/`` is two levels below it).
ROOT: Path = Path(__file__).resolve().parents[2]
#: The venv created by ``scripts/test.sh``.
VENV_BIN: Path = ROOT / ".venv" / "bin"
#: Everything else the test command downloads.
CACHE: Path = Path(os.environ.get("RELEASEGATE_TEST_CACHE", ROOT / ".cache"))
#: Binaries of the npm packages installed into the project-local prefix.
NPM_BIN: Path = CACHE / "npm" / "node_modules" / ".bin"
#: GitHub's REST API description extracted from ``@octokit/openapi``.
OPENAPI_FILE: Path = CACHE / "github-openapi" / "api.github.com.json"


def missing_peer(what: str, step: str) -> NoReturn:
    """Fail the current test because a peer that ``scripts/test.sh`` installs is absent.

    :param what: the missing thing, e.g. ``"promtool (/usr/bin/promtool)"``.
    :param step: the install step of ``scripts/test.sh`` that provides it.
    :raises pytest.fail.Exception: always; the test fails, it is never skipped.
    """
    pytest.fail(
        f"test peer missing: {what}; scripts/test.sh installs it in step '{step}':"
        " run `bash scripts/test.sh` (or that step) and try again",
        pytrace=False,
    )


def require_bin(name: str, step: str, *, where: Path | None = None) -> Path:
    """Return the path of an executable peer, failing the test when it is not installed.

    :param name: the executable's name.
    :param step: the install step of ``scripts/test.sh`` that provides it.
    :param where: look only in this directory (a venv or npm prefix) instead of ``PATH``.
    :returns: the absolute path of the executable.
    """
    if where is not None:
        candidate = where / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        missing_peer(f"{name} ({candidate})", step)
    found = shutil.which(name)
    if found is None:
        missing_peer(f"{name} (not on PATH)", step)
    return Path(found)


def require_file(path: Path, step: str) -> Path:
    """Return ``path`` when it is a non-empty file, failing the test otherwise.

    :param path: the file a peer needs.
    :param step: the install step of ``scripts/test.sh`` that provides it.
    :returns: ``path`` unchanged.
    """
    if not path.is_file() or path.stat().st_size == 0:
        missing_peer(str(path), step)
    return path

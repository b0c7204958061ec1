"""Listing the repository's files and hashing lockfiles (I/O: runs git, reads files).

Inside a git work tree the list comes from ``git ls-files`` (tracked plus untracked
files that .gitignore does not exclude); elsewhere from a walk that skips VCS and
vendored directories. Either way paths are relative to the root with ``/``
separators, so the pure planner sees the same list on every machine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from releasegate.cache.ecosystems import SKIP_DIRS
from releasegate.cache.keys import LineEndingHasher
from releasegate.errors import UsageError

CHUNK = 1 << 16


def list_files(root: Path) -> tuple[list[str], str]:
    """Every file under ``root`` and how they were found (``git ls-files`` or ``walk``)."""
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory; pass --root with the repository's checkout")
    listed = _git_files(root)
    if listed is not None:
        return listed, "git ls-files"
    return _walk(root), "walk"


def _git_files(root: Path) -> list[str] | None:
    try:
        out = subprocess.run(
            [
                "git",
                "-c",
                "core.quotePath=off",
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            cwd=root,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    names = out.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})


def _walk(root: Path) -> list[str]:
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        rel = os.path.relpath(directory, root)
        base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found += [base + name for name in files]
    return sorted(found)


def digest_file(path: Path) -> str:
    """The line-ending independent sha256 of one file, read in chunks."""
    hasher = LineEndingHasher()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def digest_files(root: Path, paths: Iterable[str]) -> dict[str, str]:
    """``{path: digest}``; a file that cannot be read (deleted, a directory, no permission) is left out."""
    digests = {}
    for rel in paths:
        try:
            digests[rel] = digest_file(root / rel)
        except OSError:
            continue
    return digests


def default_branch(root: Path) -> str | None:
    """The default branch as the clone knows it (``origin/HEAD``), or ``None``."""
    try:
        out = subprocess.run(
            ["git", "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    name = out.stdout.strip()
    return name.split("/", 1)[1] if out.returncode == 0 and "/" in name else None

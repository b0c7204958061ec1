"""Runs the installed ``releasegate`` console script as a subprocess, as CI users run it.

I/O: runs ``.venv/bin/releasegate``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

import pytest

from peers.locate import VENV_BIN, require_bin

__all__ = ["CliResult", "RunCli", "run_cli"]


class CliResult(NamedTuple):
    """What one run of the CLI gave: unpack as ``code, out, err = run_cli(...)``."""

    code: int
    stdout: str
    stderr: str


class RunCli(Protocol):
    """The type of the :func:`run_cli` fixture's value."""

    def __call__(
        self,
        *args: str | os.PathLike[str],
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,  # noqa: A002 - subprocess's name
        timeout: float = 60,
    ) -> CliResult:
        """Run ``releasegate ARGS``."""
        ...


@pytest.fixture(scope="session")
def run_cli() -> RunCli:
    """Runner: ``run_cli(*args, cwd=..., env=...)`` runs ``.venv/bin/releasegate``.

    The child gets this process's environment without any ``RELEASEGATE_*`` variable (so
    the outer shell cannot change a test's result), plus ``env``.
    """
    binary = require_bin("releasegate", "venv: pip install -e '.[test]'", where=VENV_BIN)

    def run(
        *args: str | os.PathLike[str],
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,  # noqa: A002
        timeout: float = 60,
    ) -> CliResult:
        base = {k: v for k, v in os.environ.items() if not k.startswith("RELEASEGATE_")}
        result = subprocess.run(
            [str(binary), *(str(a) for a in args)],
            cwd=cwd,
            env={**base, **(env or {})},
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return CliResult(result.returncode, result.stdout, result.stderr)

    return run

"""The two ways a test runs the ``releasegate`` CLI: ``invoke`` in this process, ``run_cli`` as the
installed console script in a child process (I/O: runs ``.venv/bin/releasegate``).

Both take the same call and give the same :class:`CliResult`::

    code, out, err = invoke("check", "-c", path, cwd=tmp_path, env={"RELEASEGATE_LEDGER": db})
    code, out, err = run_cli("check", "-c", path, cwd=tmp_path, env={"RELEASEGATE_LEDGER": db})

and give the command the same environment (:func:`cli_environment`): this process's, without
the variables through which the shell or a CI job running the suite could change a result
(``RELEASEGATE_*``, the CLI's own defaults; ``GITHUB_*``, ``GITLAB_*``, ``CI`` and ``CI_*``, from
which a CI platform claims the run), plus ``env``.

``invoke`` calls ``releasegate.cli.main(argv, env=...)`` with stdout and stderr captured, in
``cwd``. No interpreter starts, so it is the runner for most tests and for the many-case corpora
(hostile policies, hostile reports). It fails the test when ``main`` raises or returns anything
but an int: an in-process traceback never passes for an exit code.

``run_cli`` runs ``.venv/bin/releasegate`` as CI users run it. Use it when the console script is
what is tested: the exit status of the process, no traceback on stderr, what the process takes
from its environment (plugins found on ``PYTHONPATH`` through their entry points, the modules a
command imports at start), or output read while the command still runs (``run_cli.start``).

These are the only two: ``tests/test_suite_rules.py`` refuses a test module that imports
``releasegate.cli.main`` or starts the console script itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import subprocess
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

import pytest

from peers.locate import VENV_BIN, require_bin

__all__ = ["CliResult", "ConsoleScript", "Invoke", "cli_environment", "invoke", "run_cli"]

#: Prefixes of the variables neither runner passes on from this process (``CI`` itself neither).
STRIPPED_PREFIXES = ("RELEASEGATE_", "GITHUB_", "GITLAB_", "CI_")


class CliResult(NamedTuple):
    """What one run of the CLI gave: unpack as ``code, out, err = run_cli(...)``."""

    code: int
    stdout: str
    stderr: str


def cli_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a command gets from either runner: this process's, without
    ``RELEASEGATE_*``, ``GITHUB_*``, ``GITLAB_*``, ``CI`` and ``CI_*``, plus ``env``."""
    base = {
        k: v for k, v in os.environ.items() if k != "CI" and not k.startswith(STRIPPED_PREFIXES)
    }
    return {**base, **(env or {})}


class Invoke(Protocol):
    """The type of the :func:`invoke` fixture's value."""

    def __call__(
        self,
        *args: str | os.PathLike[str],
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,  # noqa: A002 - run_cli's name
    ) -> CliResult:
        """Run ``releasegate ARGS`` in this process."""
        ...


@pytest.fixture(scope="session")
def invoke() -> Invoke:
    """Runner: ``invoke(*args, cwd=..., env=..., input=...)`` calls ``releasegate.cli.main``
    in this process, in ``cwd``, with stdout, stderr (and stdin, ``input`` or empty) replaced."""

    def run(
        *args: str | os.PathLike[str],
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,  # noqa: A002
    ) -> CliResult:
        import releasegate.cli  # at call time, so a test can replace ``main`` (test_cli_runners)

        argv = [str(a) for a in args]
        environ = cli_environment(env)
        out, err = io.StringIO(), io.StringIO()
        here, stdin = os.getcwd(), sys.stdin
        sys.stdin = io.StringIO(input or "")  # run_cli's child reads /dev/null without input
        try:
            if cwd is not None:
                os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = releasegate.cli.main(argv, env=environ)
        except (Exception, SystemExit):
            pytest.fail(
                f"releasegate {shlex.join(argv)}: releasegate.cli.main raised instead of "
                f"returning an exit code\n{traceback.format_exc()}stderr so far:\n{err.getvalue()}"
            )
        finally:
            sys.stdin = stdin
            os.chdir(here)
        if type(code) is not int:  # not even a bool: main's contract is a plain int
            pytest.fail(
                f"releasegate {shlex.join(argv)}: releasegate.cli.main returned {code!r}, "
                f"not an exit code\nstderr:\n{err.getvalue()}"
            )
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


class ConsoleScript:
    """The value of :func:`run_cli`: the installed ``releasegate`` console script."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def __call__(
        self,
        *args: str | os.PathLike[str],
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,  # noqa: A002 - subprocess's name
        timeout: float = 60,
    ) -> CliResult:
        """Run ``releasegate ARGS`` to its end."""
        result = subprocess.run(
            [str(self.binary), *(str(a) for a in args)],
            cwd=cwd,
            env=cli_environment(env),
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return CliResult(result.returncode, result.stdout, result.stderr)

    def start(
        self,
        *args: str | os.PathLike[str],
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[str]:
        """Start ``releasegate ARGS`` and return at once, to read its ``stdout`` while it runs.

        stderr is discarded (an unread pipe could stall the command). Use the process as a
        context manager, and kill it if the test does not read to the end.
        """
        return subprocess.Popen(
            [str(self.binary), *(str(a) for a in args)],
            cwd=cwd,
            env=cli_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )


@pytest.fixture(scope="session")
def run_cli() -> ConsoleScript:
    """Runner: ``run_cli(*args, cwd=..., env=..., input=..., timeout=60)`` runs
    ``.venv/bin/releasegate`` in a child process; ``run_cli.start(...)`` starts it."""
    return ConsoleScript(
        require_bin("releasegate", "venv: pip install -e '.[test]'", where=VENV_BIN)
    )

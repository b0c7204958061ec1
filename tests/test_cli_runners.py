"""The suite's two CLI runners (``tests/peers/cli.py``) agree: a command run in this process by
``invoke`` gives the code, stdout and stderr the console script gives through ``run_cli``, from the
same environment; and ``invoke`` fails the test rather than pass off a traceback as an exit code."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from peers.cli import ConsoleScript, Invoke

BAD = "version: 1\nenvironments: [{name: a}, {name: a}]\n"
GOOD = "version: 1\nenvironments: [{name: a}]\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "releasegate.yml").write_text(BAD)
    (tmp_path / "good.yml").write_text(GOOD)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "code", "stream", "start"),
    [
        (("--version",), 0, "stdout", "releasegate "),
        (("check", "-c", "releasegate.yml"), 2, "stderr", "releasegate.yml:"),
        (("check",), 2, "stderr", "releasegate.yml:"),
        (("check", "-c", "good.yml"), 0, "stdout", "good.yml: valid"),
        (("promote", "--to"), 2, "stderr", "releasegate promote: error: "),
        ((), 2, "stderr", "usage: releasegate "),
    ],
)
def test_both_runners_give_the_same_result(
    run_cli: ConsoleScript,
    invoke: Invoke,
    project: Path,
    args: tuple[str, ...],
    code: int,
    stream: str,
    start: str,
) -> None:
    child = run_cli(*args, cwd=project)
    here = invoke(*args, cwd=project)
    assert here == child
    assert here.code == code and getattr(here, stream).startswith(start), here


def test_the_outer_environment_reaches_neither_runner(
    run_cli: ConsoleScript, invoke: Invoke, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable set by the shell or the CI job running the suite could turn the bad policy
    into the good one or make a CI platform claim the run; only ``env`` counts."""
    monkeypatch.setenv("RELEASEGATE_CONFIG", str(project / "good.yml"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("CI_COMMIT_SHA", "0" * 40)
    for runner in (run_cli, invoke):
        code, _, err = runner("check", cwd=project)
        assert code == 2 and "duplicate environment 'a'" in err, err
        given = runner("check", cwd=project, env={"RELEASEGATE_CONFIG": "good.yml"})
        assert given.code == 0, given


def test_invoke_runs_in_cwd_and_returns_to_where_it_was(invoke: Invoke, project: Path) -> None:
    here = os.getcwd()
    assert invoke("check", "-c", "good.yml", cwd=project).code == 0
    assert os.getcwd() == here


@pytest.mark.parametrize(
    ("main", "message"),
    [
        (lambda argv, env: 1 / 0, "releasegate.cli.main raised instead of returning an exit code"),
        (
            lambda argv, env: sys.exit(0),
            "releasegate.cli.main raised instead of returning an exit code",
        ),
        (lambda argv, env: None, "releasegate.cli.main returned None, not an exit code"),
        (lambda argv, env: True, "releasegate.cli.main returned True, not an exit code"),
        (lambda argv, env: "0", "releasegate.cli.main returned '0', not an exit code"),
    ],
    ids=["raises", "exits", "none", "bool", "str"],
)
def test_invoke_fails_the_test_unless_main_returns_an_exit_code(
    invoke: Invoke,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    main: Callable[..., object],
    message: str,
) -> None:
    monkeypatch.setattr("releasegate.cli.main", main)
    here = os.getcwd()
    with pytest.raises(pytest.fail.Exception, match=f"^releasegate check -q: {re.escape(message)}"):
        invoke("check", "-q", cwd=project)
    assert os.getcwd() == here

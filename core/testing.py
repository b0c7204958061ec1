"""A pytest plugin for releasegate's own tests and for plugin authors (test-only I/O).

Loaded automatically through the ``pytest11`` entry point once releasegate is
installed. Fixtures: ``releasegate_clock`` (a frozen clock whose ``sleep``
advances it), ``releasegate_ledger`` (a ledger in a temp dir),
``releasegate_policy`` (write and load a policy) and ``releasegate_cli`` (run
the CLI in-process with the frozen clock, capturing output and exit code).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from releasegate.ledger import Ledger
from releasegate.policy import Policy, load_policy


class FrozenClock:
    """A clock that only moves when told to; ``sleep`` advances it instead of waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def releasegate_clock() -> FrozenClock:
    """A :class:`FrozenClock` at Monday 2026-03-02 10:00 UTC."""
    return FrozenClock()


@pytest.fixture
def releasegate_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """An empty ledger in a temporary directory."""
    ledger = Ledger.open(tmp_path / "ledger.db")
    yield ledger
    ledger.close()


@pytest.fixture
def releasegate_policy(tmp_path: Path) -> Any:
    """``write(text, name="releasegate.yml", env=None) -> Policy``: dedent, write and load a policy."""

    def write(
        text: str, name: str = "releasegate.yml", env: dict[str, str] | None = None
    ) -> Policy:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return load_policy(str(path), env or {})

    return write


@pytest.fixture
def releasegate_cli(
    tmp_path: Path, releasegate_clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> Any:
    """``run(*args, env=None) -> CliResult``: the CLI in-process, ledger in tmp, frozen clock."""
    from releasegate.cli import main

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        environ = {"RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"), "CI": "true", **(env or {})}
        out = io.StringIO()
        capsys.readouterr()
        code = main(
            list(args), environ, clock=releasegate_clock, sleep=releasegate_clock.sleep, stdout=out
        )
        captured = capsys.readouterr()
        return CliResult(code, out.getvalue() + captured.out, captured.err)

    return run

"""Every exit code, each from a real command on real input (0 pass, 1 blocked, 2 usage/policy,
3 inconclusive, 4 provider failure)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from peers.cli import CliResult, ConsoleScript

ROOT = Path(__file__).resolve().parents[2]
SHA = "e" * 40
#: ``releasegate(cwd, *args)``, the fixture below.
Releasegate = Callable[..., CliResult]
POLICY = """\
version: 1
service: web
environments:
  - name: production
gates:
  errors:
    provider: file
    interval: 1m
    on_inconclusive: pause   # missing data holds (3); under the default fail it rolls back (1)
    metrics:
      - {name: error-rate, query: errors, judge: threshold, fail_if: "> 0.05"}
  live:
    provider: prometheus
    address: http://127.0.0.1:{port}
    interval: 1m
    retries: 0
    timeout: 2s
    metrics:
      - {name: error-rate, query: 'rate(errors_total{service="{service}"}[1m])', judge: threshold, fail_if: "> 0.05"}
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def releasegate(run_cli: ConsoleScript) -> Releasegate:
    """``releasegate(cwd, *args)``: the console script in ``cwd``, with its ledger there."""

    def run(cwd: Path, *args: str) -> CliResult:
        return run_cli(*args, cwd=cwd, env={"RELEASEGATE_LEDGER": str(cwd / "ledger.db")})

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "checkout", tmp_path / "checkout")
    (tmp_path / "gates.yml").write_text(POLICY.replace("{port}", str(closed_port())))
    return tmp_path


def replay_csv(tmp_path: Path, values: list[str]) -> str:
    rows = ["time,metric,variant,value,count"]
    rows += [f"{1767225600 + 60 * i},error-rate,canary,{v},100" for i, v in enumerate(values)]
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_exit_0_allowed(releasegate: Releasegate, project: Path) -> None:
    checkout = project / "checkout"
    assert (
        releasegate(checkout, "record-check", "lint", "--sha", SHA, "--status", "passed").code == 0
    )
    assert releasegate(checkout, "promote", "--to", "dev", "--sha", SHA).code == 0
    assert (
        releasegate(checkout, "record", "--env", "dev", "--sha", SHA, "--status", "success").code
        == 0
    )
    done = releasegate(checkout, "promote", "--to", "staging", "--sha", SHA, "--dry-run")
    assert (done.code, done.stdout.split()[0]) == (0, "ALLOW")


def test_exit_1_blocked_and_rolled_back(releasegate: Releasegate, project: Path) -> None:
    done = releasegate(
        project / "checkout", "promote", "--to", "production", "--sha", SHA, "--dry-run"
    )
    assert (done.code, done.stdout.split()[0]) == (1, "BLOCK")
    replay = releasegate(
        project,
        "replay",
        "-c",
        "gates.yml",
        "--gate",
        "errors",
        "--metrics",
        replay_csv(project, ["0.01", "0.2"]),
    )
    assert replay.code == 1
    assert '"outcome": "rollback"' in replay.stdout.splitlines()[-1]


def test_exit_2_usage_and_policy(releasegate: Releasegate, project: Path) -> None:
    assert releasegate(project, "promote", "--to").code == 2
    (project / "bad.yml").write_text("version: 1\nenvironments: [{name: a}, {name: a}]\n")
    done = releasegate(project, "check", "-c", "bad.yml")
    assert done.code == 2 and "duplicate environment 'a'" in done.stderr


def test_exit_3_inconclusive(releasegate: Releasegate, project: Path) -> None:
    done = releasegate(
        project,
        "replay",
        "-c",
        "gates.yml",
        "--gate",
        "errors",
        "--metrics",
        replay_csv(project, ["0.01", ""]),
    )
    assert done.code == 3
    assert '"outcome": "inconclusive"' in done.stdout.splitlines()[-1]


def test_exit_4_provider_failure(releasegate: Releasegate, project: Path) -> None:
    done = releasegate(project, "analyze", "-c", "gates.yml", "--gate", "live", "--once")
    assert done.code == 4, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert (
        "the provider failed" in done.stdout
        and "check the address and that the server is up" in done.stdout
    )

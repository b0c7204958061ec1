"""End to end: the installed ``releasegate`` console script on examples/checkout."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from peers.cli import CliResult, ConsoleScript

EXAMPLE = Path(__file__).parents[2] / "examples" / "checkout"
SHA = "3f2a9c1d4b5e6f708192a3b4c5d6e7f809102132"
MONDAY = "2026-03-30T10:00:00+02:00"


@pytest.fixture
def run(run_cli: ConsoleScript, tmp_path: Path) -> Callable[..., CliResult]:
    """``run(*args)``: the console script on the example's policy, with a ledger in tmp_path."""
    ledger = str(tmp_path / "ledger.db")

    def call(*args: str) -> CliResult:
        return run_cli(
            *args,
            "-c",
            str(EXAMPLE / "releasegate.yml"),
            "--ledger",
            ledger,
            cwd=tmp_path,
            env={"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )

    return call


def test_staging_allows_and_production_blocks_for_stated_reasons(run) -> None:
    assert run("record-check", "lint", "--sha", SHA, "--status", "passed").code == 0
    assert run("promote", "--to", "dev", "--sha", SHA).code == 0
    assert run("record", "--env", "dev", "--sha", SHA, "--status", "success").code == 0
    staging = run("promote", "--to", "staging", "--sha", SHA, "--format", "json")
    assert staging.code == 0, staging.stdout + staging.stderr
    assert json.loads(staging.stdout)["outcome"] == "allow"
    assert run("record", "--env", "staging", "--sha", SHA, "--status", "success").code == 0

    production = run(
        "promote",
        "--to",
        "production",
        "--sha",
        SHA,
        "--dry-run",
        "--at",
        MONDAY,
        "--format",
        "json",
    )
    assert production.code == 1, production.stderr
    body = json.loads(production.stdout)
    statuses = {r["name"]: r["status"] for r in body["requirements"]}
    assert body["outcome"] == "block"
    assert statuses["validation coverage"] == "fail"
    assert statuses["validation dependency-audit"] == "fail"
    assert statuses["criterion coverage >= 80"] == "fail"
    assert statuses["approvals release-leads"] == "fail"
    assert statuses["from staging"] == "pass"
    assert statuses["deploy window"] == "pass"
    assert statuses["freeze 2026-12-20 to 2027-01-04"] == "pass"


def test_second_promotion_waits_for_the_first(run) -> None:
    assert run("promote", "--to", "dev", "--sha", SHA).code == 1  # lint check missing
    run("record-check", "lint", "--sha", SHA, "--status", "passed")
    assert run("promote", "--to", "dev", "--sha", SHA).code == 0
    again = run("promote", "--to", "dev", "--sha", SHA)
    assert again.code == 1
    assert "in progress: 3f2a9c1d4b5e" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("promote", "--to", "qa", "--sha", SHA), "--to qa: no such environment"),
        (
            ("promote", "--to", "dev", "--sha", SHA, "--break-glass", " "),
            "--break-glass needs a reason",
        ),
        (("promote", "--to", "dev", "--sha", SHA, "--at", MONDAY), "allowed only with --dry-run"),
        (("record-check", "lint", "--sha", SHA, "--status", "maybe"), "invalid choice: 'maybe'"),
    ],
)
def test_usage_errors_exit_2(run, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.code == 2
    assert message in result.stderr


def test_missing_report_blocks(run, run_cli: ConsoleScript, tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", ".releasegate"))
    (copy / "reports" / "unit" / "pytest.xml").unlink()
    run("record-check", "lint", "--sha", SHA, "--status", "passed")
    result = run_cli(
        "promote",
        "--to",
        "dev",
        "--sha",
        SHA,
        "-c",
        str(copy / "releasegate.yml"),
        "--ledger",
        str(tmp_path / "ledger.db"),
        "--dry-run",
        "--format",
        "json",
        cwd=tmp_path,
        env={"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.code == 1
    unit = next(
        r for r in json.loads(result.stdout)["requirements"] if r["name"] == "validation unit-tests"
    )
    assert unit["status"] == "missing"
    assert unit["reason"].startswith("no report matches reports/unit/*.xml")

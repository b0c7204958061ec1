"""End to end: the installed ``releasegate`` console script on examples/checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from peers.locate import VENV_BIN, require_bin

EXAMPLE = Path(__file__).parents[2] / "examples" / "checkout"
SHA = "3f2a9c1d4b5e6f708192a3b4c5d6e7f809102132"
MONDAY = "2026-03-30T10:00:00+02:00"


@pytest.fixture
def run(tmp_path: Path):
    script = require_bin("releasegate", "venv", where=VENV_BIN)
    ledger = str(tmp_path / "ledger.db")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RELEASEGATE_", "GITHUB_", "GITLAB_", "CI"))
    }
    env["RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD"] = "1"

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args, "-c", str(EXAMPLE / "releasegate.yml"), "--ledger", ledger],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )

    return call


def test_staging_allows_and_production_blocks_for_stated_reasons(run) -> None:
    assert run("record-check", "lint", "--sha", SHA, "--status", "passed").returncode == 0
    assert run("promote", "--to", "dev", "--sha", SHA).returncode == 0
    assert run("record", "--env", "dev", "--sha", SHA, "--status", "success").returncode == 0
    staging = run("promote", "--to", "staging", "--sha", SHA, "--format", "json")
    assert staging.returncode == 0, staging.stdout + staging.stderr
    assert json.loads(staging.stdout)["outcome"] == "allow"
    assert run("record", "--env", "staging", "--sha", SHA, "--status", "success").returncode == 0

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
    assert production.returncode == 1, production.stderr
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
    assert run("promote", "--to", "dev", "--sha", SHA).returncode == 1  # lint check missing
    run("record-check", "lint", "--sha", SHA, "--status", "passed")
    assert run("promote", "--to", "dev", "--sha", SHA).returncode == 0
    again = run("promote", "--to", "dev", "--sha", SHA)
    assert again.returncode == 1
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
    assert result.returncode == 2
    assert message in result.stderr


def test_missing_report_blocks(run, tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", ".releasegate"))
    (copy / "reports" / "unit" / "pytest.xml").unlink()
    run("record-check", "lint", "--sha", SHA, "--status", "passed")
    script = require_bin("releasegate", "venv", where=VENV_BIN)
    result = subprocess.run(
        [
            str(script),
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
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.returncode == 1
    unit = next(
        r for r in json.loads(result.stdout)["requirements"] if r["name"] == "validation unit-tests"
    )
    assert unit["status"] == "missing"
    assert unit["reason"].startswith("no report matches reports/unit/*.xml")

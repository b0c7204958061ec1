"""The SQLite ledger: records, migrations, bad files, and many writers at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from releasegate.errors import LedgerError, UsageError
from releasegate.ledger import MIGRATIONS, SCHEMA_VERSION, Ledger

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def test_deployments_come_back_newest_first(releasegate_ledger: Ledger) -> None:
    first = releasegate_ledger.record_deployment(
        "staging", "a" * 40, "success", at=T0, version="1.0"
    )
    second = releasegate_ledger.record_deployment(
        "staging", "b" * 40, "promoting", at=T0 + timedelta(1)
    )
    releasegate_ledger.record_deployment("production", "a" * 40, "success", at=T0)
    assert [d.id for d in releasegate_ledger.deployments("staging")] == [second.id, first.id]
    assert releasegate_ledger.deployments("staging", sha="a" * 40)[0].version == "1.0"
    updated = releasegate_ledger.update_deployment(second.id, "failure", at=T0 + timedelta(2))
    assert (updated.status, updated.created_at, updated.updated_at) == (
        "failure",
        T0 + timedelta(1),
        T0 + timedelta(2),
    )


def test_approvals_checks_state_and_decisions(releasegate_ledger: Ledger) -> None:
    releasegate_ledger.approve("production", "c" * 40, "alice", at=T0)
    releasegate_ledger.approve("production", "d" * 40, "bob", at=T0)
    assert [a.approver for a in releasegate_ledger.approvals("production", "c" * 40)] == ["alice"]
    releasegate_ledger.record_check("c" * 40, "lint", "failed", at=T0)
    releasegate_ledger.record_check("c" * 40, "lint", "passed", at=T0 + timedelta(minutes=5))
    assert [c.status for c in releasegate_ledger.checks("c" * 40)] == ["failed", "passed"]
    assert releasegate_ledger.get_state("canary:production") is None
    releasegate_ledger.set_state("canary:production", {"step": 1})
    releasegate_ledger.set_state("canary:production", {"step": 2})
    assert releasegate_ledger.get_state("canary:production") == {"step": 2}
    releasegate_ledger.record_decision(
        "promotion", "allow", {"outcome": "allow"}, at=T0, environment="dev"
    )
    assert releasegate_ledger.decisions("dev") == [{"outcome": "allow"}]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda ledger: ledger.record_deployment("dev", "a", "done", at=T0),
            "unknown deployment status 'done'; expected one of promoting, success, failure, rolled_back, inactive",
        ),
        (
            lambda ledger: ledger.record_check("a", "lint", "ok", at=T0),
            "unknown check status 'ok'; expected one of passed, failed",
        ),
        (lambda ledger: ledger.update_deployment(99, "success", at=T0), "no deployment with id 99"),
    ],
)
def test_bad_records_are_refused(releasegate_ledger: Ledger, call, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        call(releasegate_ledger)
    assert str(caught.value).endswith(message)


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(tmp_path / "l.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_old_ledger_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    from releasegate.ledger import MIGRATIONS

    db = sqlite3.connect(tmp_path / "l.db")
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.execute(
        "INSERT INTO deployments (environment, sha, status, created_at, updated_at)"
        " VALUES ('dev', 'abc', 'success', ?, ?)",
        (T0.isoformat(), T0.isoformat()),
    )
    db.commit()
    db.close()
    with Ledger.open(tmp_path / "l.db") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        assert [d.sha for d in ledger.deployments("dev")] == ["abc"]
        ledger.set_state("k", {"v": 1})


def test_a_newer_ledger_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "l.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LedgerError, match="newer than this releasegate understands"):
        Ledger.open(tmp_path / "l.db")


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "l.db").write_text("hello, I am not SQLite" * 100)
    with pytest.raises(LedgerError, match=r"l\.db: cannot open the ledger: file is not a database"):
        Ledger.open(tmp_path / "l.db")


WRITER = """
import sys
from datetime import datetime, timezone
from releasegate.ledger import Ledger
ledger = Ledger.open(sys.argv[1])
worker = int(sys.argv[2])
for i in range(10):
    d = ledger.record_deployment("staging", f"{worker:02d}{i:038d}", "promoting", at=datetime.now(timezone.utc))
    ledger.update_deployment(d.id, "success", at=datetime.now(timezone.utc))
    ledger.approve("production", f"{worker:02d}{i:038d}", f"user{worker}", at=datetime.now(timezone.utc))
"""


def test_twenty_processes_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)]) for n in range(20)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 20
    with Ledger.open(path) as ledger:
        deployments = ledger.deployments("staging")
        assert len(deployments) == 200
        assert {d.status for d in deployments} == {"success"}
        assert len({d.sha for d in deployments}) == 200
        assert sum(len(ledger.approvals("production", d.sha)) for d in deployments) == 200


def test_history_reads_a_ledger_on_a_read_only_location(tmp_path, releasegate_cli) -> None:
    import os
    import stat

    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "ledger.db"
    with Ledger.open(path) as ledger:
        ledger.record_deployment(
            "staging", "a" * 40, "success", at=datetime(2026, 3, 2, tzinfo=timezone.utc)
        )
    for leftover in folder.glob("ledger.db-*"):
        leftover.unlink()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = releasegate_cli("history", "--ledger", str(path), "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert '"status": "success"' in result.stdout
        with Ledger.open(path, read_only=True) as ledger:
            assert [d.environment for d in ledger.deployments()] == ["staging"]
            with pytest.raises(LedgerError, match="opened read-only"):
                ledger.approve(
                    "staging", "a" * 40, "bob", at=datetime(2026, 3, 2, tzinfo=timezone.utc)
                )
    finally:
        folder.chmod(stat.S_IRWXU)
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    # the ledger itself was not written (SQLite's -shm beside it appears only where the
    # directory is writable, e.g. when the suite runs as root)
    assert path.stat().st_mtime_ns == before["ledger.db"]
    assert os.access(path, os.R_OK)


def test_history_of_a_missing_ledger_creates_nothing(tmp_path, releasegate_cli) -> None:
    result = releasegate_cli("history", "--ledger", str(tmp_path / "none" / "ledger.db"))
    assert (result.exit_code, result.stdout) == (0, "no deployments recorded\n")
    assert not (tmp_path / "none").exists()


def test_an_older_ledger_is_read_without_being_migrated(tmp_path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(
        "INSERT INTO deployments (environment, sha, status, created_at, updated_at)"
        " VALUES ('dev', 'abc', 'success', '2026-03-02T00:00:00+00:00', '2026-03-02T00:00:00+00:00')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Ledger.open(path, read_only=True) as ledger:
        (only,) = ledger.deployments()
        assert (only.environment, only.vouch, only.vouched) == ("dev", None, False)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1

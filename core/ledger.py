"""The local ledger: deployments, approvals, check results and decisions in SQLite (I/O).

It is the embedded system of record for local use, Tekton (on a workspace) and
tests. WAL mode and ``BEGIN IMMEDIATE`` transactions make it safe for many
processes writing at once; the schema is versioned and migrated on open.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from releasegate.errors import LedgerError, UsageError
from releasegate.records import (
    CHECK_STATUSES,
    DEPLOYMENT_STATUSES,
    Approval,
    CheckRun,
    Deployment,
)

DEFAULT_PATH = ".releasegate/ledger.db"

#: Each entry migrates the schema from version ``index`` to ``index + 1``.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        environment TEXT NOT NULL,
        sha TEXT NOT NULL,
        version TEXT,
        digest TEXT,
        status TEXT NOT NULL,
        actor TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX deployments_env ON deployments (environment, id);
    CREATE TABLE approvals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        environment TEXT NOT NULL,
        sha TEXT NOT NULL,
        approver TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX approvals_env_sha ON approvals (environment, sha);
    CREATE TABLE checks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sha TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX checks_sha ON checks (sha);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        environment TEXT,
        sha TEXT,
        created_at TEXT NOT NULL,
        body TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # what a deployment rests on (records.Deployment.vouch); older rows vouch for nothing
    """
    ALTER TABLE deployments ADD COLUMN vouch TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _ts(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Ledger:
    """A handle on one ledger file. Open it with :meth:`open`; close it with :meth:`close`."""

    def __init__(
        self, connection: sqlite3.Connection, path: str, *, read_only: bool = False
    ) -> None:
        self._db = connection
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] = DEFAULT_PATH, *, read_only: bool = False
    ) -> Ledger:
        """Open (creating and migrating as needed) the ledger at ``path``.

        :param read_only: for commands that only read (``history``): nothing is created,
            locked or migrated on disk, so a ledger on a read-only mount or owned by another
            user can be read; a missing ledger reads as empty. Writing then fails.
        :raises LedgerError: when the file cannot be created or is not a releasegate ledger.
        """
        location = Path(path)
        if read_only:
            return cls._open_read_only(location)
        try:
            location.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(location, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"{location}: cannot open the ledger: {exc}") from exc
        ledger = cls(db, str(location))
        ledger._migrate()
        return ledger

    @classmethod
    def _open_read_only(cls, location: Path) -> Ledger:
        # A copy in memory: SQLite cannot open a WAL database read-only without writing its
        # -shm file beside it, and an older ledger must be migrated to be read.
        if not location.exists() and location.parent.exists() and not location.parent.is_dir():
            raise LedgerError(
                f"{location}: cannot open the ledger: {location.parent} is not a directory"
            )
        memory = sqlite3.connect(":memory:", isolation_level=None)
        if location.exists():
            try:
                try:
                    source = sqlite3.connect(f"{location.resolve().as_uri()}?mode=ro", uri=True)
                    source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                except sqlite3.Error:  # a read-only directory: no -shm can be made beside it
                    source = sqlite3.connect(
                        f"{location.resolve().as_uri()}?mode=ro&immutable=1", uri=True
                    )
                with source:
                    source.backup(memory)
                source.close()
            except sqlite3.Error as exc:
                raise LedgerError(f"{location}: cannot read the ledger: {exc}") from exc
        ledger = cls(memory, str(location))
        ledger._migrate()
        ledger.read_only = True
        return ledger

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            raise LedgerError(f"{self.path}: the ledger was opened read-only")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.path}: cannot write the ledger: {exc}") from exc

    def _migrate(self) -> None:
        with self._write() as db:
            current = db.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise LedgerError(
                    f"{self.path}: ledger schema version {current} is newer than this "
                    f"releasegate understands ({SCHEMA_VERSION}); upgrade releasegate"
                )
            for script in MIGRATIONS[current:]:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
            if current != SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- deployments -------------------------------------------------------------------------

    def record_deployment(
        self,
        environment: str,
        sha: str,
        status: str,
        *,
        at: datetime,
        version: str | None = None,
        digest: str | None = None,
        actor: str | None = None,
        vouch: str | None = None,
    ) -> Deployment:
        """Add a deployment and return it (``vouch``: see :class:`~releasegate.records.Deployment`)."""
        _check_status(status, DEPLOYMENT_STATUSES, "deployment")
        stamp = _ts(at)
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO deployments (environment, sha, version, digest, status, actor,"
                " created_at, updated_at, vouch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (environment, sha, version, digest, status, actor, stamp, stamp, vouch),
            )
            row_id = cursor.lastrowid
        return self.deployment(int(row_id or 0))

    def update_deployment(
        self, id: int, status: str, *, at: datetime, vouch: str | None = None
    ) -> Deployment:
        """Set a deployment's status (``success``, ``failure``, ``rolled_back``...), and its
        ``vouch`` when given (a forced record); the vouch is kept otherwise."""
        _check_status(status, DEPLOYMENT_STATUSES, "deployment")
        with self._write() as db:
            cursor = db.execute(
                "UPDATE deployments SET status = ?, updated_at = ?, vouch = COALESCE(?, vouch)"
                " WHERE id = ?",
                (status, _ts(at), vouch, id),
            )
            if cursor.rowcount == 0:
                raise UsageError(f"{self.path}: no deployment with id {id}")
        return self.deployment(id)

    def deployment(self, id: int) -> Deployment:
        row = self._db.execute(f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments WHERE id = ?", (id,))
        found = row.fetchone()
        if found is None:
            raise UsageError(f"{self.path}: no deployment with id {id}")
        return _deployment(found)

    def deployments(
        self, environment: str | None = None, *, sha: str | None = None
    ) -> list[Deployment]:
        """Deployments, newest first, optionally of one environment and/or one SHA."""
        where, params = [], []
        if environment is not None:
            where.append("environment = ?")
            params.append(environment)
        if sha is not None:
            where.append("sha = ?")
            params.append(sha)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.execute(
            f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments{clause} ORDER BY id DESC", params
        )
        return [_deployment(row) for row in rows]

    # -- approvals and checks ----------------------------------------------------------------

    def approve(self, environment: str, sha: str, by: str, *, at: datetime) -> Approval:
        """Record ``by``'s approval of ``sha`` for ``environment``."""
        with self._write() as db:
            db.execute(
                "INSERT INTO approvals (environment, sha, approver, created_at) VALUES (?, ?, ?, ?)",
                (environment, sha, by, _ts(at)),
            )
        return Approval(environment, sha, by, at.astimezone(timezone.utc))

    def approvals(self, environment: str, sha: str) -> list[Approval]:
        rows = self._db.execute(
            "SELECT environment, sha, approver, created_at FROM approvals"
            " WHERE environment = ? AND sha = ? ORDER BY id",
            (environment, sha),
        )
        return [Approval(r[0], r[1], r[2], _dt(r[3])) for r in rows]

    def record_check(self, sha: str, name: str, status: str, *, at: datetime) -> CheckRun:
        """Record that CI check ``name`` passed or failed on ``sha``."""
        _check_status(status, CHECK_STATUSES, "check")
        with self._write() as db:
            db.execute(
                "INSERT INTO checks (sha, name, status, created_at) VALUES (?, ?, ?, ?)",
                (sha, name, status, _ts(at)),
            )
        return CheckRun(sha, name, status, at.astimezone(timezone.utc))

    def checks(self, sha: str) -> list[CheckRun]:
        """Check results of ``sha``, oldest first (the latest of a name is the one that counts)."""
        rows = self._db.execute(
            "SELECT sha, name, status, created_at FROM checks WHERE sha = ? ORDER BY id", (sha,)
        )
        return [CheckRun(r[0], r[1], r[2], _dt(r[3])) for r in rows]

    # -- decisions and state -----------------------------------------------------------------

    def record_decision(
        self,
        kind: str,
        outcome: str,
        body: dict[str, Any],
        *,
        at: datetime,
        environment: str | None = None,
        sha: str | None = None,
    ) -> None:
        """Keep a decision (its JSON rendering) for audit."""
        with self._write() as db:
            db.execute(
                "INSERT INTO decisions (kind, outcome, environment, sha, created_at, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (kind, outcome, environment, sha, _ts(at), json.dumps(body, sort_keys=True)),
            )

    def decisions(self, environment: str | None = None) -> list[dict[str, Any]]:
        """Recorded decisions, newest first."""
        clause, params = ("WHERE environment = ?", [environment]) if environment else ("", [])
        rows = self._db.execute(f"SELECT body FROM decisions {clause} ORDER BY id DESC", params)
        return [json.loads(row[0]) for row in rows]

    def get_state(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_state(self, key: str, value: dict[str, Any], *, at: datetime | None = None) -> None:
        stamp = _ts(at or datetime.now(timezone.utc))
        with self._write() as db:
            db.execute(
                "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, json.dumps(value, sort_keys=True), stamp),
            )


_DEPLOYMENT_COLUMNS = (
    "id, environment, sha, version, digest, status, actor, created_at, updated_at, vouch"
)


def _deployment(row: tuple[Any, ...]) -> Deployment:
    return Deployment(
        id=row[0],
        environment=row[1],
        sha=row[2],
        version=row[3],
        digest=row[4],
        status=row[5],
        actor=row[6],
        created_at=_dt(row[7]),
        updated_at=_dt(row[8]),
        vouch=row[9],
    )


def _check_status(status: str, allowed: tuple[str, ...], what: str) -> None:
    if status not in allowed:
        raise UsageError(f"unknown {what} status {status!r}; expected one of {', '.join(allowed)}")

"""The SQLite run store's tables, its connection settings and the rows a record becomes.

Every table but ``runs`` and ``records`` is a queryable projection of the record JSON (which
alone is read back, so a load is exact). Rows of one run are replaced together in one
transaction, so readers never see half a save.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from daedalus.store._base import RunSummary, start_order
from daedalus.store.lease import Lease, shown_status
from daedalus.store.record import RunRecord

__all__ = [
    "BUSY_TIMEOUT_S",
    "CHILD_TABLES",
    "LEASE_COLUMNS",
    "SCHEMA_VERSION",
    "child_rows",
    "connect",
    "create_tables",
    "lease_from_row",
    "lease_query",
    "lease_row",
    "run_row",
    "summary_from_row",
    "summary_query",
]

SCHEMA_VERSION = 2
"""Bumped whenever a table changes; a store written by a newer version is refused.

Version 2 added the ``leases`` table (created in a version 1 store when it is opened)."""

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another writer (thread or process) to finish its transaction."""

_TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL,
    mode TEXT NOT NULL,
    model TEXT NOT NULL,
    seed INTEGER NOT NULL,
    offline INTEGER NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    started_order REAL NOT NULL,
    completed_at TEXT,
    timepoints INTEGER NOT NULL,
    dialogs INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_newest ON runs (started_order DESC, seq DESC);
CREATE INDEX IF NOT EXISTS runs_template ON runs (template);
CREATE TABLE IF NOT EXISTS records (
    run_id TEXT PRIMARY KEY,
    json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entities (
    run_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    role TEXT NOT NULL, json TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS timepoints (
    run_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, timestamp TEXT NOT NULL,
    causal_parent TEXT, branch_id TEXT NOT NULL, importance REAL NOT NULL, event TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS exposures (
    run_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, entity_id TEXT NOT NULL,
    kind TEXT NOT NULL, source TEXT NOT NULL, timepoint_id TEXT, timestamp TEXT,
    confidence REAL NOT NULL, information TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS dialogs (
    run_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL,
    timepoint_id TEXT NOT NULL, participants TEXT NOT NULL, turns TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS calls (
    run_id TEXT NOT NULL, position INTEGER NOT NULL, node TEXT NOT NULL, action TEXT NOT NULL,
    model TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL, cost_estimated INTEGER NOT NULL, latency_s REAL NOT NULL,
    cache_hit INTEGER NOT NULL, retries INTEGER NOT NULL, offline INTEGER NOT NULL, error TEXT,
    PRIMARY KEY (run_id, position)
);
CREATE TABLE IF NOT EXISTS mechanisms (
    run_id TEXT NOT NULL, mechanism TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (run_id, mechanism)
);
CREATE TABLE IF NOT EXISTS leases (
    run_id TEXT PRIMARY KEY, owner TEXT NOT NULL, acquired_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS validation (
    run_id TEXT NOT NULL, id TEXT NOT NULL, validator TEXT NOT NULL, entity_id TEXT,
    timepoint_id TEXT, message TEXT NOT NULL, action TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
"""

CHILD_TABLES: tuple[str, ...] = (
    "records",
    "entities",
    "timepoints",
    "exposures",
    "dialogs",
    "calls",
    "mechanisms",
    "validation",
)
"""Tables whose rows are one run's record (keyed by ``run_id``), replaced at every save."""

_RUN_COLUMNS = (
    "id, template, mode, model, seed, offline, status, started_at, started_order, completed_at, "
    "timepoints, dialogs, calls, tokens, cost_usd"
)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, waiting on locks."""
    # Each connection stays in the thread that opened it; close() may run in another thread.
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            _enable_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, retrying while another connection holds it.

    SQLite answers a journal-mode switch with "locked" at once instead of calling the busy
    handler, so a fresh store opened by several threads or processes needs the retry.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.002
    while True:
        try:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("could not switch the store to WAL: database is locked")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def create_tables(conn: sqlite3.Connection) -> int:
    """Create missing tables inside the caller's transaction; returns the version found."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if 0 < found < SCHEMA_VERSION:  # every table is CREATE IF NOT EXISTS: add the new ones
        found = 0
    if found == 0:
        for statement in _TABLES.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return found


def run_row(record: RunRecord, mark: str = "?") -> tuple[str, tuple[Any, ...]]:
    """The upsert statement of the ``runs`` row and its parameters (``mark`` is the driver's
    placeholder: ``?`` for SQLite, ``%s`` for PostgreSQL)."""
    summary = RunSummary.of(record)
    meta = record.run
    params = (
        meta.id,
        meta.template,
        meta.mode.value,
        meta.model,
        meta.seed,
        int(summary.offline),
        meta.status,
        meta.started_at.isoformat(),
        start_order(meta.started_at),
        None if meta.completed_at is None else meta.completed_at.isoformat(),
        summary.timepoints,
        summary.dialogs,
        summary.calls,
        summary.tokens,
        summary.cost_usd,
    )
    names = [name.strip() for name in _RUN_COLUMNS.split(",")]
    updates = ", ".join(f"{name} = excluded.{name}" for name in names[1:])
    marks = ", ".join(mark for _ in names)
    sql = (
        f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({marks}) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}"
    )
    return sql, params


LEASE_COLUMNS = "run_id, owner, acquired_at, heartbeat_at, expires_at"


def summary_query(where: str = "") -> str:
    """Select the ``runs`` columns and the lease ``summary_from_row`` reads, newest first."""
    runs = ", ".join(f"runs.{name.strip()}" for name in _RUN_COLUMNS.split(","))
    leases = ", ".join(f"leases.{name.strip()}" for name in LEASE_COLUMNS.split(","))
    return (
        f"SELECT {runs}, {leases} FROM runs LEFT JOIN leases ON leases.run_id = runs.id "
        f"{where} ORDER BY started_order DESC, seq DESC"
    )


def lease_query(mark: str = "?") -> str:
    """Select the lease row of one run (``mark`` is the placeholder of its id)."""
    return f"SELECT {LEASE_COLUMNS} FROM leases WHERE run_id = {mark}"


def lease_from_row(row: Sequence[Any] | None) -> Lease | None:
    """The lease of a ``lease_query`` row (``None`` for no row, or a row of NULLs)."""
    if row is None or row[0] is None:
        return None
    run_id, owner, acquired_at, heartbeat_at, expires_at = row
    return Lease(
        run_id=run_id, owner=owner, acquired_at=datetime.fromisoformat(acquired_at),
        heartbeat_at=datetime.fromisoformat(heartbeat_at),
        expires_at=datetime.fromisoformat(expires_at),
    )


def lease_row(lease: Lease) -> tuple[str, tuple[str, ...]]:
    """The upsert statement of a lease row and its parameters."""
    sql = f"INSERT OR REPLACE INTO leases ({LEASE_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
    params = (lease.run_id, lease.owner, lease.acquired_at.isoformat(),
              lease.heartbeat_at.isoformat(), lease.expires_at.isoformat())
    return sql, params


def summary_from_row(row: Sequence[Any]) -> RunSummary:
    """The summary stored in one ``summary_query`` row."""
    (run_id, template, mode, model, _seed, offline, status, started_at, _order, completed_at,
     timepoints, dialogs, calls, tokens, cost_usd) = row[:15]
    status = shown_status(status, lease_from_row(row[15:]))
    return RunSummary(
        id=run_id,
        template=template,
        mode=mode,
        model=model,
        status=status,
        timepoints=timepoints,
        dialogs=dialogs,
        calls=calls,
        tokens=tokens,
        cost_usd=cost_usd,
        offline=bool(offline),
        started_at=datetime.fromisoformat(started_at),
        completed_at=None if completed_at is None else datetime.fromisoformat(completed_at),
    )


def child_rows(record: RunRecord) -> dict[str, Sequence[tuple[Any, ...]]]:
    """Rows of every child table for ``record``, keyed by table (run id first in each row)."""
    rid = record.run.id
    return {
        "records": [(rid, record.model_dump_json())],
        "entities": [
            (rid, e.id, e.name, e.kind.value, e.role, e.model_dump_json()) for e in record.entities
        ],
        "timepoints": [
            (rid, tp.id, pos, tp.timestamp.isoformat(), tp.causal_parent, tp.branch_id,
             tp.importance, tp.event_description, tp.model_dump_json())
            for pos, tp in enumerate(record.timepoints)
        ],
        "exposures": [
            (rid, ex.id, pos, ex.entity_id, ex.kind.value, ex.source, ex.timepoint_id,
             None if ex.timestamp is None else ex.timestamp.isoformat(), ex.confidence,
             ex.information)
            for pos, ex in enumerate(record.exposures)
        ],
        "dialogs": [
            (rid, d.id, pos, d.timepoint_id, json.dumps(list(d.participants)),
             json.dumps([turn.model_dump(mode="json") for turn in d.turns]))
            for pos, d in enumerate(record.dialogs)
        ],
        "calls": [
            (rid, pos, c.node, c.action.value, c.model, c.prompt_tokens, c.completion_tokens,
             c.cost_usd, int(c.cost_estimated), c.latency_s, int(c.cache_hit), c.retries,
             int(c.offline), c.error)
            for pos, c in enumerate(record.ledger)
        ],
        "mechanisms": [(rid, key, count) for key, count in record.mechanism_counts().items()],
        "validation": [
            (rid, v.id, v.validator, v.entity_id, v.timepoint_id, v.message, v.action)
            for v in record.validation
        ],
    }

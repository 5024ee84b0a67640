"""The service's tables, in SQLite's types and in PostgreSQL's (same columns, same names)."""

from __future__ import annotations

__all__ = ["PG_SCHEMA", "SQLITE_SCHEMA"]

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, scope TEXT NOT NULL, name TEXT NOT NULL,
    created_at TEXT NOT NULL, revoked_at TEXT, rate_per_minute INTEGER NOT NULL,
    quota_usd_per_day REAL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    run_id TEXT NOT NULL, batch_id TEXT, key_id TEXT, request TEXT NOT NULL,
    status TEXT NOT NULL, owner TEXT, heartbeat_at TEXT, attempts INTEGER NOT NULL,
    error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_run ON jobs (run_id);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch_id);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, json TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY, key_id TEXT, created_at TEXT NOT NULL, size INTEGER NOT NULL
);
"""

PG_SCHEMA = (
    SQLITE_SCHEMA.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
    .replace(" REAL\n", " DOUBLE PRECISION\n")
)

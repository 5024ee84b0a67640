"""The PostgreSQL store's tables, created and migrated when a store is opened.

One schema per store holds the run tables (the same projections of the record JSON as the
SQLite store), the response cache, the ledger, the leases and LangGraph's checkpoint tables.
``store_schema`` records the version; a store written by a newer Daedalus is refused. The
migration runs in one transaction under an advisory lock, so processes opening a fresh store
at once neither race nor see half a schema.
"""

from __future__ import annotations

import psycopg
from langgraph.checkpoint.postgres.base import BasePostgresSaver
from psycopg import sql

from daedalus.errors import ConfigError

__all__ = ["SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = 1
"""Bumped whenever a table changes; each version's statements are in ``_MIGRATIONS``."""

_VERSION_1 = """
CREATE TABLE runs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id TEXT PRIMARY KEY,
    template TEXT NOT NULL, mode TEXT NOT NULL, model TEXT NOT NULL, seed BIGINT NOT NULL,
    offline INTEGER NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL,
    started_order DOUBLE PRECISION NOT NULL, completed_at TEXT,
    timepoints INTEGER NOT NULL, dialogs INTEGER NOT NULL, calls INTEGER NOT NULL,
    tokens BIGINT NOT NULL, cost_usd DOUBLE PRECISION NOT NULL
);
CREATE INDEX runs_newest ON runs (started_order DESC, seq DESC);
CREATE INDEX runs_template ON runs (template);
CREATE TABLE records (run_id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE entities (
    run_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    role TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, id)
);
CREATE TABLE timepoints (
    run_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, timestamp TEXT NOT NULL,
    causal_parent TEXT, branch_id TEXT NOT NULL, importance DOUBLE PRECISION NOT NULL,
    event TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, id)
);
CREATE TABLE exposures (
    run_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, entity_id TEXT NOT NULL,
    kind TEXT NOT NULL, source TEXT NOT NULL, timepoint_id TEXT, timestamp TEXT,
    confidence DOUBLE PRECISION NOT NULL, information TEXT NOT NULL, PRIMARY KEY (run_id, id)
);
CREATE TABLE dialogs (
    run_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL,
    timepoint_id TEXT NOT NULL, participants TEXT NOT NULL, turns TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE calls (
    run_id TEXT NOT NULL, position INTEGER NOT NULL, node TEXT NOT NULL, action TEXT NOT NULL,
    model TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL, cost_estimated INTEGER NOT NULL,
    latency_s DOUBLE PRECISION NOT NULL, cache_hit INTEGER NOT NULL, retries INTEGER NOT NULL,
    offline INTEGER NOT NULL, error TEXT, PRIMARY KEY (run_id, position)
);
CREATE TABLE mechanisms (
    run_id TEXT NOT NULL, mechanism TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (run_id, mechanism)
);
CREATE TABLE validation (
    run_id TEXT NOT NULL, id TEXT NOT NULL, validator TEXT NOT NULL, entity_id TEXT,
    timepoint_id TEXT, message TEXT NOT NULL, action TEXT NOT NULL, PRIMARY KEY (run_id, id)
);
CREATE TABLE leases (
    run_id TEXT PRIMARY KEY, owner TEXT NOT NULL, acquired_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE answers (key TEXT PRIMARY KEY, model TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE ledger (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL, in_doubt BOOLEAN NOT NULL, request_id TEXT,
    settled BOOLEAN NOT NULL DEFAULT FALSE, row TEXT NOT NULL
);
CREATE INDEX ledger_run ON ledger (run_id, seq);
"""

_MIGRATIONS: dict[int, str] = {1: _VERSION_1}


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def _checkpoint_tables(cur: psycopg.Cursor[tuple[object, ...]]) -> None:
    """LangGraph's checkpoint migrations, applied inside our transaction.

    Its own ``setup()`` builds indexes ``CONCURRENTLY``, which cannot run in a transaction and
    waits for every open transaction in the database; on tables this migration just created
    (or that a lock keeps still) a plain index build is equivalent.
    """
    migrations = BasePostgresSaver.MIGRATIONS
    cur.execute(migrations[0].encode())
    found = cur.execute("SELECT max(v) FROM checkpoint_migrations").fetchone()
    done = -1 if found is None or found[0] is None else int(str(found[0]))
    for version in range(done + 1, len(migrations)):
        cur.execute(migrations[version].replace("INDEX CONCURRENTLY", "INDEX").encode())
        cur.execute("INSERT INTO checkpoint_migrations (v) VALUES (%s)", (version,))


def migrate(conn: psycopg.Connection[tuple[object, ...]], schema: str, shown: str) -> int:
    """Create or upgrade the store in ``schema``; returns the version found before.

    ``ConfigError`` when the store was written by a newer Daedalus.
    """
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"daedalus-store:{schema}",))
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        cur.execute(
            "CREATE TABLE IF NOT EXISTS store_schema (id INTEGER PRIMARY KEY, version INTEGER)"
        )
        row = cur.execute("SELECT version FROM store_schema WHERE id = 1").fetchone()
        found = 0 if row is None else int(str(row[0]))
        if found > SCHEMA_VERSION:
            raise ConfigError(
                f"the store {shown} has schema version {found}, newer than this Daedalus "
                f"({SCHEMA_VERSION}); upgrade Daedalus to use it"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in _statements(_MIGRATIONS[version]):
                cur.execute(statement.encode())
        _checkpoint_tables(cur)
        cur.execute(
            "INSERT INTO store_schema VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET version = "
            "excluded.version", (SCHEMA_VERSION,),
        )
    return found

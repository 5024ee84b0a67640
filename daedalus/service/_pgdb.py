"""The service's own tables (keys, jobs, run events, batches) on a PostgreSQL store.

When the store is a ``postgresql://`` URL, the service keeps its tables in the schema
``<store schema>_service`` of the same database, so API processes and workers on several
machines share one queue. ``PgServiceDb`` offers what ``ServiceDb`` offers: ``read()`` yields
an autocommit connection and ``write()`` one transaction, and the queue's SQL (``?``
placeholders) runs unchanged. Every write transaction first takes one advisory lock, so two
processes claiming the next job (or numbering a run's next event) never both get it, as
``BEGIN IMMEDIATE`` guarantees on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from daedalus.errors import RunError
from daedalus.service._tables import PG_SCHEMA
from daedalus.store.postgres._target import CONNECT_TIMEOUT_S, parse_target

__all__ = ["PG_SCHEMA", "WRITE_LOCK", "PgServiceDb"]

WRITE_LOCK = 0x0DAE_DA10_5E
"""The advisory lock every write transaction of the service's tables holds."""


class _Conn:
    """A psycopg connection that runs the queue's SQLite-style SQL (``?`` placeholders)."""

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[tuple[Any, ...]]:
        return self.conn.execute(sql.replace("?", "%s"), tuple(params))


class PgServiceDb:
    """The service tables of one PostgreSQL store; any thread may use it."""

    def __init__(self, url: str) -> None:
        target = parse_target(url)
        self.schema = f"{target.schema}_service"[:63]
        self.shown = target.shown
        self._conninfo = make_conninfo(
            target.conninfo, options=f"-c search_path={self.schema}",
            connect_timeout=CONNECT_TIMEOUT_S,
        )
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ready = False
        self._opened: list[psycopg.Connection[tuple[Any, ...]]] = []

    def close(self) -> None:
        """Close every thread's connection (they reopen on the next use)."""
        with self._lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for conn in opened:
            conn.close()

    @contextmanager
    def read(self) -> Iterator[_Conn]:
        """A connection for reads (autocommit: each statement sees the latest commit)."""
        with self._errors():
            yield _Conn(self._connection())

    @contextmanager
    def write(self) -> Iterator[_Conn]:
        """One write transaction, serialized with every other writer, rolled back on error."""
        conn = self._connection()
        with self._errors(), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield _Conn(conn)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise RunError(f"the service tables of {self.shown} failed: {reason}") from exc

    def _connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        conn: psycopg.Connection[tuple[Any, ...]] | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            return conn
        with self._errors():
            conn = psycopg.connect(self._conninfo, autocommit=True)
            with self._lock:
                if not self._ready:
                    with conn.transaction():  # two processes may start at once: one creates
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                        for statement in PG_SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                    self._ready = True
                self._opened.append(conn)
        self._local.conn = conn
        return conn

"""The service's own SQLite file, ``<store>/service.sqlite``: keys, jobs, run events, batches.

It sits beside the run store and never holds a run itself: runs stay in the run store, where
the CLI and the library find them. One connection per thread, WAL journaling and ``BEGIN
IMMEDIATE`` writes, so the API, a worker thread and worker processes share it safely.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from daedalus.service._tables import SQLITE_SCHEMA as _SCHEMA

__all__ = ["Database", "ServiceDb", "service_db"]


_BUSY_MS = 30_000


class Database(Protocol):
    """What the queue and the key store need of the service's tables: ``ServiceDb`` here, or
    ``PgServiceDb`` on a PostgreSQL store (``?`` placeholders either way)."""

    def read(self) -> AbstractContextManager[Any]: ...

    def write(self) -> AbstractContextManager[Any]: ...

    def close(self) -> None: ...


class ServiceDb:
    """The service file of one store directory; any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ready = False
        self._opened: list[sqlite3.Connection] = []

    def close(self) -> None:
        """Close every thread's connection (they reopen on the next use)."""
        with self._lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for conn in opened:
            conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (autocommit: each statement sees the latest commit)."""
        yield self._connection()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that waits for other writers and rolls back on any error."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(self.path), timeout=_BUSY_MS / 1000, isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            if not self._ready:
                conn.executescript(_SCHEMA)
                self._ready = True
            self._opened.append(conn)
        self._local.conn = conn
        return conn


def service_db(root: Path, source: str | None = None) -> Database:
    """The service tables of a store: in the PostgreSQL database ``source`` names when it is a
    ``postgresql://`` URL, else in ``<root>/service.sqlite``."""
    from daedalus.store._url import is_postgres_url

    if source is not None and is_postgres_url(source):
        from daedalus.service._pgdb import PgServiceDb  # psycopg: the postgres extra

        return PgServiceDb(source)
    return ServiceDb(root / "service.sqlite")

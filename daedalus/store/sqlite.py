"""The SQLite run store: one file per store directory, safe for concurrent runs.

One connection per thread (so any thread may use the store, and no connection is ever shared
between two threads), WAL journaling (readers never block the writer) and ``BEGIN IMMEDIATE``
writes that wait on a busy timeout, so several threads or processes can save different runs
into one store at once. ``close()`` (or leaving a ``with`` block) closes every connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from daedalus.errors import RunError
from daedalus.store._base import (
    DEFAULT_LIST_LIMIT,
    RunSummary,
    check_limit,
    check_status,
    no_runs,
    unknown_run,
    unleased,
)
from daedalus.store._layout import StoreLayout
from daedalus.store._schema import (
    CHILD_TABLES,
    SCHEMA_VERSION,
    child_rows,
    connect,
    create_tables,
    lease_from_row,
    lease_query,
    lease_row,
    run_row,
    summary_from_row,
    summary_query,
)
from daedalus.store.lease import LEASE_TTL_S, Lease, busy, take
from daedalus.store.record import RunMeta, RunRecord, RunStatus

__all__ = ["SqliteRunStore"]


class SqliteRunStore:
    """A ``RunStore`` in a SQLite file (``<store>/runs.sqlite`` by default)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()
        self._local = threading.local()
        self._open_connections: list[sqlite3.Connection] = []
        self._generation = 0

    def __enter__(self) -> SqliteRunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's connection; the store reopens them if used again."""
        with self._lock:
            connections, self._open_connections = self._open_connections, []
            self._generation += 1
        for conn in connections:
            conn.close()

    @classmethod
    def at(cls, directory: str | os.PathLike[str] | StoreLayout | None = None) -> SqliteRunStore:
        """The store of a directory (see ``store_dir``), created if missing."""
        layout = directory if isinstance(directory, StoreLayout) else StoreLayout.at(directory)
        return cls(layout.create().runs_db)

    def create_run(
        self, meta: RunMeta, *, owner: str | None = None, ttl_s: float = LEASE_TTL_S
    ) -> RunRecord:
        record = RunRecord(run=meta)
        with self._write() as conn:
            if self._exists(conn, meta.id):
                raise RunError(f"run {meta.id!r} already exists in {self._where}; pick another id")
            self._replace(conn, record)
            if owner is not None:
                conn.execute(*lease_row(take(None, meta.id, owner, ttl_s)))
        return record

    def save_record(self, record: RunRecord) -> None:
        with self._write() as conn:
            self._replace(conn, record)

    def update_status(
        self, run_id: str, status: RunStatus, completed_at: datetime | None = None
    ) -> RunRecord:
        check_status(status)
        with self._write() as conn:
            record = self._read(conn, run_id)
            changes: dict[str, object] = {"status": status}
            if completed_at is not None:
                changes["completed_at"] = completed_at
            updated = record.model_copy(update={"run": record.run.model_copy(update=changes)})
            meta = updated.run
            conn.execute(
                "UPDATE runs SET status = ?, completed_at = ? WHERE id = ?",
                (status, None if meta.completed_at is None else meta.completed_at.isoformat(),
                 run_id),
            )
            conn.execute(
                "UPDATE records SET json = ? WHERE run_id = ?", (updated.model_dump_json(), run_id)
            )
        return updated

    def load_record(self, run_id: str) -> RunRecord:
        with self._connection() as conn:
            return self._read(conn, run_id)

    def has_run(self, run_id: str) -> bool:
        with self._connection() as conn:
            return self._exists(conn, run_id)

    def list_runs(
        self, template: str | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> list[RunSummary]:
        check_limit(limit)
        where, params = ("WHERE template = ?", (template,)) if template is not None else ("", ())
        with self._connection() as conn:
            rows = conn.execute(f"{summary_query(where)} LIMIT ?", (*params, limit)).fetchall()
        return [summary_from_row(row) for row in rows]

    def latest_run_id(self) -> str:
        with self._connection() as conn:
            row = conn.execute("SELECT id FROM runs ORDER BY started_order DESC, seq DESC LIMIT 1")
            found = row.fetchone()
        if found is None:
            raise no_runs(self._where)
        return str(found[0])

    def delete_run(self, run_id: str) -> None:
        with self._write() as conn:
            if not self._exists(conn, run_id):
                raise unknown_run(run_id, self._where)
            for table in CHILD_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM leases WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def acquire_lease(
        self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S, *, replacing: str | None = None
    ) -> Lease:
        with self._write() as conn:  # BEGIN IMMEDIATE: read and take in one atomic step
            if not self._exists(conn, run_id):
                raise unknown_run(run_id, self._where)
            current = lease_from_row(conn.execute(lease_query(), (run_id,)).fetchone())
            lease = take(current, run_id, owner, ttl_s, replacing=replacing)
            conn.execute(*lease_row(lease))
        return lease

    def renew_lease(self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S) -> Lease:
        with self._write() as conn:
            if not self._exists(conn, run_id):
                raise unknown_run(run_id, self._where)
            current = lease_from_row(conn.execute(lease_query(), (run_id,)).fetchone())
            if current is None:
                raise unleased(run_id, owner)
            if current.owner != owner:
                raise busy(current)
            lease = take(current, run_id, owner, ttl_s)
            conn.execute(*lease_row(lease))
        return lease

    def release_lease(self, run_id: str, owner: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM leases WHERE run_id = ? AND owner = ?", (run_id, owner))

    def lease_of(self, run_id: str) -> Lease | None:
        with self._connection() as conn:
            if not self._exists(conn, run_id):
                raise unknown_run(run_id, self._where)
            return lease_from_row(conn.execute(lease_query(), (run_id,)).fetchone())

    @property
    def _where(self) -> str:
        return f"the run store {self.path}"

    def _replace(self, conn: sqlite3.Connection, record: RunRecord) -> None:
        run_id = record.run.id
        conn.execute(*run_row(record))
        for table, rows in child_rows(record).items():
            conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def _read(self, conn: sqlite3.Connection, run_id: str) -> RunRecord:
        row = conn.execute("SELECT json FROM records WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise unknown_run(run_id, self._where)
        return RunRecord.model_validate_json(row[0])

    @staticmethod
    def _exists(conn: sqlite3.Connection, run_id: str) -> bool:
        return conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is not None

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self._ensure_schema()
        try:
            yield self._thread_connection()
        except sqlite3.Error as exc:
            raise RunError(f"{self._where} failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; it waits for other writers and rolls back on any error."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _thread_connection(self) -> sqlite3.Connection:
        held: tuple[int, sqlite3.Connection] | None = getattr(self._local, "held", None)
        if held is not None and held[0] == self._generation:
            return held[1]
        conn = self._open()
        with self._lock:
            self._open_connections.append(conn)
            self._local.held = (self._generation, conn)
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            return connect(self.path)
        except sqlite3.Error as exc:
            raise RunError(f"cannot open {self._where}: {exc}") from exc

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._open()
            try:
                conn.execute("BEGIN IMMEDIATE")
                found = create_tables(conn)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise RunError(f"cannot prepare {self._where}: {exc}") from exc
            finally:
                conn.close()
            if found > SCHEMA_VERSION:
                message = (
                    f"{self._where} has schema version {found}, newer than this Daedalus "
                    f"({SCHEMA_VERSION}); upgrade Daedalus to read it"
                )
                raise RunError(message)
            self._ready = True

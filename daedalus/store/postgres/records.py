"""The run store on PostgreSQL: run records shared by every process that opens the store.

The tables are those of the SQLite store (``runs`` and ``records``, plus queryable projections
of the record JSON); a save replaces one run's rows in one transaction, so a reader never sees
half of it. Row upserts keep the order runs were created in (``seq``) for ties in listings.
"""

from __future__ import annotations

from datetime import datetime

from daedalus.errors import RunError
from daedalus.store._base import (
    DEFAULT_LIST_LIMIT,
    RunSummary,
    check_limit,
    check_status,
    no_runs,
    unknown_run,
)
from daedalus.store._schema import CHILD_TABLES, child_rows, run_row, summary_from_row
from daedalus.store._schema import summary_query as _summary_query
from daedalus.store.lease import LEASE_TTL_S, Lease
from daedalus.store.postgres import lease as leases
from daedalus.store.postgres._session import Session
from daedalus.store.postgres.lease import Conn
from daedalus.store.record import RunMeta, RunRecord, RunStatus

__all__ = ["PostgresRunStore"]


def _text(value: object) -> object:
    # PostgreSQL text cannot hold NUL; the projections are never read back, the JSON keeps it.
    return value.replace("\x00", "") if isinstance(value, str) else value


class PostgresRunStore:
    """A ``RunStore`` in a PostgreSQL schema, safe for threads and processes on any machine.

    Made by ``PostgresStore`` (``open_store("postgresql://...").runs``), which owns the pool.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def _where(self) -> str:
        return self._session.where

    def create_run(
        self, meta: RunMeta, *, owner: str | None = None, ttl_s: float = LEASE_TTL_S
    ) -> RunRecord:
        record = RunRecord(run=meta)
        with self._session.transaction() as conn:
            # Two creators of one id take turns, so the second sees the first's row.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"daedalus-run:{meta.id}",))
            if self._exists(conn, meta.id):
                raise RunError(f"run {meta.id!r} already exists in {self._where}; pick another id")
            self._replace(conn, record)
            if owner is not None:
                leases.acquire(conn, meta.id, owner, ttl_s, None, self._where)
        return record

    def save_record(self, record: RunRecord) -> None:
        with self._session.transaction() as conn:
            self._replace(conn, record)

    def update_status(
        self, run_id: str, status: RunStatus, completed_at: datetime | None = None
    ) -> RunRecord:
        check_status(status)
        with self._session.transaction() as conn:
            record = self._read(conn, run_id, lock=True)
            changes: dict[str, object] = {"status": status}
            if completed_at is not None:
                changes["completed_at"] = completed_at
            updated = record.model_copy(update={"run": record.run.model_copy(update=changes)})
            done = updated.run.completed_at
            conn.execute(
                "UPDATE runs SET status = %s, completed_at = %s WHERE id = %s",
                (status, None if done is None else done.isoformat(), run_id),
            )
            conn.execute(
                "UPDATE records SET json = %s WHERE run_id = %s",
                (updated.model_dump_json(), run_id),
            )
        return updated

    def load_record(self, run_id: str) -> RunRecord:
        with self._session.connection() as conn:
            return self._read(conn, run_id)

    def has_run(self, run_id: str) -> bool:
        with self._session.connection() as conn:
            return self._exists(conn, run_id)

    def list_runs(
        self, template: str | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> list[RunSummary]:
        check_limit(limit)
        where, params = ("WHERE template = %s", (template,)) if template is not None else ("", ())
        query = f"{_summary_query(where)} LIMIT %s"
        with self._session.connection() as conn:
            rows = conn.execute(query.encode(), (*params, limit)).fetchall()
        return [summary_from_row(row) for row in rows]

    def latest_run_id(self) -> str:
        with self._session.connection() as conn:
            found = conn.execute(
                "SELECT id FROM runs ORDER BY started_order DESC, seq DESC LIMIT 1"
            ).fetchone()
        if found is None:
            raise no_runs(self._where)
        return str(found[0])

    def delete_run(self, run_id: str) -> None:
        with self._session.transaction() as conn:
            if not self._exists(conn, run_id):
                raise unknown_run(run_id, self._where)
            for table in (*CHILD_TABLES, "leases", "ledger"):
                conn.execute(f"DELETE FROM {table} WHERE run_id = %s".encode(), (run_id,))
            conn.execute("DELETE FROM runs WHERE id = %s", (run_id,))

    def acquire_lease(
        self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S, *, replacing: str | None = None
    ) -> Lease:
        with self._session.transaction() as conn:
            return leases.acquire(conn, run_id, owner, ttl_s, replacing, self._where)

    def renew_lease(self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S) -> Lease:
        with self._session.transaction() as conn:
            return leases.renew(conn, run_id, owner, ttl_s, self._where)

    def release_lease(self, run_id: str, owner: str) -> None:
        with self._session.transaction() as conn:
            leases.release(conn, run_id, owner)

    def lease_of(self, run_id: str) -> Lease | None:
        with self._session.connection() as conn:
            return leases.current(conn, run_id, self._where)

    def _replace(self, conn: Conn, record: RunRecord) -> None:
        run_id = record.run.id
        statement, params = run_row(record, "%s")
        conn.execute(statement.encode(), tuple(_text(value) for value in params))
        with conn.cursor() as cur:
            for table, rows in child_rows(record).items():
                cur.execute(f"DELETE FROM {table} WHERE run_id = %s".encode(), (run_id,))
                if rows:
                    marks = ", ".join("%s" for _ in rows[0])
                    cur.executemany(
                        f"INSERT INTO {table} VALUES ({marks})".encode(),
                        [tuple(_text(value) for value in row) for row in rows],
                    )

    def _read(self, conn: Conn, run_id: str, *, lock: bool = False) -> RunRecord:
        query = "SELECT json FROM records WHERE run_id = %s" + (" FOR UPDATE" if lock else "")
        row = conn.execute(query.encode(), (run_id,)).fetchone()
        if row is None:
            raise unknown_run(run_id, self._where)
        return RunRecord.model_validate_json(str(row[0]))

    @staticmethod
    def _exists(conn: Conn, run_id: str) -> bool:
        return conn.execute("SELECT 1 FROM runs WHERE id = %s", (run_id,)).fetchone() is not None

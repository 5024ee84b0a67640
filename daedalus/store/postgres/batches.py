"""Batches in a PostgreSQL store: each batch's record, and its budget shared by every worker.

``batches`` keeps one row per batch (its record as JSON text, written whole after each run's
state change); ``batch_reservations`` one row per model call a batch's runs reserved (its worst
case in whole nano-dollars, replaced by what it cost once settled). Workers on any machine
race for a batch's budget: a reservation takes the batch's advisory lock
(``pg_advisory_xact_lock``) for its transaction, sums what every worker spent and holds in
flight, and books its worst case only if the cap is not crossed. The tables are made on first
use, under the store's migration lock.
"""

from __future__ import annotations

from decimal import Decimal

from daedalus.store.postgres._session import Session

__all__ = ["PostgresBatches"]

_TABLES = (
    "CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, record TEXT NOT NULL, "
    "updated_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS batch_reservations (id BIGSERIAL PRIMARY KEY, "
    "batch_id TEXT NOT NULL, run_id TEXT NOT NULL, model TEXT NOT NULL, "
    "worst_nano BIGINT NOT NULL, actual_nano BIGINT)",
    "CREATE INDEX IF NOT EXISTS batch_reservations_batch ON batch_reservations (batch_id)",
)
_COMMITTED = (
    "SELECT COALESCE(SUM(COALESCE(actual_nano, worst_nano)), 0) FROM batch_reservations "
    "WHERE batch_id = %s"
)


def _whole(row: tuple[object, ...] | None) -> int:
    """The first column of a one-row answer as an int (a SUM of BIGINT is NUMERIC)."""
    value = 0 if row is None else row[0]
    assert isinstance(value, int | Decimal), value
    return int(value)


class PostgresBatches:
    """The batch tables of one PostgreSQL store (its schema), over the store's pool."""

    def __init__(self, session: Session) -> None:
        self._session = session
        with self._session.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('daedalus-store-batches'))")
            for statement in _TABLES:
                conn.execute(statement.encode())

    def save(self, batch_id: str, record_json: str) -> None:
        """Write (or overwrite) a batch's record."""
        with self._session.connection() as conn:
            conn.execute(
                "INSERT INTO batches (id, record) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE "
                "SET record = EXCLUDED.record, updated_at = now()",
                (batch_id, record_json),
            )

    def load(self, batch_id: str) -> str | None:
        """A batch's record as JSON, or ``None`` if the store holds no such batch."""
        with self._session.connection() as conn:
            row = conn.execute("SELECT record FROM batches WHERE id = %s", (batch_id,)).fetchone()
        return None if row is None else str(row[0])

    def ids(self) -> list[str]:
        """Every batch id in the store, oldest first (ids sort by their start)."""
        with self._session.connection() as conn:
            rows = conn.execute("SELECT id FROM batches ORDER BY id").fetchall()
        return [str(row[0]) for row in rows]

    def reserve(
        self, batch_id: str, run_id: str, model: str, worst_nano: int, limit_nano: int | None,
        *, unknown: bool = False,
    ) -> tuple[int | None, int]:
        """Book a call's worst case unless it would cross ``limit_nano`` (with ``unknown``:
        unless the batch already reached it); returns the new row (``None`` when refused)
        and what was committed before it, over every worker of the batch."""
        with self._session.transaction() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"daedalus-batch:{batch_id}",)
            )
            committed = _whole(conn.execute(_COMMITTED.encode(), (batch_id,)).fetchone())
            if limit_nano is not None and (
                committed >= limit_nano if unknown else committed + worst_nano > limit_nano
            ):
                return None, committed
            row = conn.execute(
                "INSERT INTO batch_reservations (batch_id, run_id, model, worst_nano) "
                "VALUES (%s, %s, %s, %s) RETURNING id",
                (batch_id, run_id, model, worst_nano),
            ).fetchone()
        return _whole(row), committed

    def settle(self, row: int, actual_nano: int) -> None:
        """Replace a reservation's worst case with what the call cost."""
        with self._session.connection() as conn:
            conn.execute(
                "UPDATE batch_reservations SET actual_nano = %s WHERE id = %s", (actual_nano, row)
            )

    def committed_nano(self, batch_id: str) -> int:
        """Spent plus still reserved, over every worker of the batch."""
        with self._session.connection() as conn:
            return _whole(conn.execute(_COMMITTED.encode(), (batch_id,)).fetchone())

    def spent_nano(self, batch_id: str) -> int:
        """What settled calls of the batch cost."""
        with self._session.connection() as conn:
            return _whole(conn.execute(
                "SELECT COALESCE(SUM(actual_nano), 0) FROM batch_reservations "
                "WHERE batch_id = %s",
                (batch_id,),
            ).fetchone())

"""A run's ledger on PostgreSQL, written call by call like the SQLite store's ledger files.

Each ``CallRecord`` is a row of the ``ledger`` table the moment the router records it; a
request booked in doubt is a row with ``in_doubt`` set, marked ``settled`` when its answer
arrives, and no longer read from then on. Every process of a run (and every worker of a batch)
reads the same rows, so a run's spending is known wherever it continues.
"""

from __future__ import annotations

from daedalus.llm.ledger import CallRecord
from daedalus.store.postgres._session import Session

__all__ = ["PostgresCallLog"]


class PostgresCallLog:
    """The ``CallLog`` of one run in the store's ``ledger`` table."""

    def __init__(self, session: Session, run_id: str) -> None:
        self._session = session
        self.run_id = run_id

    def append(self, record: CallRecord) -> None:
        with self._session.connection() as conn:
            conn.execute(
                "INSERT INTO ledger (run_id, in_doubt, request_id, row) VALUES (%s, %s, %s, %s)",
                (self.run_id, record.in_doubt, record.request_id, record.model_dump_json()),
            )

    def settle(self, request_id: str) -> None:
        """Mark the in-doubt row of ``request_id`` as answered."""
        with self._session.connection() as conn:
            conn.execute(
                "UPDATE ledger SET settled = TRUE WHERE run_id = %s AND request_id = %s",
                (self.run_id, request_id),
            )

    def read(self) -> list[CallRecord]:
        """Every row written so far, oldest first, without the settled in-doubt rows."""
        with self._session.connection() as conn:
            rows = conn.execute(
                "SELECT row FROM ledger WHERE run_id = %s AND NOT (in_doubt AND settled) "
                "ORDER BY seq",
                (self.run_id,),
            ).fetchall()
        return [CallRecord.model_validate_json(str(row[0])) for row in rows]

"""The response cache (M18) on PostgreSQL: answers shared by every process using the store."""

from __future__ import annotations

from daedalus.llm.cache import CachedAnswer
from daedalus.store.postgres._session import Session

__all__ = ["PostgresResponseCache"]


class PostgresResponseCache:
    """A ``ResponseCache`` in the store's ``answers`` table; safe for threads and processes.

    Each answer is kept as its JSON (which escapes every character PostgreSQL text refuses),
    so it reads back exactly. Made by ``PostgresStore.cache()``; the store owns the pool.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or ``None``."""
        with self._session.connection() as conn:
            row = conn.execute("SELECT json FROM answers WHERE key = %s", (key,)).fetchone()
        return None if row is None else CachedAnswer.model_validate_json(str(row[0]))

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store ``answer`` under ``key`` (the last writer wins; equal keys hold equal asks)."""
        with self._session.connection() as conn:
            conn.execute(
                "INSERT INTO answers (key, model, json) VALUES (%s, %s, %s) ON CONFLICT (key) "
                "DO UPDATE SET model = excluded.model, json = excluded.json",
                (key, answer.model, answer.model_dump_json()),
            )

    def __len__(self) -> int:
        with self._session.connection() as conn:
            row = conn.execute("SELECT count(*) FROM answers").fetchone()
        return 0 if row is None else int(str(row[0]))

"""A store on PostgreSQL: the run store, response cache, ledgers, leases and checkpoints of
every process that opens the same URL, on this machine or any other.

Opening it connects once (an unreachable or malformed URL is one ``ConfigError`` naming the
URL with its password masked, before anything is written), creates or migrates the tables in
the store's schema, then keeps a small connection pool until ``close``.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import psycopg
from langgraph.checkpoint.base import BaseCheckpointSaver
from psycopg_pool import ConnectionPool

from daedalus.errors import ConfigError
from daedalus.store._layout import StoreLayout
from daedalus.store.postgres._schema import migrate
from daedalus.store.postgres._session import Session
from daedalus.store.postgres._target import PostgresTarget, parse_target
from daedalus.store.postgres.batches import PostgresBatches
from daedalus.store.postgres.cache import PostgresResponseCache
from daedalus.store.postgres.checkpoint import async_postgres_checkpointer
from daedalus.store.postgres.ledger import PostgresCallLog
from daedalus.store.postgres.records import PostgresRunStore

__all__ = ["POOL_SIZE", "PostgresStore"]

POOL_SIZE = 4
"""Connections one opened store keeps at most (threads beyond that wait their turn)."""


class PostgresStore:
    """A ``Store`` in one schema of a PostgreSQL database; open it with ``open_store(url)``."""

    def __init__(self, target: PostgresTarget, source: str, session: Session) -> None:
        self.target = target
        self.source = source
        self.location = f"{target.shown} (schema {target.schema})"
        self.files = StoreLayout.at(source)
        self._session = session
        self._runs = PostgresRunStore(session)

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        """Connect, create or migrate the schema, and start the pool."""
        target = parse_target(url)
        where = f"the store {target.shown}"
        try:
            with psycopg.Connection.connect(target.conninfo_for(), autocommit=True) as conn:
                migrate(conn, target.schema, target.shown)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise ConfigError(
                f"cannot use the store {target.shown}: {' '.join(reason.split())}; expected a "
                "reachable PostgreSQL server and a database this user may create a schema in"
            ) from None
        pool: ConnectionPool[psycopg.Connection[tuple[object, ...]]] = ConnectionPool(
            target.conninfo_for(), min_size=1, max_size=POOL_SIZE, open=False,
            kwargs={"autocommit": True}, name=f"daedalus-{target.schema}",
        )
        pool.open()
        return cls(target, url, Session(pool, where))

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def runs(self) -> PostgresRunStore:
        return self._runs

    def cache(self) -> PostgresResponseCache:
        return PostgresResponseCache(self._session)

    def call_log(self, run_id: str) -> PostgresCallLog:
        return PostgresCallLog(self._session, run_id)

    def checkpointer(self) -> AbstractAsyncContextManager[BaseCheckpointSaver[Any]]:
        return async_postgres_checkpointer(self.target.conninfo_for())

    def run_paths(self, run_id: str) -> dict[str, str]:
        return {"store": self.location, "exports": f"{self.files.exports_root.name}/{run_id}"}

    def holds_runs(self) -> bool:
        return True  # opening created the tables

    def batches(self) -> PostgresBatches:
        """The batch tables (records and shared budgets), made on first use."""
        return PostgresBatches(self._session)

    def close(self) -> None:
        self._session.close()

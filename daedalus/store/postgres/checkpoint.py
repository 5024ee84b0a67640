"""LangGraph checkpointers on PostgreSQL (``langgraph-checkpoint-postgres``) whose serializer
knows the Daedalus state types, opened in a store's schema.

The tables are created when the store is opened (``open_store``); these factories only connect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager

from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncConnection, Connection
from psycopg.rows import dict_row

from daedalus.store.checkpoint import serializer

__all__ = ["async_postgres_checkpointer", "postgres_checkpointer"]


@asynccontextmanager
async def async_postgres_checkpointer(
    conninfo: str, extra_types: Iterable[type] = ()
) -> AsyncIterator[AsyncPostgresSaver]:
    """A checkpointer for graphs run with ``ainvoke``/``astream`` on one connection, closed
    when the block ends. ``conninfo`` should set the store's ``search_path``
    (``PostgresStore.checkpointer()`` does)."""
    async with await AsyncConnection.connect(
        conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as conn:
        yield AsyncPostgresSaver(conn, serde=serializer(extra_types))


@contextmanager
def postgres_checkpointer(
    conninfo: str, extra_types: Iterable[type] = ()
) -> Iterator[PostgresSaver]:
    """A checkpointer for graphs run with ``invoke``/``stream``, closed when the block ends."""
    with Connection.connect(
        conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as conn:
        yield PostgresSaver(conn, serde=serializer(extra_types))

"""Checkpointers whose serializer knows Daedalus state types (and allows only those).

LangGraph's serializer refuses (or warns about) classes it was not told about when it reads a
checkpoint back. These factories allow every pydantic model and enum defined in a loaded
``daedalus`` module — import the graphs you run before creating the checkpointer — plus any
``extra_types`` of your own nodes.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from enum import Enum
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from pydantic import BaseModel

__all__ = [
    "async_sqlite_checkpointer",
    "memory_checkpointer",
    "serializer",
    "sqlite_checkpointer",
    "state_types",
]


def state_types() -> set[tuple[str, str]]:
    """(module, class) of every pydantic model and enum in the loaded ``daedalus`` modules."""
    found: set[tuple[str, str]] = set()
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "daedalus" or name.startswith("daedalus.")):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel | Enum)
                and value.__module__ == name
            ):
                found.add((name, value.__name__))
    return found


def serializer(extra_types: Iterable[type] = ()) -> JsonPlusSerializer:
    """A checkpoint serializer allowing the Daedalus state types plus ``extra_types``."""
    allowed = state_types() | {(cls.__module__, cls.__name__) for cls in extra_types}
    return JsonPlusSerializer(allowed_msgpack_modules=sorted(allowed))


def memory_checkpointer(extra_types: Iterable[type] = ()) -> InMemorySaver:
    """An in-memory checkpointer (tests, notebooks)."""
    return InMemorySaver(serde=serializer(extra_types))


def sqlite_checkpointer(path: str | Path, extra_types: Iterable[type] = ()) -> SqliteSaver:
    """A SQLite checkpointer at ``path`` (created if missing), safe to share between threads."""
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    return SqliteSaver(conn, serde=serializer(extra_types))


@asynccontextmanager
async def async_sqlite_checkpointer(
    path: str | Path, extra_types: Iterable[type] = ()
) -> AsyncIterator[AsyncSqliteSaver]:
    """A SQLite checkpointer for graphs run with ``ainvoke``/``astream`` (async nodes).

    Use as ``async with async_sqlite_checkpointer(path) as saver:`` inside the event loop that
    runs the graph; the connection closes when the block ends.
    """
    import aiosqlite

    async with aiosqlite.connect(str(path), timeout=30.0) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        # A commit survives the process being killed (what resume relies on) without an fsync
        # per checkpoint, as in the run store; only an OS crash may lose the last ones.
        await conn.execute("PRAGMA synchronous=NORMAL")
        saver = AsyncSqliteSaver(conn, serde=serializer(extra_types))
        await saver.setup()
        yield saver

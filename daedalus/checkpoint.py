"""Checkpointers whose serializer knows Daedalus state types (and only allows those).

LangGraph's serializer refuses (or warns about) unregistered classes when it reads a checkpoint
back; these factories register every state type so resumes and branches round-trip cleanly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from daedalus.state import STATE_TYPES

__all__ = ["memory_checkpointer", "serializer", "sqlite_checkpointer"]


def serializer(extra_types: Iterable[type] = ()) -> JsonPlusSerializer:
    """A checkpoint serializer allowing exactly the Daedalus state types (plus ``extra_types``)."""
    allowed = {(cls.__module__, cls.__name__) for cls in (*STATE_TYPES, *extra_types)}
    return JsonPlusSerializer(allowed_msgpack_modules=sorted(allowed))


def memory_checkpointer(extra_types: Iterable[type] = ()) -> InMemorySaver:
    """An in-memory checkpointer (tests, notebooks)."""
    return InMemorySaver(serde=serializer(extra_types))


def sqlite_checkpointer(path: str | Path, extra_types: Iterable[type] = ()) -> SqliteSaver:
    """A SQLite checkpointer at ``path`` (created if missing), safe to share between threads."""
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    return SqliteSaver(conn, serde=serializer(extra_types))

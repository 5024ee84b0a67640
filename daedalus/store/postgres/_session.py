"""Connections of a PostgreSQL store: one pool per opened store, errors as ``RunError``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from daedalus.errors import RunError

__all__ = ["Session"]


class Session:
    """A pool of autocommit connections to one store, and the text naming it in errors."""

    def __init__(self, pool: ConnectionPool[psycopg.Connection[tuple[object, ...]]], where: str):
        self.pool = pool
        self.where = where

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        """A pooled connection; a database error inside becomes one-line ``RunError``."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise RunError(f"{self.where} failed: {reason}") from exc

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        """A pooled connection inside one transaction, rolled back on any error."""
        with self.connection() as conn, conn.transaction():
            yield conn

    def close(self) -> None:
        self.pool.close()

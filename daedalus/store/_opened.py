"""A store opened from where it lives: a directory of SQLite files or a PostgreSQL URL.

``open_store`` is the one entry point the run API and the command line use; what it returns
(a ``Store``) hands out the run store, the response cache, each run's ledger and the LangGraph
checkpointer, whatever the backend. Runs on different machines share a PostgreSQL store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from langgraph.checkpoint.base import BaseCheckpointSaver

from daedalus.errors import ConfigError
from daedalus.llm.cache import ResponseCache, SQLiteResponseCache
from daedalus.store._base import RunStore
from daedalus.store._health import check_databases, check_store
from daedalus.store._layout import STORE_ENV, StoreLayout
from daedalus.store._url import is_postgres_url, is_url, sqlite_directory
from daedalus.store.checkpoint import async_sqlite_checkpointer
from daedalus.store.ledger_log import CallLog, LedgerLog
from daedalus.store.sqlite import SqliteRunStore

__all__ = ["SqliteStore", "Store", "open_store", "store_source"]


@runtime_checkable
class Store(Protocol):
    """Everything a run keeps, in one place (DESIGN section 8), opened until ``close``.

    ``location`` names the store for people (a directory, or a URL with its password
    masked); ``source`` opens it again and may hold credentials, so it is never shown.
    ``files`` is the local directory of exports and world runs.
    """

    location: str
    source: str
    files: StoreLayout

    @property
    def runs(self) -> RunStore:
        """The run store (records and leases), shared by every thread of this process."""
        ...

    def cache(self) -> ResponseCache:
        """The response cache (M18)."""
        ...

    def call_log(self, run_id: str) -> CallLog:
        """Where ``run_id``'s ledger rows are written as they happen."""
        ...

    def checkpointer(self) -> AbstractAsyncContextManager[BaseCheckpointSaver[Any]]:
        """An async checkpointer for one graph run (``async with``), closed after the block."""
        ...

    def run_paths(self, run_id: str) -> dict[str, str]:
        """Where the run's parts are, as ``RunMeta.paths`` records them (no credentials)."""
        ...

    def holds_runs(self) -> bool:
        """True when the store exists already (reading it will not create it)."""
        ...

    def close(self) -> None:
        """Close every connection of this store."""
        ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc_info: object) -> None: ...


class SqliteStore:
    """A store directory of SQLite files and ledger files (the default; see ``StoreLayout``)."""

    def __init__(self, layout: StoreLayout) -> None:
        self.files = layout
        self.location = str(layout.root)
        self.source = str(layout.root)
        self._runs: SqliteRunStore | None = None
        self._caches: list[SQLiteResponseCache] = []

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def layout(self) -> StoreLayout:
        return self.files

    @property
    def runs(self) -> SqliteRunStore:
        if self._runs is None:
            self._runs = SqliteRunStore(self.files.runs_db)
        return self._runs

    def cache(self) -> SQLiteResponseCache:
        cache = SQLiteResponseCache(self.files.cache_db)
        self._caches.append(cache)
        return cache

    def call_log(self, run_id: str) -> LedgerLog:
        return LedgerLog.of(self.files.root, run_id)

    def checkpointer(self) -> AbstractAsyncContextManager[BaseCheckpointSaver[Any]]:
        return async_sqlite_checkpointer(self.files.checkpoints_db)

    def run_paths(self, run_id: str) -> dict[str, str]:
        return self.files.run_paths(run_id)

    def holds_runs(self) -> bool:
        return self.files.runs_db.exists()

    def close(self) -> None:
        if self._runs is not None:
            self._runs.close()
        caches, self._caches = self._caches, []
        for cache in caches:
            cache.close()


def store_source(
    where: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """What names the store: ``where``, else ``$DAEDALUS_HOME``, else ``daedalus_runs``."""
    chosen = "" if where is None else str(where).strip()
    if not chosen:
        env = os.environ if environ is None else environ
        chosen = env.get(STORE_ENV, "").strip()
    return chosen or str(StoreLayout.at(None, environ={}).root)


def open_store(
    where: str | os.PathLike[str] | StoreLayout | None = None,
    *,
    create: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Store:
    """Open the store ``where`` names (else ``$DAEDALUS_HOME``, else ``./daedalus_runs``).

    ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]`` opens a PostgreSQL
    store (tables created or migrated now, in schema ``NAME``, default ``daedalus``); a
    directory or ``sqlite:///DIR`` opens the SQLite store there (created when ``create``; its
    databases checked either way). Bad input (a malformed or unreachable URL, a directory that
    cannot be one, a damaged database) is one ``ConfigError`` naming it, password masked.
    """
    if isinstance(where, StoreLayout):
        return SqliteStore(check_store(where) if create else check_databases(where))
    source = store_source(where, environ)
    if is_postgres_url(source):
        try:
            from daedalus.store.postgres.store import PostgresStore
        except ImportError as exc:
            raise ConfigError(
                f"a PostgreSQL store needs the postgres extra ({exc.name} is missing); "
                "install it with pip install 'daedalus-sim[postgres]'"
            ) from None
        return PostgresStore.open(source)
    layout = StoreLayout(sqlite_directory(source) if is_url(source) else Path(source))
    return SqliteStore(check_store(layout) if create else check_databases(layout))

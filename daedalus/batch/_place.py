"""Where a batch lives: a store directory (record and budget as files) or a PostgreSQL store.

In a directory, the record is ``<store>/batches/<id>/batch.json`` and the shared budget
``budget.sqlite`` beside it. On PostgreSQL (``--store postgresql://...``), both are tables of
the store (``batches``, ``batch_reservations``), so workers on other machines see them; only
reports are written to local files, under ``./daedalus_runs/batches/<id>/``. Opening a place
checks the store first: an unreachable URL is one ``ConfigError``, before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from daedalus.batch._budget import BatchBudget, PostgresBudget, SharedBudget
from daedalus.batch._record import (
    BatchRecord,
    batch_dir,
    list_batches,
    load_batch,
    save_batch,
)
from daedalus.errors import ConfigError, RunError
from daedalus.store import Store, StoreLayout, open_store
from daedalus.store._health import check_store
from daedalus.store._opened import SqliteStore, store_source
from daedalus.store._url import is_postgres_url, mask_url

if TYPE_CHECKING:
    from daedalus.store.postgres import PostgresStore

__all__ = ["BatchPlace", "open_budget", "open_run_store"]

PathLike = str | os.PathLike[str]


def _postgres(source: str) -> PostgresStore:
    opened = open_store(source)
    from daedalus.store.postgres import PostgresStore

    assert isinstance(opened, PostgresStore)
    return opened


class BatchPlace:
    """A batch's record, budget and run store, wherever ``source`` names (see the module)."""

    def __init__(self, source: str, files: StoreLayout, postgres: PostgresStore | None) -> None:
        self.source, self.files, self._postgres = source, files, postgres
        self._tables = None if postgres is None else postgres.batches()

    @classmethod
    def open(cls, store: PathLike | StoreLayout | None = None) -> BatchPlace:
        """The place ``store`` names (else ``$DAEDALUS_HOME``, else ``./daedalus_runs``)."""
        if isinstance(store, StoreLayout):
            layout = check_store(store)
            return cls(str(layout.root.resolve()), StoreLayout(layout.root.resolve()), None)
        source = store_source(store)
        if is_postgres_url(source):
            opened = _postgres(source)
            return cls(source, opened.files, opened)
        layout = check_store(StoreLayout.at(source))
        root = layout.root.resolve()
        return cls(str(root), StoreLayout(root), None)

    @property
    def location(self) -> str:
        """The store as shown to people (a password masked)."""
        return mask_url(self.source)

    def close(self) -> None:
        if self._postgres is not None:
            self._postgres.close()

    def __enter__(self) -> BatchPlace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def folder(self, batch_id: str) -> Path:
        """The local directory of a batch's files (its record and budget in a directory
        store; its reports either way)."""
        return batch_dir(self.files, batch_id)

    def save(self, record: BatchRecord) -> None:
        if self._tables is None:
            save_batch(self.files, record)
            return
        record.updated_at = datetime.now(UTC)
        self._tables.save(record.id, record.model_dump_json())

    def load(self, batch_id: str) -> BatchRecord:
        """The stored record of ``batch_id`` (``last``: the newest); ``RunError`` if none."""
        tables = self._tables
        if tables is None:
            return load_batch(self.files, batch_id)
        if batch_id == "last":
            known = tables.ids()
            if not known:
                raise RunError(
                    f"no batches in {self.location} yet; start one with `daedalus batch run`"
                )
            batch_id = known[-1]
        text = tables.load(batch_id)
        if text is None:
            raise RunError(f"no batch {batch_id!r} in {self.location}; see `daedalus batch list`")
        try:
            return BatchRecord.model_validate_json(text)
        except ValueError as exc:
            raise ConfigError(
                f"batch {batch_id!r} in {self.location}: not a batch record "
                f"({str(exc).splitlines()[0]})"
            ) from None

    def ids(self) -> list[str]:
        """The batches of the store, oldest first."""
        if self._tables is None:
            return list_batches(self.files)
        return self._tables.ids()


def open_budget(source: str, batch_id: str, limit_usd: float | None) -> BatchBudget:
    """The shared budget of ``batch_id`` in the store ``source`` names, opened by a worker."""
    if is_postgres_url(source):
        return PostgresBudget(_postgres(source), batch_id, limit_usd)
    return SharedBudget(batch_dir(StoreLayout(Path(source)), batch_id) / "budget.sqlite", limit_usd)


@contextmanager
def open_run_store(source: str) -> Iterator[Store | None]:
    """The run store ``source`` names, or ``None`` for a directory holding no runs yet."""
    if is_postgres_url(source):
        with open_store(source) as opened:
            yield opened
        return
    layout = StoreLayout(Path(source))
    if not layout.runs_db.exists():
        yield None
        return
    with SqliteStore(layout) as opened:  # checked when the batch began; workers write now
        yield opened

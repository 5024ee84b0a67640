"""Checks that a store directory is usable before a run is registered in it.

Every file of a store is a user-given path: a store directory that is a file, lies under a
file or cannot be created, and a database file that is not a readable SQLite database, are
each reported as one ``ConfigError`` naming the path and what was expected, before anything
is written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from daedalus.errors import ConfigError
from daedalus.store._layout import StoreLayout, usable_directory

__all__ = ["check_database", "check_databases", "check_store", "usable_directory"]


def check_database(path: Path, what: str) -> None:
    """``ConfigError`` unless ``path`` is missing or a SQLite database whose schema reads."""
    if not path.exists():
        return
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a directory; expected a SQLite database file")
    try:
        conn = sqlite3.connect(str(path), timeout=30.0)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ConfigError(
            f"{what} {path} is not a readable SQLite database ({exc}); move it away or point "
            "--store at another directory"
        ) from None


def check_store(layout: StoreLayout) -> StoreLayout:
    """The layout, its directory created, once every database in it reads; else
    ``ConfigError`` naming the bad path (nothing is written into a bad store)."""
    usable_directory(layout.root, "store directory")
    return check_databases(layout)


def check_databases(layout: StoreLayout) -> StoreLayout:
    """The layout once every database it already holds reads (nothing is created)."""
    check_database(layout.runs_db, "run store")
    check_database(layout.checkpoints_db, "checkpoint database")
    check_database(layout.cache_db, "response cache")
    return layout

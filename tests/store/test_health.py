"""A store directory is checked before anything is written into it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from daedalus.errors import ConfigError
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store._health import check_database, check_store


def test_a_fresh_or_healthy_store_passes_and_is_created(tmp_path: Path) -> None:
    layout = check_store(StoreLayout(tmp_path / "new"))
    assert layout.root.is_dir()
    with SqliteRunStore(layout.runs_db) as runs:
        runs.list_runs()
    assert check_store(layout) == layout


def test_a_database_that_is_a_directory_or_garbage_is_named(tmp_path: Path) -> None:
    (tmp_path / "cache.sqlite").mkdir()
    with pytest.raises(ConfigError, match=r"response cache .*cache.sqlite is a directory"):
        check_store(StoreLayout(tmp_path))
    bad = tmp_path / "x.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)  # a header, then nonsense
    with pytest.raises(ConfigError, match=r"thing .*x.sqlite is not a readable SQLite database"):
        check_database(bad, "thing")


def test_checking_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.sqlite"
    sqlite3.connect(path).close()
    before = sorted(p.name for p in tmp_path.iterdir())
    check_database(path, "checkpoint database")
    assert sorted(p.name for p in tmp_path.iterdir()) == before

"""What only the SQLite store does: queryable tables, WAL, schema versions, bad files."""

import json
import sqlite3

import pytest

from daedalus.errors import RunError
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store._schema import SCHEMA_VERSION
from tests.store.records import sample_record


@pytest.fixture
def store(tmp_path):
    with SqliteRunStore.at(tmp_path) as opened:
        yield opened


def _rows(path, sql, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_the_store_lives_in_the_layout_file_in_wal_mode(store, tmp_path):
    store.save_record(sample_record())
    assert store.path == StoreLayout(tmp_path).runs_db
    assert _rows(store.path, "PRAGMA journal_mode") == [("wal",)]


def test_every_table_holds_the_runs_rows(store):
    record = sample_record()
    store.save_record(record)
    path = store.path
    assert _rows(path, "SELECT id, template, mode, status, timepoints, dialogs, calls, offline FROM runs") == [
        ("run-0001", "harbour_vote", "branching", "completed", 3, 1, 4, 1)
    ]
    assert _rows(path, "SELECT id, name FROM entities ORDER BY id") == [("ada", "Ada Moreau"), ("ben", "Ben Osei")]
    assert _rows(path, "SELECT id, branch_id FROM timepoints ORDER BY position") == [
        ("tp-0", "main"), ("tp-1", "main"), ("alt.tp-1", "alt")
    ]
    told = _rows(path, "SELECT id, source FROM exposures WHERE kind = 'told' ORDER BY position")
    assert told == [("dlg-tp-1-told-0-ben", "ada"), ("dlg-tp-1-told-1-ada", "ben")]
    ((participants, turns),) = _rows(path, "SELECT participants, turns FROM dialogs")
    assert json.loads(participants) == ["ada", "ben"]
    assert [t["speaker"] for t in json.loads(turns)] == ["ada", "ben", "ada", "ben"]
    assert _rows(path, "SELECT node, count(*), sum(prompt_tokens) FROM calls GROUP BY node ORDER BY node") == [
        ("character", 2, 1790), ("extraction", 1, 300), ("steering", 1, 420)
    ]
    mechanisms = dict(_rows(path, "SELECT mechanism, count FROM mechanisms"))
    assert len(mechanisms) == 19 and mechanisms["M3"] == 4 and mechanisms["M1"] == 0
    assert _rows(path, "SELECT validator, action FROM validation") == [("energy_budget", "repaired")]


def test_saving_again_replaces_rows_instead_of_adding(store):
    record = sample_record()
    store.save_record(record)
    store.save_record(record.model_copy(update={"ledger": record.ledger[:1], "dialogs": ()}))
    assert _rows(store.path, "SELECT count(*) FROM calls") == [(1,)]
    assert _rows(store.path, "SELECT count(*) FROM dialogs") == [(0,)]


def test_deleting_a_run_leaves_no_row_behind(store):
    store.save_record(sample_record("run-a"))
    store.save_record(sample_record("run-b"))
    store.delete_run("run-a")
    for table in ("records", "entities", "timepoints", "exposures", "dialogs", "calls",
                  "mechanisms", "validation"):
        assert _rows(store.path, f"SELECT DISTINCT run_id FROM {table}") == [("run-b",)], table
    assert _rows(store.path, "SELECT id FROM runs") == [("run-b",)]


def test_a_failed_save_changes_nothing(store, monkeypatch):
    record = sample_record()
    store.save_record(record)
    from daedalus.store import sqlite as module

    real = module.child_rows

    def broken(_record):
        rows = real(_record)
        rows["calls"] = [rows["calls"][0], rows["calls"][0]]  # duplicate primary key
        return rows

    monkeypatch.setattr(module, "child_rows", broken)
    with pytest.raises(RunError, match="UNIQUE"):
        store.save_record(record.model_copy(update={"dialogs": ()}))
    monkeypatch.undo()
    assert store.load_record("run-0001") == record
    assert _rows(store.path, "SELECT count(*) FROM calls") == [(4,)]


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(RunError, match=r"schema version 99.*upgrade Daedalus"):
        SqliteRunStore(path).list_runs()


def test_a_file_that_is_not_a_database_is_a_run_error(tmp_path):
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"these are not the pages you are looking for" * 100)
    with pytest.raises(RunError, match="not a database"):
        SqliteRunStore(path).list_runs()


def test_close_then_use_again_reopens(store):
    store.save_record(sample_record())
    store.close()
    assert store.load_record("run-0001") == sample_record()


def test_a_version_1_store_gains_the_lease_table_and_keeps_its_runs(tmp_path):
    path = tmp_path / "runs.sqlite"
    with SqliteRunStore(path) as store:
        store.save_record(sample_record())
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE leases")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with SqliteRunStore(path) as store:
        assert store.load_record("run-0001") == sample_record()
        assert store.acquire_lease("run-0001", "o1").owner == "o1"
    assert _rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]

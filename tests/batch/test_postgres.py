"""Batches on a PostgreSQL store: the record and the shared budget in its tables, runs in it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import daedalus
from daedalus.batch import RunSpec, resume_batch, run_batch
from daedalus.batch._budget import PostgresBudget
from daedalus.batch._place import BatchPlace
from daedalus.errors import BudgetExceededError, ConfigError
from daedalus.store import open_store
from daedalus.store.postgres import PostgresStore
from tests.batch.support import QUICK, digest


def budget(url: str, batch_id: str, cap: float) -> PostgresBudget:
    opened = open_store(url)
    assert isinstance(opened, PostgresStore)
    return PostgresBudget(opened, batch_id, cap)


def test_a_batch_on_postgres_keeps_its_record_and_runs_there(
    postgres_url: str, tmp_path: Path
) -> None:
    specs = [RunSpec(template="board_meeting", seed=seed, overrides=QUICK) for seed in (0, 1)]
    result = run_batch(specs, store=postgres_url, workers=2, budget=1.0)
    assert result.completed, result.record
    assert "table batches" in str(result.path) and "postgresql://" in str(result.path)
    with BatchPlace.open(postgres_url) as place:
        stored = place.load(result.id)
        assert result.id in place.ids() and place.load("last").id in place.ids()
    assert stored.run_ids == result.record.run_ids
    assert all(entry.status == "completed" for entry in stored.entries)
    runs = result.runs()
    assert [run.id for run in runs] == result.record.run_ids
    for run, spec in zip(runs, specs, strict=True):
        alone = daedalus.run(spec.scenario(), seed=spec.seed, store=tmp_path)
        assert digest(run) == digest(alone)
    again = resume_batch(result.id, store=postgres_url)  # nothing left to run
    assert again.record.calls == result.record.calls and again.completed


def test_workers_racing_on_postgres_never_commit_more_than_the_cap(postgres_url: str) -> None:
    batch_id = "batch_race_on_postgres"
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        shared = budget(postgres_url, batch_id, 1.0)  # each worker its own connections
        try:
            for _ in range(15):
                try:
                    row = shared.reserve("r", 0.07, model="m")
                except BudgetExceededError:
                    continue
                shared.settle(row, 0.05)
                with lock:
                    granted.append(0.05)
        finally:
            shared.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shared = budget(postgres_url, batch_id, 1.0)
    try:
        assert shared.spent_usd() == pytest.approx(sum(granted))
        assert shared.spent_usd() <= 1.0 < shared.spent_usd() + 0.07  # reached, not crossed
        with pytest.raises(BudgetExceededError, match=r"batch budget of \$1.0000"):
            shared.reserve("r", 0.07, model="m")
    finally:
        shared.close()


def test_an_unreachable_postgres_store_starts_nothing() -> None:
    spec = RunSpec(template="board_meeting", seed=0, overrides=QUICK)
    with pytest.raises(ConfigError, match=r"cannot use the store postgresql://u:\*\*\*@"):
        run_batch([spec], store="postgresql://u:secret@127.0.0.1:1/x")

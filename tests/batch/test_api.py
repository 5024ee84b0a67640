"""``run_batch`` and ``resume_batch`` on the local backend with the offline model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import daedalus
from daedalus.batch import RunSpec, RunUpdate, load_batch, resume_batch, run_batch, sweep
from daedalus.batch._record import BatchEntry, batch_dir, save_batch
from daedalus.errors import ConfigError
from daedalus.store import SqliteRunStore, StoreLayout
from tests.batch.support import QUICK, digest, paid_calls


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[daedalus.batch.BatchResult, list[RunUpdate]]:
    store = tmp_path_factory.mktemp("batch")
    updates: list[RunUpdate] = []
    specs = sweep("board_meeting", seeds=(0, 1, 2), sets=[(k, (v,)) for k, v in QUICK.items()])
    result = run_batch(specs, store=store, workers=3, on_update=updates.append)
    return result, updates


def test_every_run_completes_and_the_record_lists_them(batch) -> None:
    result, updates = batch
    assert result.completed
    record = json.loads(result.path.read_text())
    assert [e["run_id"] for e in record["entries"]] == result.record.run_ids
    assert all(e["status"] == "completed" and e["calls"] > 0 for e in record["entries"])
    states = [(u.index, u.state) for u in updates]
    for index in range(3):
        assert states.index((index, "running")) < states.index((index, "completed"))
    assert result.record.calls == sum(run.ledger.totals().calls for run in result.runs())
    hits = sum(e.cache_hits for e in result.record.entries)
    assert hits == sum(run.ledger.totals().cache_hits for run in result.runs())


def test_each_run_is_the_same_as_its_seed_run_alone(batch, tmp_path: Path) -> None:
    result, _ = batch
    for run in result.runs():
        entry = result.record.entries[result.record.run_ids.index(run.id)]
        alone = daedalus.run(entry.spec.scenario(), seed=entry.spec.seed, store=tmp_path)
        assert digest(run) == digest(alone)
        assert run.ledger.totals().calls == alone.ledger.totals().calls
        assert run.ledger.totals().prompt_tokens == alone.ledger.totals().prompt_tokens


def test_run_batch_is_the_top_level_name() -> None:
    assert daedalus.run_batch is run_batch


def test_what_if_interventions_become_branches_of_each_run(tmp_path: Path) -> None:
    spec = RunSpec(template="board_meeting", seed=4, overrides=QUICK, interventions=("the vote is moved",))
    result = run_batch([spec], store=tmp_path, workers=1)
    (run,) = result.runs()
    branches = [(b.id, b.intervention) for b in run.record.branches if b.id != "main"]
    assert branches == [("w1", "the vote is moved")]
    assert any(tp.branch_id == "w1" for tp in run.timepoints)


def test_an_interrupted_batch_resumes_without_rerunning_finished_runs(tmp_path: Path) -> None:
    specs = sweep("board_meeting", seeds=(5, 6), sets=[(k, (v,)) for k, v in QUICK.items()])
    first = run_batch(specs[:1], store=tmp_path, workers=1)
    layout = StoreLayout(tmp_path)
    record = load_batch(layout, first.id)
    # As a crash leaves it: the second run registered, cut short after a few events.
    record.entries.append(BatchEntry(index=1, spec=specs[1], run_id="run_cut_short", status="running"))
    save_batch(layout, record)
    events = 0

    def crash(_event: object) -> None:
        nonlocal events
        events += 1
        if events == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        daedalus.run(specs[1].scenario(), seed=6, store=tmp_path, run_id="run_cut_short", progress=crash)
    with SqliteRunStore(layout.runs_db) as runs:
        kept = runs.load_record(record.entries[0].run_id)
        assert runs.load_record("run_cut_short").run.status == "interrupted"
    again: list[RunUpdate] = []
    result = resume_batch(first.id, store=tmp_path, on_update=again.append)
    assert result.completed
    assert {u.index for u in again} == {1}  # the finished run is not run again
    with SqliteRunStore(layout.runs_db) as runs:
        assert runs.load_record(record.entries[0].run_id) == kept
    for run in result.runs():
        spec = result.record.entries[result.record.run_ids.index(run.id)].spec
        alone = daedalus.run(spec.scenario(), seed=spec.seed, store=tmp_path / "alone")
        assert digest(run) == digest(alone)
        assert paid_calls(run) == paid_calls(alone)  # no finished call was paid twice


def test_bad_input_starts_nothing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no template named 'nope'"):
        run_batch(["board_meeting", "nope"], store=tmp_path)
    with pytest.raises(ConfigError, match="run spec 0"):
        run_batch([{"template": "board_meeting", "seed": -1}], store=tmp_path)
    with pytest.raises(ConfigError, match="batch option backend"):
        run_batch(["board_meeting"], store=tmp_path, backend="cloud")
    with pytest.raises(ConfigError, match="--address"):
        run_batch(["board_meeting"], store=tmp_path, address="10.0.0.1:6379")
    with pytest.raises(ConfigError, match="no Ray cluster answers"):
        run_batch(["board_meeting"], store=tmp_path, backend="ray", address="127.0.0.1:1")
    assert not (tmp_path / "batches").exists()
    assert not batch_dir(StoreLayout(tmp_path), "x").exists()
    assert not StoreLayout(tmp_path).runs_db.exists()

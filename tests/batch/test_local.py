"""The process-pool backend: each run in a worker process, the same runs as on one loop; a
worker process killed mid-run costs no run and no finished call."""

from __future__ import annotations

import threading
from pathlib import Path

import daedalus
from daedalus.batch import run_batch, sweep
from tests.batch.support import QUICK, digest, kill_a_worker_mid_run, paid_calls


def test_the_process_backend_runs_each_spec_as_on_one_loop(tmp_path: Path) -> None:
    specs = sweep("board_meeting", seeds=(3,), sets=[(k, (v,)) for k, v in QUICK.items()])
    pooled = run_batch(specs, store=tmp_path / "pool", backend="process", workers=1)
    looped = run_batch(specs, store=tmp_path / "loop", workers=1)
    assert pooled.completed and looped.completed
    assert [digest(r) for r in pooled.runs()] == [digest(r) for r in looped.runs()]
    assert [e.calls for e in pooled.record.entries] == [e.calls for e in looped.record.entries]


def test_a_killed_worker_process_loses_no_run_and_repeats_no_finished_call(
    tmp_path: Path,
) -> None:
    specs = sweep("board_meeting", seeds=(0, 1), sets=[(k, (v,)) for k, v in QUICK.items()])
    stop, killed = threading.Event(), []
    watcher = threading.Thread(target=kill_a_worker_mid_run, args=(tmp_path, stop, killed))
    watcher.start()
    try:
        result = run_batch(
            specs, store=tmp_path, backend="process", workers=2, offline_latency=0.1, retries=1
        )
    finally:
        stop.set()
        watcher.join()
    assert killed, "no worker was killed mid-run"
    assert result.completed, result.record
    assert len(result.runs()) == 2
    for run in result.runs():
        spec = result.record.entries[result.record.run_ids.index(run.id)].spec
        alone = daedalus.run(spec.scenario(), seed=spec.seed, store=tmp_path / "alone")
        assert digest(run) == digest(alone)
        assert paid_calls(run) == paid_calls(alone)  # no finished call paid twice

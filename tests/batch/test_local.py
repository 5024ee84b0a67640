"""The process-pool backend: each run in a worker process, the same runs as on one loop; a
worker process killed mid-run costs no run and no finished call."""

from __future__ import annotations

from pathlib import Path

from daedalus.batch import run_batch, sweep
from tests.batch.support import QUICK, check_a_batch_survives_a_killed_worker, digest


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
    check_a_batch_survives_a_killed_worker(tmp_path, "process", latency=0.1)

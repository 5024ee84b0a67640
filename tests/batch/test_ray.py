"""The Ray backend on a local cluster: runs as tasks, and a worker killed mid-run is retried
with its run resumed from its checkpoint (no finished call paid twice)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import daedalus
from daedalus.batch import run_batch, sweep
from tests.batch.support import QUICK, digest, kill_a_worker_mid_run, paid_calls


def test_a_killed_ray_worker_loses_no_run_and_repeats_no_finished_call(
    ray_cluster: Any, tmp_path: Path
) -> None:
    specs = sweep("board_meeting", seeds=(0, 1), sets=[(k, (v,)) for k, v in QUICK.items()])
    stop, killed = threading.Event(), []
    watcher = threading.Thread(target=kill_a_worker_mid_run, args=(tmp_path, stop, killed))
    watcher.start()
    try:
        result = run_batch(
            specs, store=tmp_path, backend="ray", workers=2, offline_latency=0.2, retries=1
        )
    finally:
        stop.set()
        watcher.join()
    assert killed, "no worker was killed mid-run"
    assert result.completed, result.record
    for run in result.runs():
        spec = result.record.entries[result.record.run_ids.index(run.id)].spec
        alone = daedalus.run(spec.scenario(), seed=spec.seed, store=tmp_path / "alone")
        assert digest(run) == digest(alone)
        assert paid_calls(run) == paid_calls(alone)

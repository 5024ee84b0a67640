"""The Ray backend on a local cluster: runs as tasks, and a worker killed mid-run is retried
with its run resumed from its checkpoint (no finished call paid twice)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import daedalus
from daedalus.batch import run_batch, sweep
from daedalus.runs._ledger_log import LedgerLog
from daedalus.store import SqliteRunStore, StoreLayout
from tests.batch.support import QUICK, digest, paid_calls


def _kill_a_worker_mid_run(store: Path, stop: threading.Event, killed: list[str]) -> None:
    """Wait until a run has paid for two calls, then SIGKILL the process holding its lease."""
    layout = StoreLayout(store)
    while not stop.wait(0.05):
        if not layout.runs_db.exists():
            continue
        with SqliteRunStore(layout.runs_db) as runs:
            for summary in runs.list_runs():
                lease = runs.lease_of(summary.id)
                if lease is None or len(LedgerLog.of(store, summary.id).read()) < 2:
                    continue
                host_pid = lease.owner.split(":")
                os.kill(int(host_pid[1]), signal.SIGKILL)
                killed.append(summary.id)
                return


def test_a_killed_ray_worker_loses_no_run_and_repeats_no_finished_call(
    ray_cluster: Any, tmp_path: Path
) -> None:
    specs = sweep("board_meeting", seeds=(0, 1), sets=[(k, (v,)) for k, v in QUICK.items()])
    stop, killed = threading.Event(), []
    watcher = threading.Thread(target=_kill_a_worker_mid_run, args=(tmp_path, stop, killed))
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

"""Helpers shared by the batch tests: a quick spec, a digest of what a run produced, and a
watcher that kills the worker process of a run in progress."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from pathlib import Path
from typing import Any

import daedalus
from daedalus.batch import run_batch, sweep
from daedalus.runs import Run
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.ledger_log import LedgerLog

QUICK = {"timeline.steps": 2, "dialog.max_turns": 2}
"""Overrides that make board_meeting a run of a few offline calls."""


def digest(run: Run) -> str:
    """A hash of a run's outputs: moments, exposures and dialog lines, in order."""
    parts: list[Any] = [tp.event_description for tp in run.timepoints]
    parts += [(e.entity_id, e.information) for e in run.exposures]
    parts += [(t.speaker, t.content) for d in run.dialogs for t in d.turns]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def paid_calls(run: Run) -> int:
    """Model calls a run paid for (its ledger rows that were not answered from the cache)."""
    totals = run.ledger.totals()
    return totals.calls - totals.cache_hits


def kill_a_worker_mid_run(store: Path, stop: threading.Event, killed: list[str]) -> None:
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
                pid = int(lease.owner.split(":")[1])
                if pid == os.getpid():
                    continue  # never this process (the local backend runs here)
                os.kill(pid, signal.SIGKILL)
                killed.append(summary.id)
                return


def check_a_batch_survives_a_killed_worker(tmp_path: Path, backend: str, latency: float) -> None:
    """Run two quick runs on ``backend`` while a worker is killed mid-run: both complete, each
    as the same seed run alone, and no finished call is paid twice."""
    specs = sweep("board_meeting", seeds=(0, 1), sets=[(k, (v,)) for k, v in QUICK.items()])
    stop, killed = threading.Event(), []
    watcher = threading.Thread(target=kill_a_worker_mid_run, args=(tmp_path, stop, killed))
    watcher.start()
    try:
        result = run_batch(
            specs, store=tmp_path, backend=backend, workers=2, offline_latency=latency, retries=1
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

"""batch: a batch run is the sum of its runs, and workers multiply throughput.

Identity: ``board_meeting`` (2 moments, 2 dialog turns) for seeds 0..N-1 (N = 100; 3 in smoke)
runs as one offline batch on the local backend (4 workers), then each seed runs alone in a
fresh store; a run is identical when its model calls, prompt and completion tokens and a digest
of its outputs (moments, exposures, dialog lines) all match. Target: every run.

Throughput: the same batch of 4 runs (2 in smoke) at a fixed per-call latency L injected into
the offline model (L = 0.2 s; 0.02 s in smoke), once with 1 worker and once with 2, each in a
fresh store; the ratio is wall(1 worker) / wall(2 workers). Target >= 1.7.

Ray overhead (full run only): one run at L = 0.2 s timed alone, then the same run as a Ray task
on a local cluster already started (the task's wall time seen by the driver); overhead is
(task - alone) / alone. Target <= 5 %.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from typing import Any

from bench._measure import Measurement, Report, at_least, at_most, exactly, figure
from bench._runs import fresh_store
from daedalus.batch import RunSpec, run_batch, sweep
from daedalus.runs import Run
from daedalus.runs import run as run_alone

__all__ = ["batch", "digest"]

QUICK = [("timeline.steps", [2]), ("dialog.max_turns", [2])]


def digest(run: Run) -> str:
    """A hash of a run's outputs: moments, exposures and dialog lines, in order."""
    parts: list[Any] = [tp.event_description for tp in run.timepoints]
    parts += [(e.entity_id, e.information) for e in run.exposures]
    parts += [(t.speaker, t.content) for d in run.dialogs for t in d.turns]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _shape(run: Run) -> tuple[int, int, int, str]:
    totals = run.ledger.totals()
    return totals.calls, totals.prompt_tokens, totals.completion_tokens, digest(run)


def _identity(seeds: int) -> tuple[int, float]:
    specs = sweep("board_meeting", seeds=range(seeds), sets=QUICK)
    store, alone_store = fresh_store("batch"), fresh_store("alone")
    try:
        started = time.perf_counter()
        result = run_batch(specs, store=store, workers=4)
        wall = time.perf_counter() - started
        same = 0
        for run in result.runs():
            spec = result.record.entries[result.record.run_ids.index(run.id)].spec
            alone = run_alone(spec.scenario(), seed=spec.seed, store=alone_store)
            same += _shape(run) == _shape(alone)
        return same, wall
    finally:
        shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(alone_store, ignore_errors=True)


def _batch_wall(specs: list[RunSpec], workers: int, latency: float) -> float:
    store = fresh_store("throughput")
    try:
        started = time.perf_counter()
        result = run_batch(specs, store=store, workers=workers, offline_latency=latency)
        wall = time.perf_counter() - started
        if not result.completed:
            raise RuntimeError(f"batch did not complete: {result!r}")
        return wall
    finally:
        shutil.rmtree(store, ignore_errors=True)


def _ray_overhead(latency: float) -> tuple[float, float, float]:
    import ray

    spec = sweep("board_meeting", seeds=[0], sets=QUICK)[0]
    store = fresh_store("ray")
    try:
        started = time.perf_counter()
        run_alone(spec.scenario(), seed=1, store=store, offline_latency=latency)
        alone = time.perf_counter() - started
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            warm = spec.model_copy(update={"seed": 2})
            run_batch([warm], store=store, backend="ray", workers=1, offline_latency=latency)
            started = time.perf_counter()
            run_batch([spec], store=store, backend="ray", workers=1, offline_latency=latency)
            task = time.perf_counter() - started
        finally:
            ray.shutdown()
        return alone, task, (task - alone) / alone
    finally:
        shutil.rmtree(store, ignore_errors=True)


def batch(smoke: bool = False) -> Report:
    """Identity of batch runs with solo runs, throughput of 2 workers, Ray overhead."""
    seeds = 3 if smoke else 100
    latency = 0.02 if smoke else 0.2
    same, wall = _identity(seeds)
    specs = sweep("board_meeting", seeds=range(2 if smoke else 4), sets=QUICK)
    one = _batch_wall(specs, 1, latency)
    two = _batch_wall(specs, 2, latency)
    measurements: list[Measurement] = [
        exactly("runs_identical_to_alone", same, "runs", seeds),
        figure("identity_batch_seconds", wall, "s"),
        at_least("throughput_2_over_1_workers", one / two, "x", 1.7),
        figure("wall_1_worker_seconds", one, "s"),
        figure("wall_2_workers_seconds", two, "s"),
    ]
    if not smoke:
        alone, task, overhead = _ray_overhead(latency)
        measurements += [
            at_most("ray_overhead_per_run", overhead * 100, "%", 5.0),
            figure("run_alone_seconds", alone, "s"),
            figure("run_as_ray_task_seconds", task, "s"),
        ]
    return Report(
        benchmark="batch",
        measurements=tuple(measurements),
        parameters={
            "smoke": smoke, "seeds": seeds, "latency_s": latency, "template": "board_meeting"
        },
    )

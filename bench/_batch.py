"""batch: a batch run is the sum of its runs, and workers multiply throughput.

Identity: ``board_meeting`` (2 moments, 2 dialog turns) for seeds 0..N-1 (N = 100; 3 in smoke)
runs as one offline batch on the local backend (4 workers), then each seed runs alone in a
fresh store; a run is identical when its model calls, prompt and completion tokens and a digest
of its outputs (moments, exposures, dialog lines) all match. Target: every run.

Throughput: the same batch of 4 runs (2 in smoke) at a fixed per-call latency L injected into
the offline model (L = 0.2 s; 0.02 s in smoke), once with 1 worker and once with 2, each in a
fresh store; the ratio is wall(1 worker) / wall(2 workers). Target >= 1.7.

Ray overhead (full run only): the same one-run batch at L = 0.2 s on the local backend and as
a Ray task on a local cluster already started and warmed (one task per worker process), each
in a fresh store, three side-by-side pairs; overhead is (median task - median local) / median
local. Target <= 5 %. Throughput pairs are also taken three times and their medians compared.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
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


def _timed_batch(spec: RunSpec, backend: str, latency: float) -> float:
    store = fresh_store(backend)
    try:
        started = time.perf_counter()
        result = run_batch([spec], store=store, backend=backend, workers=1,
                           offline_latency=latency)
        wall = time.perf_counter() - started
        if not result.completed:
            raise RuntimeError(f"batch did not complete: {result!r}")
        return wall
    finally:
        shutil.rmtree(store, ignore_errors=True)


def _ray_overhead(latency: float, repeats: int = 3) -> tuple[float, float, float]:
    """Medians of ``repeats`` side-by-side pairs: the same one-run batch on the local backend
    and as a Ray task, each in a fresh store (no cache shared). Every Ray worker process is
    warmed first (one task each), so no measured task pays for importing the library."""
    import ray

    spec = sweep("board_meeting", seeds=[0], sets=QUICK)[0]
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        warm = fresh_store("ray-warm")
        try:
            warmers = [spec.model_copy(update={"seed": seed}) for seed in (1, 2)]
            run_batch(warmers, store=warm, backend="ray", workers=2, offline_latency=latency)
        finally:
            shutil.rmtree(warm, ignore_errors=True)
        local, remote = [], []
        for _ in range(repeats):
            local.append(_timed_batch(spec, "local", latency))
            remote.append(_timed_batch(spec, "ray", latency))
    finally:
        ray.shutdown()
    alone, task = statistics.median(local), statistics.median(remote)
    return alone, task, (task - alone) / alone


def batch(smoke: bool = False) -> Report:
    """Identity of batch runs with solo runs, throughput of 2 workers, Ray overhead."""
    seeds = 3 if smoke else 100
    latency = 0.02 if smoke else 0.2
    same, wall = _identity(seeds)
    specs = sweep("board_meeting", seeds=range(2 if smoke else 4), sets=QUICK)
    ones, twos = [], []
    for _ in range(1 if smoke else 3):  # side by side, medians
        ones.append(_batch_wall(specs, 1, latency))
        twos.append(_batch_wall(specs, 2, latency))
    one, two = statistics.median(ones), statistics.median(twos)
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

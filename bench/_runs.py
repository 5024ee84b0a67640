"""Runs a scenario through ``daedalus.runs.run`` with the offline model, timed from outside."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._timing import ModelTimer
from daedalus.llm.ledger import UsageTotals
from daedalus.runs import Run, run
from daedalus.scenario import Scenario
from daedalus.templates import load_template

__all__ = [
    "SchedStat",
    "TimedRun",
    "checkpoint_bytes",
    "fresh_store",
    "resized",
    "timed_run",
]


@dataclass(frozen=True)
class SchedStat:
    """Seconds one thread spent running on a CPU and waiting in the run queue for one."""

    on_cpu: float
    run_queue: float

    @classmethod
    def now(cls) -> SchedStat | None:
        """The calling thread's totals so far (Linux ``/proc/thread-self/schedstat``)."""
        try:
            running, waiting, _ = Path("/proc/thread-self/schedstat").read_text().split()
        except (OSError, ValueError):
            return None
        return cls(int(running) / 1e9, int(waiting) / 1e9)

    def since(self, earlier: SchedStat) -> SchedStat:
        return SchedStat(self.on_cpu - earlier.on_cpu, self.run_queue - earlier.run_queue)


@dataclass(frozen=True)
class TimedRun:
    """A finished run with its wall time, the process's CPU time (all threads) over the same
    span, the offline model's timings and, on Linux, the calling (event-loop) thread's time on
    a CPU and in the run queue."""

    run: Run
    wall_seconds: float
    cpu_seconds: float
    timer: ModelTimer
    store: Path
    main_thread: SchedStat | None = None

    @property
    def totals(self) -> UsageTotals:
        return self.run.ledger.totals()

    @property
    def ledger_latency_seconds(self) -> float:
        """Sum of the router's per-call latencies (queueing, latency and answer)."""
        return sum(row.latency_s for row in self.run.ledger.records)


def timed_run(
    scenario: Scenario,
    store: Path,
    *,
    latency: float = 0.0,
    concurrency: int = 8,
    seed: int = 0,
) -> TimedRun:
    """``daedalus.runs.run`` of ``scenario`` with the offline model into ``store``, timed.

    The wall time covers the whole call: graph, SQLite checkpoints, response cache, ledger
    log and the run store; no export is written.
    """
    with ModelTimer() as timer:
        sched_started = SchedStat.now()
        started = time.perf_counter()
        cpu_started = time.process_time()
        finished = run(
            scenario,
            model="offline",
            seed=seed,
            store=store,
            concurrency=concurrency,
            offline_latency=latency,
            formats=(),
        )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        sched_ended = SchedStat.now()
    main = None
    if sched_started is not None and sched_ended is not None:
        main = sched_ended.since(sched_started)
    return TimedRun(
        run=finished, wall_seconds=wall, cpu_seconds=cpu, timer=timer, store=store, main_thread=main
    )


def fresh_store(prefix: str) -> Path:
    """A new empty directory for one run store (the caller removes it)."""
    return Path(tempfile.mkdtemp(prefix=f"daedalus-bench-{prefix}-"))


def checkpoint_bytes(store: Path) -> int:
    """Bytes of the store's checkpoint database with its WAL and shared-memory files."""
    base = store / "checkpoints.sqlite"
    files = [base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")]
    return sum(path.stat().st_size for path in files if path.exists())


def resized(template: str, **sections: dict[str, Any]) -> Scenario:
    """A shipped template with some of its sections' fields changed (for the smoke scale)."""
    scenario = load_template(template)
    data = scenario.model_dump()
    for section, values in sections.items():
        current = data.get(section) or {}
        data[section] = {**current, **values}
    return Scenario.model_validate(data)

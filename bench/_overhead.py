"""overhead: what the framework costs around each model call, and what checkpoints weigh.

The portal workload runs at zero latency through ``daedalus.runs.run`` with its SQLite
checkpointer, response cache, ledger log and run store, as a user's run does. Framework time
per call is (wall time - time inside ``OfflineChatModel.answer``) / calls: everything but the
offline model's own answer generation (graph steps, prompt building, routing, cache keys and
writes, checkpoint serialisation and writes, ledger). Checkpoint bytes are the size of
``checkpoints.sqlite`` with its WAL and shared-memory files after the run.

On a shared machine the wall time includes waits for a CPU that other processes hold, so the
event-loop thread's wall time is split (Linux ``schedstat``) into its time on a CPU, its time
runnable in the run queue, and the rest, when it was blocked (SQLite I/O, waiting on the
checkpoint writer thread). ``framework_ms_per_call_uncontended`` = (on-CPU time - the
answers' CPU time + blocked time) / calls: the figure an otherwise idle machine would give.

For context it also times, inside the same runs, two pieces of framework work done on the
event loop's thread: the response cache's writes (synchronous SQLite commits) and checkpoint
serialisation (``JsonPlusSerializer.dumps_typed``); and it reads the checkpoint tables: how
many checkpoints, their bytes, and which state channels the pending writes spend bytes on.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from bench._measure import Measurement, Report, at_most, figure, median
from bench._portal_workload import portal_scenario
from bench._runs import checkpoint_bytes, fresh_store, timed_run
from bench._timing import method_spans
from daedalus.llm.cache import SQLiteResponseCache

__all__ = ["checkpoint_tables", "overhead"]

_SPANS = {
    "cache_put": (SQLiteResponseCache, "put"),
    "checkpoint_serialise": (JsonPlusSerializer, "dumps_typed"),
}


def checkpoint_tables(path: Path) -> dict[str, Any]:
    """Counts and bytes of the checkpoint database's tables, largest write channels first."""
    with sqlite3.connect(path) as conn:
        count, total, largest = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(checkpoint)), 0), "
            "COALESCE(MAX(LENGTH(checkpoint)), 0) FROM checkpoints"
        ).fetchone()
        writes, write_bytes = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM writes"
        ).fetchone()
        channels = conn.execute(
            "SELECT channel, SUM(LENGTH(value)) AS size FROM writes "
            "GROUP BY channel ORDER BY size DESC LIMIT 6"
        ).fetchall()
    return {
        "checkpoints": count,
        "checkpoint_blob_bytes": total,
        "largest_checkpoint_bytes": largest,
        "writes": writes,
        "write_bytes": write_bytes,
        "write_bytes_by_channel": {name: size for name, size in channels},
    }


def _thread_figures(parts: dict[str, list[float]]) -> list[Measurement]:
    if not parts["cpu"]:
        return []  # no /proc/thread-self/schedstat on this system
    return [
        figure(
            "framework_ms_per_call_uncontended",
            median(parts["uncontended"]),
            "ms",
            "loop thread's own CPU (answers excluded) + time blocked; no run-queue waits",
        ),
        figure("loop_thread_framework_cpu_ms_per_call", median(parts["cpu"]), "ms"),
        figure(
            "loop_thread_blocked_ms_per_call",
            median(parts["blocked"]),
            "ms",
            "neither running nor runnable: SQLite I/O, waits on the checkpoint writer thread",
        ),
        figure(
            "loop_thread_run_queue_ms_per_call",
            median(parts["queue"]),
            "ms",
            "runnable but waiting for a CPU: other processes' load",
        ),
    ]


def overhead(*, smoke: bool = False, repetitions: int | None = None) -> Report:
    """Framework milliseconds per call and checkpoint megabytes (medians of ``repetitions``)."""
    repetitions = repetitions or (1 if smoke else 3)
    scenario = portal_scenario(smoke)
    per_call: list[float] = []
    parts: dict[str, list[float]] = {"cpu": [], "blocked": [], "queue": [], "uncontended": []}
    sizes: list[int] = []
    walls: list[float] = []
    answer_ms: list[float] = []
    spans_ms: dict[str, list[float]] = {name: [] for name in _SPANS}
    tables: dict[str, Any] = {}
    calls = 0
    for _ in range(repetitions):
        store = fresh_store("overhead")
        try:
            with method_spans(_SPANS) as spans:
                timed = timed_run(scenario, store, latency=0.0)
            calls = timed.totals.calls
            framework = timed.wall_seconds - timed.timer.answer_seconds
            per_call.append(1000.0 * framework / calls)
            main = timed.main_thread
            if main is not None:
                cpu = main.on_cpu - timed.timer.answer_cpu_seconds
                blocked = max(timed.wall_seconds - main.on_cpu - main.run_queue, 0.0)
                parts["cpu"].append(1000.0 * cpu / calls)
                parts["blocked"].append(1000.0 * blocked / calls)
                parts["queue"].append(1000.0 * main.run_queue / calls)
                parts["uncontended"].append(1000.0 * (cpu + blocked) / calls)
            walls.append(timed.wall_seconds)
            answer_ms.append(1000.0 * timed.timer.answer_seconds / calls)
            for name in _SPANS:
                spans_ms[name].append(1000.0 * spans.seconds.get(name, 0.0) / calls)
            sizes.append(checkpoint_bytes(store))
            tables = checkpoint_tables(store / "checkpoints.sqlite")
        finally:
            shutil.rmtree(store, ignore_errors=True)
    size_mb = median([float(s) for s in sizes]) / 1e6
    return Report(
        benchmark="overhead",
        measurements=(
            at_most("framework_ms_per_call", median(per_call), "ms", 5.0),
            at_most("checkpoint_mb_per_run", size_mb, "MB", 20.0, "10^6 bytes, with WAL"),
            *_thread_figures(parts),
            figure("calls", calls, "calls"),
            figure("wall_seconds", median(walls), "s", f"median of {repetitions}, L = 0"),
            figure("answer_ms_per_call", median(answer_ms), "ms", "offline model's own work"),
            figure("cache_put_ms_per_call", median(spans_ms["cache_put"]), "ms"),
            figure(
                "checkpoint_serialise_ms_per_call", median(spans_ms["checkpoint_serialise"]), "ms"
            ),
            figure("checkpoints_per_run", tables.get("checkpoints", 0), "checkpoints"),
            figure(
                "largest_checkpoint_kb", tables.get("largest_checkpoint_bytes", 0) / 1e3, "kB"
            ),
        ),
        parameters={"scenario": scenario.id, "repetitions": repetitions, "smoke": smoke},
        details={
            "framework_ms_per_call_runs": [round(v, 3) for v in per_call],
            "checkpoint_bytes_runs": sizes,
            "checkpoint_tables": tables,
        },
    )

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

from bench._langgraph_step import langgraph_step_ms
from bench._measure import Measurement, Report, at_most, figure, median
from bench._portal_workload import portal_scenario
from bench._runs import checkpoint_bytes, fresh_store, resized, timed_run
from bench._timing import method_spans
from daedalus.llm.cache import SQLiteResponseCache

__all__ = ["checkpoint_scaling", "checkpoint_tables", "overhead"]

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


def checkpoint_scaling(smoke: bool) -> tuple[list[Measurement], dict[str, Any]]:
    """Checkpoint bytes per model call of ``mars_mission_portal`` at a short and a long run
    (10 and 40 PORTAL steps; 2 and 3 at smoke scale), and what a same-seed rerun of the
    short run into the same store adds to the checkpoint file."""
    lengths = (2, 3) if smoke else (10, 40)
    per_call: dict[int, float] = {}
    details: dict[str, Any] = {}
    rerun_added = 0
    for steps in lengths:
        changes: dict[str, dict[str, Any]] = {"timeline": {"steps": steps}}
        if smoke:
            changes |= {"portal": {"candidates": 2}, "dialog": {"max_turns": 3}}
        scenario = resized("mars_mission_portal", **changes)
        store = fresh_store("checkpoints")
        try:
            first = timed_run(scenario, store, latency=0.0)
            size = checkpoint_bytes(store)
            per_call[steps] = size / first.totals.calls / 1e3
            details[f"steps_{steps}"] = {"calls": first.totals.calls, "checkpoint_bytes": size}
            if steps == lengths[0]:
                timed_run(scenario, store, latency=0.0)
                rerun_added = checkpoint_bytes(store) - size
        finally:
            shutil.rmtree(store, ignore_errors=True)
    short, long = (per_call[n] for n in lengths)
    measurements = [
        at_most(f"checkpoint_kb_per_call_{lengths[0]}_steps", short, "kB", 30.0),
        at_most(f"checkpoint_kb_per_call_{lengths[1]}_steps", long, "kB", 30.0),
        at_most("checkpoint_per_call_long_over_short", long / short, "x", 1.5),
        at_most(
            "rerun_added_checkpoint_mb",
            rerun_added / 1e6,
            "MB",
            0.0,
            "a same-seed rerun into the same store: a new thread, every call from the cache",
        ),
    ]
    return measurements, details


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
    step_ms: list[float] = []
    ratios: list[float] = []
    for _ in range(repetitions):
        store = fresh_store("overhead")
        try:
            with method_spans(_SPANS) as spans:
                timed = timed_run(scenario, store, latency=0.0)
            calls = timed.totals.calls
            framework = timed.wall_seconds - timed.timer.answer_seconds
            per_call.append(1000.0 * framework / calls)
            # LangGraph's own step cost, measured beside each run so both see the same load.
            step_ms.append(langgraph_step_ms(60 if smoke else 300))
            ratios.append(per_call[-1] / step_ms[-1])
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
    scaling, scaling_details = checkpoint_scaling(smoke)
    return Report(
        benchmark="overhead",
        measurements=(
            at_most("framework_ms_per_call", median(per_call), "ms", 5.0),
            figure(
                "langgraph_step_ms",
                median(step_ms),
                "ms",
                "trivial one-node graph, async SQLite checkpointer, same process",
            ),
            at_most(
                "framework_over_langgraph_step",
                median(ratios),
                "x",
                1.3,
                "framework ms per call / LangGraph ms per superstep, paired per repetition",
            ),
            at_most("checkpoint_mb_per_run", size_mb, "MB", 20.0, "10^6 bytes, with WAL"),
            *scaling,
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
            "langgraph_step_ms_runs": [round(v, 3) for v in step_ms],
            "checkpoint_bytes_runs": sizes,
            "checkpoint_tables": tables,
            "checkpoint_scaling": scaling_details,
        },
    )

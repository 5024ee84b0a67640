"""world_engine: milliseconds per tick, peak memory and snapshot cost of the world presets.

Each measurement runs in a fresh process (``bench._world_child``) so its peak RSS is the
preset's own: genesis, three warm-up ticks, then the timed ticks (invariant checks off, as a
production run; one run with them on gives their cost). Tick time is wall time on the tick
thread (BLAKE2 digest included, hashed on two threads); its thread CPU time is reported beside
it, since on this shared two-core machine the wall time also holds waits for a busy CPU.
Snapshot cost: tiny_island with a Parquet snapshot every 30 ticks (the presets' interval)
against a twin world stepped in turn without snapshots, median and mean tick time; strict mode
as a ratio of tick-thread CPU time (wall times of separate processes differ by more than it
costs on a busy machine). Actors: tiny_island with every government deciding through the
offline model every 30 ticks, mean tick time against a twin without actors. Targets are a
tenth of the spec's tick times and RAM budgets; the spec's own figure is in each note.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench._measure import Measurement, Report, at_most, figure, median

__all__ = ["world_engine"]

PRESETS = {  # name: (timed ticks, tick target ms, spec tick ms, RSS target GB, spec RAM GB)
    "tiny_island": (90, 15.0, "150 ms", 0.4, "4 GB"),
    "laptop_small": (30, 50.0, "400 ms", 0.8, "8 GB"),
    "medium": (20, 120.0, "1.2 s", 1.6, "16 GB"),
    "large": (10, None, "1.5-3 s", None, "24-32 GB"),
}
SHORT = {"tiny_island": "tiny", "laptop_small": "small", "medium": "medium", "large": "large"}


def _child(*args: str | int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench._world_child", *map(str, args)],
        capture_output=True, text=True, check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def world_engine(*, smoke: bool = False) -> Report:
    """Tick time, memory and snapshot cost per preset (``smoke``: a 2,000-person world)."""
    scale: tuple[str, ...] = ("--persons", "2000", "--firms", "120") if smoke else ()
    measurements: list[Measurement] = []
    details: dict[str, Any] = {}
    per_person: dict[str, float] = {}
    runs: dict[str, dict[str, Any]] = {}
    for preset, (ticks, target, spec, rss_target, spec_ram) in PRESETS.items():
        if smoke and preset != "tiny_island":
            continue
        run = _child(preset, 6 if smoke else ticks, *scale)
        runs[preset] = run
        short = SHORT[preset]
        tick_ms = median(run["wall_ms"])
        rss_gb = run["peak_rss_bytes"] / 1e9
        per_person[short] = tick_ms / run["persons"]
        note = f"median of {len(run['wall_ms'])} ticks; spec: {spec}"
        if target is None:
            measurements.append(figure(f"{short}_ms_per_tick", tick_ms, "ms", note))
            measurements.append(figure(f"{short}_peak_rss_gb", rss_gb, "GB", f"spec: {spec_ram}"))
        else:
            measurements.append(at_most(f"{short}_ms_per_tick", tick_ms, "ms", target, note))
            measurements.append(
                at_most(f"{short}_peak_rss_gb", rss_gb, "GB", rss_target or 0.0,
                        f"spec budget: {spec_ram}")
            )
        measurements.append(
            figure(f"{short}_cpu_ms_per_tick", median(run["thread_cpu_ms"]), "ms",
                   "tick thread's CPU time")
        )
        details[preset] = {k: v for k, v in run.items() if k not in ("wall_ms", "thread_cpu_ms")}
        details[preset]["wall_ms"] = [round(v, 2) for v in run["wall_ms"]]
    ticks = 6 if smoke else 90
    every = "3" if smoke else "30"
    plain = runs["tiny_island"]
    snapped = _child("tiny_island", ticks, *scale, "--snapshot-every", every, "--paired")
    control = snapped["control_wall_ms"]
    strict = _child("tiny_island", 3 if smoke else 30, *scale, "--strict")
    actors = _child("tiny_island", ticks, *scale, "--actors", "llm", "--paired")
    actor_control = actors["control_wall_ms"]
    measurements += [
        at_most("snapshot_tick_ratio", median(snapped["wall_ms"]) / median(control), "x", 1.10,
                f"median tick time, snapshot every {every} ticks over {ticks}, against a twin "
                "world without snapshots stepped in turn"),
        figure("snapshot_tick_ratio_mean", _mean(snapped["wall_ms"]) / _mean(control), "x",
               "mean tick time (the ticks a snapshot overlaps weigh in)"),
        figure("snapshot_submit_ms", median(snapped["submit_ms"]), "ms",
               "copying the tables on the tick thread"),
        figure("snapshot_mb", snapped["snapshot_bytes"] / max(snapped["snapshots"], 1) / 1e6,
               "MB", "one tiny_island snapshot, Parquet + zstd"),
        at_most("actors_llm_tick_ratio", _mean(actors["wall_ms"]) / _mean(actor_control), "x",
                1.5, f"mean tick time with the governments deciding through the offline model "
                f"every 30 ticks (safety gate and dry runs included), over {ticks} ticks, "
                "against a twin world without actors stepped in turn"),
        figure("strict_cpu_ratio", median(strict["thread_cpu_ms"]) / median(plain["thread_cpu_ms"]),
               "x", "tick-thread CPU with the invariants checked every tick, over without"),
    ]
    if "large" in per_person:
        measurements.append(
            figure("scaling_large_over_tiny", per_person["large"] / per_person["tiny"], "x",
                   "tick time per person, large (500k) over tiny (50k); 1 is linear")
        )
    return Report(
        benchmark="world_engine",
        measurements=tuple(measurements),
        parameters={"smoke": smoke, "presets": list(runs)},
        details=details,
    )

"""One world-engine measurement in a fresh process (so peak memory is the preset's own).

``python -m bench._world_child PRESET TICKS [--persons N --firms M] [--snapshot-every K]
[--strict] [--paired] [--actors rules|llm] [--profile]`` prints one JSON object: wall and CPU
milliseconds of every tick, the peak RSS, the world's counts and the digest after the last
tick. ``--paired`` steps a second, identical world without snapshots in turn with the first
(``control_wall_ms``), so both see the same load from the rest of the machine. ``--actors``
makes the regions' governments decide every 30 ticks behind the safety gate (``llm``: through
the offline model's router). ``--profile`` adds ``profile``: each system's median wall and
thread-CPU milliseconds per tick, and the rest of the tick (digest, KPIs, events) as
``after_systems``. ``--strict`` puts the invariant checks in the timed loop (off by default).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from daedalus.world import World, load_preset
from daedalus.world.io import SnapshotWriter, snapshot_dir

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._world_child")
    parser.add_argument("preset")
    parser.add_argument("ticks", type=int)
    parser.add_argument("--persons", type=int)
    parser.add_argument("--firms", type=int)
    parser.add_argument("--snapshot-every", type=int, default=0)
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--paired", action="store_true")
    parser.add_argument("--actors", choices=("rules", "llm"))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    config = load_preset(args.preset)
    if args.persons:
        config = config.scaled(args.persons, args.firms or max(args.persons // 16, 10))
    started = time.perf_counter()
    world = World(config, strict=args.strict)
    genesis = time.perf_counter() - started
    control = World(config, strict=args.strict) if args.paired else None
    spent: dict[str, list[tuple[float, float]]] = {}
    if args.profile:
        _profile(world, spent)
    step = world.step
    if args.actors:
        from daedalus.agents.world_actor import LLMProvider
        from daedalus.llm.router import Router
        from daedalus.world.actors import ActorWorld, RulesProvider

        provider = LLMProvider(Router.offline()) if args.actors == "llm" else RulesProvider()
        step = ActorWorld(world, provider, cadence=30).step
    control_wall: list[float] = []
    for _ in range(args.warmup):
        step()
        if control is not None:
            control.step()
    spent.clear()
    folder = Path(tempfile.mkdtemp(prefix="bench-world-"))
    writer = SnapshotWriter(config.snapshot.compression)
    wall, cpu, submit = [], [], []
    try:
        for _ in range(args.ticks):
            w0, c0 = time.perf_counter(), time.thread_time()
            record = step()
            if args.snapshot_every and record["tick"] % args.snapshot_every == 0:
                s0 = time.perf_counter()
                writer.submit(snapshot_dir(folder, record["tick"]), world.tables,
                              {"tick": record["tick"], "digest": record["digest"]})
                submit.append(1000.0 * (time.perf_counter() - s0))
            wall.append(1000.0 * (time.perf_counter() - w0))
            cpu.append(1000.0 * (time.thread_time() - c0))
            if control is not None:
                w0 = time.perf_counter()
                control.step()
                control_wall.append(1000.0 * (time.perf_counter() - w0))
        w0 = time.perf_counter()
        written = writer.close()
        drain = time.perf_counter() - w0
        snapshot_bytes = sum(p.stat().st_size for d in written for p in d.iterdir())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    profile = {
        name: {
            "wall_ms": round(1000.0 * statistics.median(w for w, _ in pairs), 3),
            "cpu_ms": round(1000.0 * statistics.median(c for _, c in pairs), 3),
        }
        for name, pairs in spent.items()
    }
    if profile:
        profile["after_systems"] = {
            k: round(statistics.median(wall) - sum(p[k] for p in profile.values()), 3)
            if k == "wall_ms"
            else round(statistics.median(cpu) - sum(p[k] for p in profile.values()), 3)
            for k in ("wall_ms", "cpu_ms")
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    print(json.dumps({
        "preset": config.name, "persons": config.population.persons,
        "firms": config.economy.firms, "ticks": args.ticks, "genesis_s": genesis,
        "wall_ms": wall, "thread_cpu_ms": cpu, "submit_ms": submit,
        "control_wall_ms": control_wall,
        "snapshots": len(written), "snapshot_bytes": snapshot_bytes, "drain_s": drain,
        "peak_rss_bytes": peak, "digest": world.digest(), "counts": world.counts(),
        **({"profile": profile} if profile else {}),
    }))
    return 0


def _profile(world: World, spent: dict[str, list[tuple[float, float]]]) -> None:
    """Time every system of ``world`` (wall and thread CPU seconds per call) into ``spent``."""

    def timed(system: Any) -> Any:
        run = system.run

        def call(context: Any) -> Any:
            w0, c0 = time.perf_counter(), time.thread_time()
            writes = run(context)
            spent.setdefault(system.name, []).append(
                (time.perf_counter() - w0, time.thread_time() - c0)
            )
            return writes

        return dataclasses.replace(system, run=call)

    world.scheduler.systems = [timed(system) for system in world.scheduler.systems]


if __name__ == "__main__":
    sys.exit(main())

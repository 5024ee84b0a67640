"""One world_actors measurement in a fresh process (see ``bench._world_actors``).

``python -m bench._world_actors_child PRESET TICKS [--persons N] [--warmup K]`` prints one JSON
object: the tick times of the model-backed and the rules-driven worlds stepped in turn, the
model calls, and the whole-run times and digests of the world-loop graph and ``ActorWorld``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

__all__ = ["CADENCE", "FIRMS_PER_REGION", "main"]

CADENCE = 30
FIRMS_PER_REGION = 2


def _actors(config: Any, provider: Any) -> Any:
    from daedalus.world import World
    from daedalus.world.actors import ActorWorld

    return ActorWorld(World(config), provider, cadence=CADENCE, firms=FIRMS_PER_REGION,
                      banks=True)


def _measure(preset: str, ticks: int, persons: int | None, warmup: int) -> dict[str, Any]:
    from daedalus.agents.world_actor import LLMProvider
    from daedalus.graphs.world_loop import WorldLoopContext, run_world_loop
    from daedalus.llm.ledger import Ledger
    from daedalus.llm.router import Router
    from daedalus.world import World, load_preset
    from daedalus.world.actors import RulesProvider

    config = load_preset(preset)
    if persons:
        config = config.scaled(persons, max(persons // 16, 10))
    ledger = Ledger()
    llm = _actors(config, LLMProvider(Router.offline(ledger=ledger)))
    rules = _actors(config, RulesProvider())
    for _ in range(warmup):
        llm.step()
        rules.step()
    llm_ms, rules_ms = [], []
    for _ in range(ticks):
        w0 = time.perf_counter()
        llm.step()
        llm_ms.append(1000.0 * (time.perf_counter() - w0))
        w0 = time.perf_counter()
        rules.step()
        rules_ms.append(1000.0 * (time.perf_counter() - w0))
    w0 = time.perf_counter()
    loop = _actors(config, RulesProvider())
    loop_digests = [loop.step()["digest"] for _ in range(ticks)]
    loop_s = time.perf_counter() - w0
    w0 = time.perf_counter()
    context = WorldLoopContext(World(config), RulesProvider(), cadence=CADENCE,
                               firms=FIRMS_PER_REGION, banks=True)
    graph_digests = run_world_loop(context, ticks)["digests"]
    graph_s = time.perf_counter() - w0
    return {
        "preset": config.name, "persons": config.population.persons, "ticks": ticks,
        "actors": len(llm.actor_ids), "llm_wall_ms": llm_ms, "rules_wall_ms": rules_ms,
        "model_calls": len(ledger), "decision_ticks": sum(
            1 for t in range(warmup + 1, warmup + ticks + 1) if t % CADENCE == 0),
        "applied_llm": sum(1 for e in llm.log if e["kind"] == "applied"),
        "fallbacks_llm": sum(1 for e in llm.log if e["kind"] == "fallback"),
        "loop_s": loop_s, "graph_s": graph_s, "graph_same_digests": graph_digests == loop_digests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._world_actors")
    parser.add_argument("preset")
    parser.add_argument("ticks", type=int)
    parser.add_argument("--persons", type=int)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(_measure(args.preset, args.ticks, args.persons, args.warmup)))
    return 0



if __name__ == "__main__":
    sys.exit(main())

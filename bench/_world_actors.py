"""world_actors: what deciding through a model costs a world's ticks, against the rules.

Two identical tiny_island worlds, each with its governments, its two largest firms per region
and its banks deciding every 30 ticks behind the safety gate (dry runs included), are stepped
in turn in one fresh process (``python -m bench._world_actors_child PRESET TICKS ...``), so
both see the same load from the rest of the machine: one asks the offline model through the router
(``LLMProvider``, one call per actor per decision tick, all of a tick in parallel), the other
the rules. The target: the model-backed world's mean tick time at most 1.5x the rules-only
world's. Beside it, the world-loop graph (``daedalus.graphs.world_loop``) against
``ActorWorld.run`` with the rules, whole runs timed in turn, and whether both gave one digest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench._measure import Measurement, Report, at_most, exactly, figure, median
from bench._world_actors_child import CADENCE, FIRMS_PER_REGION

__all__ = ["world_actors"]

def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def world_actors(*, smoke: bool = False) -> Report:
    """Model-backed actors against rules-only actors, and the graph against the loop."""
    ticks = 30 if smoke else 90
    scale = ("--persons", "2000") if smoke else ()
    done = subprocess.run(
        [sys.executable, "-m", "bench._world_actors_child", "tiny_island", str(ticks), *scale],
        capture_output=True, text=True, check=True,
    )
    run: dict[str, Any] = json.loads(done.stdout)
    llm, rules = run["llm_wall_ms"], run["rules_wall_ms"]
    measurements: list[Measurement] = [
        at_most("llm_over_rules_tick_ratio", _mean(llm) / _mean(rules), "x", 1.5,
                f"mean tick time over {ticks} ticks, {run['actors']} actors (governments, "
                f"{FIRMS_PER_REGION} firms per region, banks) deciding every {CADENCE} ticks "
                "through the offline model, against the same world with the rules, in turn"),
        figure("llm_over_rules_median_ratio", median(llm) / median(rules), "x",
               "median tick time (the decision ticks hardly weigh in)"),
        figure("rules_ms_per_tick", _mean(rules), "ms", "mean, rules-only actors"),
        figure("llm_ms_per_tick", _mean(llm), "ms", "mean, model-backed actors"),
        exactly("model_calls", run["model_calls"], "calls",
                run["actors"] * run["decision_ticks"], "one per actor per decision tick"),
        figure("graph_over_loop_ratio", run["graph_s"] / run["loop_s"], "x",
               "world-loop graph against ActorWorld.run, rules, whole runs in turn"),
        exactly("graph_same_digests", 1.0 if run["graph_same_digests"] else 0.0, "bool", 1.0,
                "the graph and the loop give the same digest every tick"),
    ]
    details = {k: v for k, v in run.items() if not k.endswith("_wall_ms")}
    details["llm_wall_ms"] = [round(v, 2) for v in llm]
    details["rules_wall_ms"] = [round(v, 2) for v in rules]
    return Report(benchmark="world_actors", measurements=tuple(measurements),
                  parameters={"smoke": smoke, "ticks": ticks, "cadence": CADENCE},
                  details=details)

"""portal_workload: the reference run's scenario, offline, with a fixed latency per call.

``mars_mission_portal`` runs through ``daedalus.runs.run`` with the offline model sleeping
``latency`` seconds per call (``offline_latency``, an ``asyncio.sleep``) under the router's
concurrency limit. Reported: calls, prompt and completion tokens, wall time W, the summed call
latencies, and W/L, the wall time in latency units (the reference run took about 1,660 of
them: its calls ran one after another).

The critical path, the floor no scheduler can beat, is given two ways:

- from the graph: every call is sequential except the two fan-outs of the graph: the forward
  trials of one search round (``Send``, closed by one judge call) and the three readers after
  a dialog (extraction, relationships, prospection, run in parallel). So the path is
  ``calls - (trials - rounds) - (readers - dialogs)``, read from the ledger's node counts;
- measured: a probe run at a larger latency records when each call was sent and when its
  latency ended; the longest chain of calls each sent only after the previous one was
  answered (``bench._timing.critical_path``). With the limit never reached (``max_in_flight``
  below it), that chain is what the run had to wait through.

W minus (measured path x L) is the time not spent waiting on the path: framework and answer
generation. The projection to the reference run's 3.5 s per call keeps that time and puts
3.5 s on every call of the path; it is derived, not measured, and holds only while the
concurrency limit does not bind (reported as ``probe_max_in_flight``).
"""

from __future__ import annotations

import shutil
from collections import Counter
from typing import Any

from bench._measure import Measurement, Report, at_most, figure, median
from bench._runs import TimedRun, fresh_store, resized, timed_run
from bench._timing import critical_path, max_in_flight
from daedalus.llm.ledger import CallRecord
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.selection import fallback_chain
from daedalus.scenario import Scenario
from daedalus.templates import load_template

__all__ = [
    "REFERENCE",
    "graph_critical_path",
    "portal_scenario",
    "portal_workload",
    "projected_dollars",
]

REFERENCE = {
    "calls": 1662,
    "tokens": 1_218_519,
    "cost_usd": 0.68,
    "wall_seconds": 5809.0,
    "seconds_per_call": 3.5,
    "dialogs": 11,
    "turns": 114,
}
"""The reference run of ``mars_mission_portal`` (shared/seeds/002)."""

_READERS = ("extraction", "relationships", "prospection")


def graph_critical_path(nodes: Counter[str]) -> int:
    """Calls on the longest dependency chain, from per-node call counts (module docstring)."""
    total = sum(nodes.values())
    trials = nodes.get("portal_forward", 0)
    rounds = nodes.get("portal_judge", 0)
    readers = [nodes.get(name, 0) for name in _READERS]
    return total - max(trials - rounds, 0) - (sum(readers) - max(readers))


def projected_dollars(rows: list[CallRecord], registry: ModelRegistry | None = None) -> float:
    """What the run's tokens would cost on the model M18 routes each action to first."""
    registry = registry or ModelRegistry.default()
    chosen: dict[str, Any] = {}
    dollars = 0.0
    for row in rows:
        key = row.action.value
        if key not in chosen:
            chosen[key] = fallback_chain(row.action, registry, length=1)[0]
        profile = chosen[key]
        dollars += (
            row.prompt_tokens * profile.prompt_price
            + row.completion_tokens * profile.completion_price
        )
    return dollars


def portal_scenario(smoke: bool) -> Scenario:
    """``mars_mission_portal``; at smoke scale 2 steps, 2 candidates, dialogs of 3 turns."""
    if smoke:
        return resized(
            "mars_mission_portal",
            timeline={"steps": 2},
            portal={"candidates": 2},
            dialog={"max_turns": 3},
        )
    return load_template("mars_mission_portal")


def _once(scenario: Scenario, latency: float, concurrency: int) -> TimedRun:
    store = fresh_store("portal")
    try:
        return timed_run(scenario, store, latency=latency, concurrency=concurrency)
    finally:
        shutil.rmtree(store, ignore_errors=True)


def portal_workload(
    *,
    smoke: bool = False,
    latency: float | None = None,
    concurrency: int = 8,
    repetitions: int | None = None,
    probe_latency: float | None = None,
) -> Report:
    """Run the portal workload (see the module docstring); medians over ``repetitions``."""
    latency = latency if latency is not None else (0.002 if smoke else 0.020)
    probe_latency = probe_latency if probe_latency is not None else (0.01 if smoke else 0.10)
    repetitions = repetitions or (1 if smoke else 3)
    scenario = portal_scenario(smoke)
    runs = [_once(scenario, latency, concurrency) for _ in range(repetitions)]
    probe = _once(scenario, probe_latency, concurrency)
    first = runs[0]
    totals = first.totals
    nodes = Counter(row.node for row in first.run.ledger.records)
    wall = median([r.wall_seconds for r in runs])
    waits = [call.waiting for call in probe.timer.calls]
    measured_path = critical_path(waits)
    in_flight = max_in_flight(waits)
    off_path = max(wall - measured_path * latency, 0.0)
    summary = first.run.summary()
    measurements: list[Measurement] = [
        at_most("calls", totals.calls, "calls", 400, "reference run: 1,662"),
        at_most("prompt_tokens", totals.prompt_tokens, "tokens", 350_000),
        figure("completion_tokens", totals.completion_tokens, "tokens"),
        figure("wall_seconds", wall, "s", f"median of {repetitions}, L = {latency} s"),
        figure("latency_sum_seconds", first.ledger_latency_seconds, "s", "router-timed"),
        figure("simulated_latency_sum_seconds", totals.calls * latency, "s", "calls x L"),
        at_most("wall_over_latency", wall / latency, "L", 170, "reference run: ~1,660"),
        figure("critical_path_graph", graph_critical_path(nodes), "calls"),
        figure("critical_path_measured", measured_path, "calls", f"probe at L = {probe_latency}"),
        figure("off_path_seconds", off_path, "s", "W minus measured path x L"),
        figure(
            "projected_wall_at_3_5s",
            off_path + measured_path * REFERENCE["seconds_per_call"],
            "s",
            "derived: off-path time + path x 3.5 s; reference run: 5,809 s",
        ),
        figure(
            "projected_cost_usd",
            projected_dollars(list(first.run.ledger.records)),
            "USD",
            "derived: ledger tokens at registry prices of each action's first M18 model",
        ),
    ]
    return Report(
        benchmark="portal_workload",
        measurements=tuple(measurements),
        parameters={
            "scenario": scenario.id,
            "steps": scenario.timeline.steps,
            "candidates": scenario.portal.candidates if scenario.portal else None,
            "latency_s": latency,
            "probe_latency_s": probe_latency,
            "concurrency": concurrency,
            "repetitions": repetitions,
            "smoke": smoke,
        },
        details={
            "walls_s": [round(r.wall_seconds, 3) for r in runs],
            "probe_wall_s": round(probe.wall_seconds, 3),
            "probe_max_in_flight": in_flight,
            "calls_by_node": dict(nodes.most_common()),
            "prompt_tokens_by_node": {
                node: totals.prompt_tokens for node, totals in first.run.ledger.by_node().items()
            },
            "search_rounds_by_reason": dict(
                Counter(
                    str(found["reason"])
                    for step in first.run.record.portal.get("steps", [])
                    for found in step["rounds"]
                )
            ),
            "timepoints": summary["timepoints"],
            "dialogs": summary["dialogs"],
            "turns": summary["turns"],
            "exposures": summary["exposures"],
            "mechanisms_fired": summary["mechanisms_fired"],
            "answer_seconds": round(first.timer.answer_seconds, 3),
            "reference": REFERENCE,
        },
    )

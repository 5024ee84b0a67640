"""CYCLICAL (M17): moments run in cycles, and a prophecy made early constrains what follows.

The forward loop (``graphs._forward``) over whole cycles (``timeline.steps`` rounded up to a
multiple of ``cyclical.cycle_length``):

1. ``prophecy`` (after the first event): the prophecy is recorded at the first moment (the
   scenario's ``cyclical.prophecy`` or one model call) and witnessed by those present.
2. Every later event is written knowing its cycle and position and the prophecy, as a
   constraint to satisfy or resist; a cycle's first moment echoes how the story first opened,
   its last one leads back to where the cycle began.
3. ``close_cycle`` (after each timestep): the last moment of a cycle closes the loop, recorded
   as ``closures[last] = first``.
4. ``settle_cycles`` (at the end): a judge decides where each prophecy was fulfilled (or not),
   then ``daedalus.kernel.temporal.check_cyclical`` checks links, closures and fulfilment over the
   moments of the line (details inside a moment, M8, belong to it and are not counted).
"""

from __future__ import annotations

from typing import Annotated, Any

from langgraph.graph import StateGraph
from langgraph.runtime import Runtime

from daedalus.agents.prophecy import NODE as PROPHECY_NODE
from daedalus.agents.prophecy import ProphecyState, judge_prophecies, make_prophecy
from daedalus.context import RunContext
from daedalus.graphs._forward import ForwardState, build_forward_graph, consistency_delta
from daedalus.kernel.narrative import EventGuidance, cycle_position, forward_line, whole_cycles
from daedalus.kernel.temporal import check_cyclical
from daedalus.scenario import CyclicalSection, Scenario
from daedalus.state import merge_map

__all__ = [
    "CLOSE_NODE",
    "PROPHECY_NODE",
    "SETTLE_NODE",
    "CyclicalState",
    "build_cyclical_graph",
    "close_cycle",
    "cycle_length_of",
    "cyclical_guidance",
    "cyclical_steps",
    "prophesy",
    "settle_cycles",
]

CLOSE_NODE = "close_cycle"
SETTLE_NODE = "settle_cycles"


class CyclicalState(ForwardState, ProphecyState, total=False):
    """CYCLICAL state: ``prophecies`` (with where each was fulfilled) and ``closures``
    (``{last moment of a cycle: its first}``)."""

    closures: Annotated[dict[str, str], merge_map]


def cycle_length_of(scenario: Scenario) -> int:
    """The scenario's cycle length (``cyclical.cycle_length``, default 3)."""
    return (scenario.cyclical or CyclicalSection()).cycle_length


def cyclical_steps(scenario: Scenario) -> int:
    """Moments in a CYCLICAL run: ``timeline.steps`` rounded up to whole cycles."""
    return whole_cycles(scenario.timeline.steps, cycle_length_of(scenario))


def cyclical_guidance(state: CyclicalState) -> EventGuidance:
    """The event writer's direction: cycle and position, echoes, and the prophecy."""
    scenario = state["scenario"]
    length = cycle_length_of(scenario)
    line = forward_line(state.get("timepoints", []))
    position = cycle_position(len(line), length)
    notes = [
        f"Cycle {position.cycle + 1} of {cyclical_steps(scenario) // length}, "
        f"moment {position.position + 1} of {length}."
    ]
    if position.opens and line:
        notes.append(
            "A new turn of the cycle begins: echo how the story first opened "
            f"({line[0].event_description}), changed by what the last cycle left behind."
        )
    if position.closes and position.position > 0:
        start = line[len(line) - position.position]
        notes.append(
            "This moment closes the cycle: lead the story back to where the cycle began "
            f"({start.event_description}) so the loop can start again."
        )
    for prophecy in state.get("prophecies", []):
        notes.append(
            f'The prophecy spoken at {prophecy.made_at}: "{prophecy.text}". The future '
            "constrains the past: move the story toward its fulfilment, or show the people "
            "struggling against it."
        )
    return EventGuidance(notes=tuple(notes))


async def prophesy(state: CyclicalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: at the first moment, the prophecy (``agents.prophecy.make_prophecy``); later, no
    change."""
    line = forward_line(state.get("timepoints", []))
    if len(line) != 1 or state.get("prophecies"):
        return {}
    return await make_prophecy(state, runtime)


def close_cycle(state: CyclicalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: when the newest moment ends a cycle, ``closures[it] = the cycle's first``."""
    line = forward_line(state.get("timepoints", []))
    length = cycle_length_of(state["scenario"])
    position = cycle_position(len(line) - 1, length)
    if not position.closes:
        return {}
    first = line[len(line) - length]
    return {"closures": {line[-1].id: first.id}, "mechanisms": {"M17": 1}}


async def settle_cycles(state: CyclicalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the judge's verdict on each prophecy, then ``check_cyclical`` on the line."""
    judged = await judge_prophecies(state, runtime)
    report = check_cyclical(
        forward_line(state.get("timepoints", [])),
        cycle_length_of(state["scenario"]),
        judged["prophecies"],
        state.get("closures", {}),
    )
    verdict = consistency_delta(report)
    return {
        "prophecies": judged["prophecies"],
        "consistency": report,
        "validation": [*judged["validation"], *verdict["validation"]],
        "mechanisms": {"M17": 1 + len(verdict["validation"]) + judged["mechanisms"].get("M17", 0)},
    }


def build_cyclical_graph() -> StateGraph[CyclicalState, RunContext, CyclicalState, CyclicalState]:
    """The uncompiled CYCLICAL graph (state ``CyclicalState``, context ``RunContext``)."""
    return build_forward_graph(
        CyclicalState,
        guidance=cyclical_guidance,
        after_event=(PROPHECY_NODE, prophesy),
        after_timestep=(CLOSE_NODE, close_cycle),
        finish=(SETTLE_NODE, settle_cycles),
        total_steps=cyclical_steps,
    )

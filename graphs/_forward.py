"""The forward loop shared by PEARL, DIRECTORIAL, NONLINEAR and CYCLICAL (M7, M17).

One moment per turn of the loop::

    START -> scene setup -> [before_event] -> next_event -> [after_event]
          -> world_news -> rest_and_gate -> [before_dialog] -> dialog -> enforce_validators
          -> progressive_training -> vertical_expansion -> [after_timestep]
          -> (another moment? back to the top) -> finish -> END

``next_event`` writes each moment from the story so far (``agents.event_writer``) with the
mode's ``guidance``; the bracketed hooks are optional nodes a mode adds (its direction, its
prophecy, its cycle bookkeeping) and ``finish`` checks the mode's consistency (M17) once the
line holds ``total_steps(scenario)`` moments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime

from daedalus.agents.event_writer import NODE as NEXT_EVENT
from daedalus.agents.event_writer import write_event
from daedalus.context import RunContext
from daedalus.graphs.scene import add_scene_setup
from daedalus.graphs.timestep import DIALOG_NODE, GATE_NODE, add_timestep
from daedalus.kernel.narrative import DecisionPoint, EventGuidance, forward_line
from daedalus.kernel.temporal import ConsistencyReport
from daedalus.scenario import Scenario
from daedalus.state import SimState, ValidationRecord, merge_map

__all__ = [
    "NEXT_EVENT",
    "ForwardState",
    "Guidance",
    "Hook",
    "build_forward_graph",
    "consistency_delta",
    "forward_recursion_limit",
]


class ForwardState(SimState, total=False):
    """State of a forward mode: the simulation plus what the event writer noted per moment
    (``focus``, ``decision_points`` for later branching, M12) and the mode's verdict."""

    decision_points: Annotated[dict[str, DecisionPoint], merge_map]
    focus: Annotated[dict[str, str], merge_map]
    consistency: ConsistencyReport | None


S = TypeVar("S", bound=ForwardState)
Hook = tuple[str, Callable[..., Any]]
"""A node a mode adds to the loop: (name, ``(state, runtime) -> dict`` sync or async)."""
Guidance = Callable[[Any], EventGuidance]
"""Reads the state before a moment is written and returns the mode's direction for it."""


def consistency_delta(report: ConsistencyReport) -> dict[str, Any]:
    """State update for a mode's verdict: the report and one ``validation`` record per
    violation (action ``recorded``)."""
    records = [
        ValidationRecord(
            id=f"temporal-{report.mode.value}-{number}",
            validator=f"temporal:{violation.rule.value}",
            timepoint_id=violation.timepoint_ids[0] if violation.timepoint_ids else None,
            message=f"{violation.severity.value}: {violation.message}",
            action="recorded",
        )
        for number, violation in enumerate(report.violations)
    ]
    return {"consistency": report, "validation": records, "mechanisms": {"M17": 1 + len(records)}}


def forward_recursion_limit(steps: int) -> int:
    """A LangGraph recursion limit that fits a forward run of ``steps`` moments with every
    hook in place (eleven supersteps a moment, the setup and the finish)."""
    return 11 * steps + 16


def _default_steps(scenario: Scenario) -> int:
    return scenario.timeline.steps


def _insert_after(
    graph: StateGraph[Any, Any, Any, Any], node: str, hook: Hook, follower: str
) -> None:
    # add_timestep chains its nodes itself; a mode's hook between two of them re-routes that edge.
    graph.edges.discard((node, follower))
    graph.add_node(hook[0], hook[1])
    graph.add_edge(node, hook[0])
    graph.add_edge(hook[0], follower)


def build_forward_graph(
    state_schema: type[S],
    *,
    guidance: Guidance | None = None,
    before_event: Hook | None = None,
    after_event: Hook | None = None,
    before_dialog: Hook | None = None,
    after_timestep: Hook | None = None,
    finish: Hook,
    total_steps: Callable[[Scenario], int] = _default_steps,
) -> StateGraph[S, RunContext, S, S]:
    """The uncompiled forward graph over ``state_schema`` (a ``ForwardState``).

    ``guidance(state)`` is asked before each moment is written; ``total_steps(scenario)`` is
    how many moments the line gets (default ``timeline.steps``); ``finish`` runs once at the
    end. Each hook is a ``(name, node)`` pair placed as in the module docstring.
    """

    # ``Any``: LangGraph reads a node's input keys from its annotation; this one sees them all.
    async def next_event(state: Any, runtime: Runtime[RunContext]) -> dict[str, Any]:
        direction = guidance(state) if guidance is not None else None
        total = total_steps(state["scenario"])
        return await write_event(state, runtime, direction, total=total)

    graph = StateGraph(state_schema, context_schema=RunContext)
    last = add_scene_setup(graph)
    loop_start = before_event[0] if before_event is not None else NEXT_EVENT
    chain: Sequence[Hook | None] = (before_event, (NEXT_EVENT, next_event), after_event)
    for hook in chain:
        if hook is not None:
            graph.add_node(hook[0], hook[1])
            graph.add_edge(last, hook[0])
            last = hook[0]
    last = add_timestep(graph, after=last)
    if before_dialog is not None:
        _insert_after(graph, GATE_NODE, before_dialog, DIALOG_NODE)
    if after_timestep is not None:
        graph.add_node(after_timestep[0], after_timestep[1])
        graph.add_edge(last, after_timestep[0])
        last = after_timestep[0]
    graph.add_node(finish[0], finish[1])

    def another_moment(state: ForwardState) -> str:
        done = len(forward_line(state.get("timepoints", [])))
        return "more" if done < total_steps(state["scenario"]) else "done"

    graph.add_conditional_edges(last, another_moment, {"more": loop_start, "done": finish[0]})
    graph.add_edge(finish[0], END)
    return graph

"""PORTAL (M17, M7): backward inference from a known endpoint, then the chain simulated forward.

::

    START -> scene setup -> portal_plan
          -> portal_candidates -> portal_forward x N (parallel Send) -> portal_judge
          -> portal_decide -> (another round? back to portal_candidates)
          -> portal_chain -> portal_advance -> rest_and_gate -> dialog -> enforce_validators
          -> progressive_training -> vertical_expansion -> (another timepoint? portal_advance)
          -> portal_check -> END

The backward search fills every slot between the origin and the endpoint (``daedalus.portal``
documents strategies, re-proposals, backtracking and pivots); the chosen chain then becomes
timepoints linked by ``causal_parent`` from the origin forward, each appended in causal order
with ``witnessed`` exposures for the entities present and run through the per-timepoint pieces,
so every dialog's knowledge is stripped to the timepoint's causal ancestry. ``check_portal``
judges the finished timeline. Progress: a ``portal_step`` custom stream event after every
search decision and a ``portal_forward`` event for every timepoint simulated forward.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from daedalus.agents._portal_cast import portal_people, scene_place
from daedalus.agents.portal_candidates import NODE as CANDIDATES_NODE
from daedalus.agents.portal_candidates import portal_candidates, portal_cast
from daedalus.agents.portal_forward import NODE as FORWARD_NODE
from daedalus.agents.portal_forward import ForwardTask, portal_forward
from daedalus.agents.portal_judge import NODE as JUDGE_NODE
from daedalus.agents.portal_judge import portal_judge
from daedalus.context import RunContext
from daedalus.domain import CognitiveState, PhysicalState, ResolutionLevel
from daedalus.errors import ConfigError
from daedalus.graphs._forward import consistency_delta
from daedalus.graphs.scene import add_scene_setup
from daedalus.graphs.timestep import add_timestep
from daedalus.kernel.temporal import check_portal
from daedalus.portal import (
    Condition,
    DecisionKind,
    EntityForecast,
    PortalState,
    apply_decision,
    decide,
    knowledge_before,
    patch_of,
    start_record,
    trial_exposures,
    trial_knowledge_drift,
    trial_requests,
    trial_state_drift,
    trial_states,
    with_chain,
    witnessed_exposures,
)
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario
from daedalus.state import ValidationRecord

__all__ = [
    "ADVANCE_NODE",
    "CANDIDATES_NODE",
    "CHAIN_NODE",
    "CHECK_NODE",
    "DECIDE_NODE",
    "FORWARD_NODE",
    "JUDGE_NODE",
    "PLAN_NODE",
    "build_portal_graph",
    "portal_advance",
    "portal_chain",
    "portal_check",
    "portal_decide",
    "portal_plan",
    "portal_recursion_limit",
    "send_trials",
    "trial_setting",
]

PLAN_NODE = "portal_plan"
DECIDE_NODE = "portal_decide"
CHAIN_NODE = "portal_chain"
ADVANCE_NODE = "portal_advance"
CHECK_NODE = "portal_check"


def portal_plan(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: a fresh search record (slot times, resolved strategy, first round pending)."""
    scenario = state["scenario"]
    if scenario.portal is None:
        raise ConfigError(f"scenario {scenario.id!r} has no 'portal' section; PORTAL needs one")
    record = start_record(scenario.portal, scenario)
    return {"portal": record, "portal_next": 0, "mechanisms": {"M17": 1}}


def trial_setting(state: PortalState) -> str:
    """What a trial is told of the world: the scenario's name and place. The description,
    which names the endpoint the search works back from, is left out so that trials do not
    bend toward it."""
    place = scene_place(state)
    return state["scenario"].name + (f"\nPlace: {place}" if place else "")


def send_trials(state: PortalState) -> list[Send]:
    """One forward trial per candidate of the latest round, run in parallel (``Send``); each
    carries what its people know at the slot (M3, M7) and their state (valence, arousal,
    energy, fatigue), each person rendered at its level for the slot (M1)."""
    record = state["portal"]
    cast = portal_cast(state)
    knows = knowledge_before(state.get("exposures", []), cast)
    cognitive = state.get("cognitive") or {}
    physical = state.get("physical") or {}
    condition = {
        entity: (
            cognitive[entity].valence,
            cognitive[entity].arousal,
            round(cognitive[entity].energy / cognitive[entity].energy_capacity, 3),
            physical[entity].fatigue if entity in physical else 0.0,
        )
        for entity in cast
        if entity in cognitive
    }
    if state.get("entities"):
        latest = record.latest
        acting = [e for candidate in latest.candidates for e in candidate.entities]
        # Knowledge and state are the sheet's own fields, so the text stops at GRAPH.
        shown = portal_people(
            state, latest.slot, list(dict.fromkeys(acting)), attention=acting,
            cap=ResolutionLevel.GRAPH, with_mood=False,
        )
        cast = {e: text.removeprefix(f"- {e}: ") for e, text in shown.items()}
    requests = trial_requests(record, cast, trial_setting(state), knows, condition)
    return [Send(FORWARD_NODE, ForwardTask(portal_trial=request)) for request in requests]


def portal_decide(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: accept, re-propose or backtrack after the judge (``daedalus.portal.decide``);
    emits a ``portal_step`` progress event."""
    record = state["portal"]
    decision = decide(record)
    updated = apply_decision(record, decision)
    event: dict[str, Any] = {
        "event": "portal_step",
        "step": len(updated.filled),
        "of": updated.slot_count,
        "slot": decision.slot,
        "time": updated.times[decision.slot].isoformat(),
        "decision": decision.kind.value,
        "filled": len(updated.filled),
    }
    if decision.to_slot is not None:
        event["to_slot"] = decision.to_slot
    if decision.kind in (DecisionKind.ACCEPT, DecisionKind.GIVE_UP):
        chosen = updated.step(decision.slot)
        event["chosen"] = chosen.chosen
        event["total"] = chosen.score(str(chosen.chosen)).total
    runtime.stream_writer(event)
    return {"portal": updated, "mechanisms": {"M17": 1}}


def _after_decision(state: PortalState) -> str:
    return "search" if state["portal"].pending is not None else "chain"


def _entity_ids(state: PortalState) -> list[str]:
    return list(state.get("entities") or state["scenario"].entity_ids)


def portal_chain(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the chosen chain as timepoints (origin first) and ids (endpoint first) in the
    record; the endpoint holds every entity."""
    record = with_chain(state["portal"], _entity_ids(state))
    return {"portal": record, "portal_next": 0, "mechanisms": {"M17": 1}}


def portal_advance(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: append the next chain timepoint in causal order with its ``witnessed`` exposures
    and what the accepted trial into it predicted each person would know there (``learned``,
    ``trial_exposures``) and how they would be (their minds and bodies are set to the
    prediction, ``trial_states``), and point ``cursor`` at it (M7, M3, M17); emits a
    ``portal_forward`` progress event."""
    record = state["portal"]
    timeline = record.timeline
    index = state.get("portal_next", 0)
    if index >= len(timeline):
        raise ConfigError(f"portal_advance has no timepoint {index}; the chain has {len(timeline)}")
    timepoint = timeline[index]
    witnessed = list(witnessed_exposures(timepoint))
    witnessed += trial_exposures(record, timepoint, [*state.get("exposures", []), *witnessed])
    minds, bodies = _seeded_states(state, trial_states(record, timepoint))
    runtime.stream_writer(
        {"event": "portal_forward", "step": index + 1, "of": len(timeline), "id": timepoint.id}
    )
    return {
        "timepoints": [timepoint],
        "exposures": witnessed,
        "cognitive": minds,
        "physical": bodies,
        "cursor": timepoint.id,
        "portal_next": index + 1,
        "mechanisms": {"M7": 1, "M3": len(witnessed), "M17": len(minds)},
    }


def _seeded_states(
    state: PortalState, forecasts: Mapping[str, EntityForecast]
) -> tuple[dict[str, CognitiveState], dict[str, PhysicalState]]:
    """Minds and bodies of the forecast people as the accepted trial predicted them on arrival
    (M8, M17): valence, arousal, energy (a share of capacity) and fatigue."""
    minds: dict[str, CognitiveState] = {}
    bodies: dict[str, PhysicalState] = {}
    for entity, forecast in forecasts.items():
        if entity not in state.get("entities", {}):
            continue
        mind = state.get("cognitive", {}).get(entity, CognitiveState())
        minds[entity] = mind.model_copy(
            update={
                "valence": forecast.valence,
                "arousal": forecast.arousal,
                "energy": round(forecast.energy * mind.energy_capacity, 3),
            }
        )
        body = state.get("physical", {}).get(entity, PhysicalState())
        bodies[entity] = body.model_copy(update={"fatigue": forecast.fatigue})
    return minds, bodies


def _after_timestep(state: PortalState) -> str:
    done = state.get("portal_next", 0) >= len(state["portal"].timeline)
    return "check" if done else "advance"


def portal_check(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: ``check_portal`` over the finished timeline into ``consistency`` (M17), with one
    ``validation`` record (action ``recorded``) per violation; every item an accepted trial
    predicted an entity would know at a slot that the run does not hold there becomes a
    consistency warning in the record and a ``portal:trial_knowledge`` validation record, and so
    does every person whose mood after a slot departs from the trial's prediction on arrival by
    more than ``STATE_TOLERANCE`` (``trial_state_drift``)."""
    timepoints = state.get("timepoints", [])
    record = state["portal"]
    delta = consistency_delta(check_portal(timepoints, record.chain))
    if not record.timeline:
        return delta
    provenance = Provenance(timepoints, state.get("exposures", []))
    drift = trial_knowledge_drift(record, provenance.knowledge_at)
    drift += trial_state_drift(record, _states_after(state))
    if drift:
        delta["portal"] = record.model_copy(update={"warnings": (*record.warnings, *drift)})
        delta["validation"] = [
            *delta["validation"],
            *(
                ValidationRecord(
                    id=f"portal-trial-knowledge-{number}",
                    validator="portal:trial_knowledge",
                    message=f"warning: {line}",
                    action="recorded",
                )
                for number, line in enumerate(drift)
            ),
        ]
    return delta


def _states_after(state: PortalState) -> dict[str, dict[str, Condition]]:
    """Per timepoint with a snapshot, each person's (valence, arousal, energy share, fatigue)
    right after the moment was simulated."""
    after: dict[str, dict[str, Condition]] = {}
    for timepoint_id, snapshot in state.get("snapshots", {}).items():
        after[timepoint_id] = {
            entity: (
                mind.valence,
                mind.arousal,
                mind.energy / mind.energy_capacity,
                snapshot.physical[entity].fatigue if entity in snapshot.physical else 0.0,
            )
            for entity, mind in snapshot.cognitive.items()
        }
    return after


def portal_recursion_limit(scenario: Scenario) -> int:
    """A LangGraph recursion limit that fits a PORTAL run of ``scenario`` in the worst case
    (every slot re-proposed, every backtrack spent, each timepoint through seven nodes)."""
    steps = scenario.timeline.steps
    backtracks = scenario.portal.max_backtracks if scenario.portal else 0
    rounds = 2 * steps + 4 * backtracks
    return 4 + 1 + 4 * rounds + 1 + 7 * (steps + 1) + 1 + 10


_SyncNode = TypeVar("_SyncNode", bound=Callable[..., dict[str, Any]])
_AsyncNode = TypeVar("_AsyncNode", bound=Callable[..., Awaitable[dict[str, Any]]])


def _patched(state: PortalState, update: dict[str, Any]) -> dict[str, Any]:
    # The record is an append-only channel: write what changed, not the whole search again.
    if "portal" in update:
        update = {**update, "portal": patch_of(state.get("portal"), update["portal"])}
    return update


def _writes_patch(node: _SyncNode) -> _SyncNode:
    def patched(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        return _patched(state, node(state, runtime))

    patched.__name__ = patched.__qualname__ = node.__name__
    return cast(_SyncNode, patched)


def _awaits_patch(node: _AsyncNode) -> _AsyncNode:
    async def patched(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        return _patched(state, await node(state, runtime))

    patched.__name__ = patched.__qualname__ = node.__name__
    return cast(_AsyncNode, patched)


def build_portal_graph() -> StateGraph[PortalState, RunContext, PortalState, PortalState]:
    """The uncompiled PORTAL graph (state ``PortalState``, context ``RunContext``)."""
    graph = StateGraph(PortalState, context_schema=RunContext)
    setup = add_scene_setup(graph)
    graph.add_node(PLAN_NODE, portal_plan)
    graph.add_node(CANDIDATES_NODE, _awaits_patch(portal_candidates))
    graph.add_node(FORWARD_NODE, portal_forward, input_schema=ForwardTask)
    graph.add_node(JUDGE_NODE, _awaits_patch(portal_judge))
    graph.add_node(DECIDE_NODE, _writes_patch(portal_decide))
    graph.add_node(CHAIN_NODE, _writes_patch(portal_chain))
    graph.add_node(ADVANCE_NODE, portal_advance)
    graph.add_node(CHECK_NODE, _writes_patch(portal_check))
    graph.add_edge(setup, PLAN_NODE)
    graph.add_edge(PLAN_NODE, CANDIDATES_NODE)
    graph.add_conditional_edges(CANDIDATES_NODE, send_trials, [FORWARD_NODE])
    graph.add_edge(FORWARD_NODE, JUDGE_NODE)
    graph.add_edge(JUDGE_NODE, DECIDE_NODE)
    graph.add_conditional_edges(
        DECIDE_NODE, _after_decision, {"search": CANDIDATES_NODE, "chain": CHAIN_NODE}
    )
    graph.add_edge(CHAIN_NODE, ADVANCE_NODE)
    last = add_timestep(graph, after=ADVANCE_NODE)
    graph.add_conditional_edges(
        last, _after_timestep, {"advance": ADVANCE_NODE, "check": CHECK_NODE}
    )
    graph.add_edge(CHECK_NODE, END)
    return graph

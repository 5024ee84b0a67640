"""The per-timepoint pieces every mode graph runs (M1, M2, M4, M8, M14, ADPRS, M11).

A mode graph appends the current timepoint to ``timepoints`` and sets ``cursor`` to its id; then
``add_timestep`` runs, in order:

0. ``world_news``: in a grounded scenario, the date's world news as exposures (M3,
   ``graphs.grounding``); nothing otherwise. Pure.
1. ``rest_and_gate``: bodies and minds recover over the time since the previous moment; circadian
   and bodily refusals (M14); ADPRS activation and the dialog participants (M1). Pure.
2. ``dialog``: ``graphs.dialog.dialog_step`` among ``participants[cursor]`` (M11).
3. ``enforce_validators``: the M4 validators on what the timepoint added, with repairs. Pure.
4. ``progressive_training``: metadata, resolution and elaboration of the participants (M2).
5. ``vertical_expansion``: beats inside an important moment (M8).

``build_timestep_graph`` runs just these on a prepared state.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from daedalus.agents._cast import moment_depth
from daedalus.agents._cast import planned_floors as floors_for_slot
from daedalus.agents.elaboration import NODE as TRAINING_NODE
from daedalus.agents.elaboration import progressive_training
from daedalus.agents.expansion import NODE as EXPANSION_NODE
from daedalus.agents.expansion import vertical_expansion
from daedalus.context import RunContext
from daedalus.domain import CognitiveState, PhysicalState, ResolutionLevel
from daedalus.graphs.dialog import dialog_step
from daedalus.graphs.grounding import WORLD_NEWS_NODE, world_news
from daedalus.kernel.tensors import (
    CompressedTensor,
    TTMTensor,
    build_baseline_tensor,
    with_cognitive,
)
from daedalus.provenance import Provenance
from daedalus.state import SimState
from daedalus.validators.enforcement import dialog_at, enforce_timepoint
from daedalus.validators.gating import (
    find_timepoint,
    gate_timepoint,
    hours_between,
    previous_moment_time,
    rest_all,
)

__all__ = [
    "DIALOG_NODE",
    "ENFORCE_NODE",
    "EXPANSION_NODE",
    "GATE_NODE",
    "TIMESTEP_NODES",
    "TRAINING_NODE",
    "WORLD_NEWS_NODE",
    "add_timestep",
    "build_timestep_graph",
    "enforce_validators",
    "lives_compressed",
    "planned_floors",
    "rest_and_gate",
]

GATE_NODE = "rest_and_gate"
DIALOG_NODE = "dialog"
ENFORCE_NODE = "enforce_validators"
TIMESTEP_NODES = (
    WORLD_NEWS_NODE, GATE_NODE, DIALOG_NODE, ENFORCE_NODE, TRAINING_NODE, EXPANSION_NODE
)
"""Node names in the order ``add_timestep`` chains them."""


def planned_floors(state: SimState, timepoint_id: str) -> dict[str, ResolutionLevel]:
    """Per entity, the higher of the fidelity plan's cell for this moment (slot = the moment's
    depth on its causal line, M1+M17) and the resolution the entity has earned (M2, M5)."""
    return floors_for_slot(state, moment_depth(state.get("timepoints", []), timepoint_id))


def rest_and_gate(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: rest since the previous moment, refuse the unavailable, gate by ADPRS (pure).

    Writes the rested ``cognitive``/``physical`` states that changed, ``phi[entity][cursor]`` for
    every present entity, ``participants[cursor]``, refusal records in ``validation``, and for
    every present entity that will not talk a snapshot level in ``resolution`` and a tensor with a
    refreshed biology block: at TENSOR_ONLY only its compressed form (``compressed``, M6) with
    the round-trip error of that compression (``compression_error``: relative L2 of
    compress-then-expand against the tensor it was packed from). Counts M14 (entities
    checked), M1 (cells decided) and M6 (tensors compressed or expanded).
    """
    timepoint = find_timepoint(state.get("timepoints", []), state.get("cursor"))
    cursor = timepoint.id
    scenario = state["scenario"]
    timepoints = state["timepoints"]
    entities = state["entities"]
    since = previous_moment_time(timepoints, cursor)
    hours = hours_between(since, timepoint.timestamp) if since is not None else 0.0
    stored_minds = state.get("cognitive", {})
    stored_bodies = state.get("physical", {})
    minds, bodies = rest_all(stored_minds, stored_bodies, hours)
    all_minds = {**stored_minds, **minds}
    all_bodies = {**stored_bodies, **bodies}
    decision = gate_timepoint(
        timepoint_id=cursor,
        timepoints=timepoints,
        entities=entities,
        relationships=state.get("relationships", {}).values(),
        physical=all_bodies,
        animism=scenario.animism,
        cap=scenario.dialog.participants,
        chronotypes={spec.id: spec.chronotype for spec in scenario.entities},
        floors=planned_floors(state, cursor),
    )
    provenance = Provenance(timepoints, state.get("exposures", []))
    fitted = state.get("compression")
    compressed = state.get("compressed", {})
    low = lives_compressed(state, cursor)
    tensors: dict[str, TTMTensor] = {}
    packed: dict[str, CompressedTensor] = {}
    errors: dict[str, float] = {}
    for entity_id, level in decision.snapshot_levels.items():
        mind = all_minds.get(entity_id, CognitiveState())
        body = all_bodies.get(entity_id, PhysicalState())
        tensor: TTMTensor | None = state.get("tensors", {}).get(entity_id)
        if fitted is not None and entity_id in compressed and entity_id in low:
            tensor = fitted.expand(compressed[entity_id])
        if tensor is None:
            known = [e.information for e in provenance.knowledge_at(entity_id, cursor)]
            tensor = build_baseline_tensor(entities[entity_id], mind, body, known)
        refreshed = with_cognitive(tensor, mind, body)
        if level is ResolutionLevel.TENSOR_ONLY and fitted is not None:
            packed[entity_id] = fitted.compress(refreshed)  # M6: the low-fidelity form is kept
            errors[entity_id] = round(fitted.reconstruction_error(refreshed), 6)
        else:
            tensors[entity_id] = refreshed
    for entity_id in decision.participants:
        if fitted is not None and entity_id in compressed and entity_id in low:
            # M6: raised from the compressed form, the richer view starts from its expansion
            mind = all_minds.get(entity_id, CognitiveState())
            body = all_bodies.get(entity_id, PhysicalState())
            tensors[entity_id] = with_cognitive(fitted.expand(compressed[entity_id]), mind, body)
    delta: dict[str, Any] = {
        "phi": {entity_id: {cursor: value} for entity_id, value in decision.phi.items()},
        "participants": {cursor: list(decision.participants)},
        "resolution": {e: {cursor: level} for e, level in decision.snapshot_levels.items()},
        "validation": list(decision.refused),
        "mechanisms": {
            key: count
            for key, count in (
                ("M1", len(decision.snapshot_levels)),
                ("M14", len(decision.refused)),
                ("M6", len(packed) + sum(1 for e in decision.participants if e in tensors)),
            )
            if count
        },
    }
    if minds:
        delta["cognitive"] = minds
    if bodies:
        delta["physical"] = bodies
    if tensors:
        delta["tensors"] = tensors
    if packed:
        delta["compressed"] = packed
        delta["compression_error"] = errors
    return delta


def lives_compressed(state: SimState, timepoint_id: str) -> frozenset[str]:
    """Entities whose latest recorded level on the causal path before ``timepoint_id`` is
    TENSOR_ONLY: their current state is their compressed tensor (M6), not the full one."""
    timepoints = state.get("timepoints", [])
    upstream = set(Provenance(timepoints, ()).timeline.ancestors(timepoint_id)) - {timepoint_id}
    order = [tp.id for tp in timepoints if tp.id in upstream]
    found = set()
    for entity_id, cells in state.get("resolution", {}).items():
        latest = next((cells[tp] for tp in reversed(order) if tp in cells), None)
        if latest is ResolutionLevel.TENSOR_ONLY:
            found.add(entity_id)
    return frozenset(found)


def enforce_validators(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the M4 validators on what the current timepoint added, enforced (pure).

    Writes ``validation`` records, the clamped ``cognitive`` states and the ``tensors`` whose
    behaviour block was rolled back; counts M4 once per validator run.
    """
    timepoint = find_timepoint(state.get("timepoints", []), state.get("cursor"))
    cursor = timepoint.id
    exposures = state.get("exposures", [])
    outcome = enforce_timepoint(
        timepoint_id=cursor,
        provenance=Provenance(state["timepoints"], exposures),
        dialog=dialog_at(state.get("dialogs", []), cursor),
        exposures=exposures,
        relationships=state.get("relationships", {}).values(),
        entities=state["entities"],
        co_present={cursor: timepoint.entities_present},
        cognitive=state.get("cognitive", {}),
        tensors=state.get("tensors", {}),
    )
    delta: dict[str, Any] = {"validation": list(outcome.records)}
    if outcome.records:
        delta["mechanisms"] = {"M4": len(outcome.records)}
    if outcome.cognitive:
        delta["cognitive"] = dict(outcome.cognitive)
    if outcome.tensors:
        delta["tensors"] = dict(outcome.tensors)
    return delta


def add_timestep(graph: StateGraph[Any, Any, Any, Any], *, after: str) -> str:
    """Add the six per-timepoint nodes to ``graph``, chained after node ``after`` (or
    ``START``), and return the name of the last one (to connect what follows)."""
    graph.add_node(WORLD_NEWS_NODE, world_news)
    graph.add_node(GATE_NODE, rest_and_gate)
    graph.add_node(DIALOG_NODE, dialog_step)
    graph.add_node(ENFORCE_NODE, enforce_validators)
    graph.add_node(TRAINING_NODE, progressive_training)
    graph.add_node(EXPANSION_NODE, vertical_expansion)
    previous = after
    for name in TIMESTEP_NODES:
        graph.add_edge(previous, name)
        previous = name
    return previous


def build_timestep_graph() -> StateGraph[SimState, RunContext, SimState, SimState]:
    """An uncompiled graph running one timestep on a prepared state (``cursor`` set, the
    timepoint in ``timepoints``, entities and initial exposures in place)."""
    graph = StateGraph(SimState, context_schema=RunContext)
    last = add_timestep(graph, after=START)
    graph.add_edge(last, END)
    return graph

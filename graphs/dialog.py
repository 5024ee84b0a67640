"""The dialog subgraph (M11) and the wrapper node that runs it inside a mode graph.

Loop: steering -> character -> quality gate, until the steering agent ends the scene or the turn
budget is reached (the gate decides which). Then, in parallel: extraction (M19), relationships
(M13) and prospection (M15); then the aftermath applies them (M13 relationship values, M8 bodies,
M10 atmosphere).

``dialog_step`` is the node mode graphs use: it builds each speaker's Fourth Wall context from
the simulation state with knowledge stripped by causal ancestry (M7), runs the subgraph, and
returns only what the dialog added, so additive keys are never counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from daedalus.agents._cast import cast_text, levels_at
from daedalus.agents._common import SILENT
from daedalus.agents.character import character
from daedalus.agents.extraction import extraction
from daedalus.agents.prospection import prospection
from daedalus.agents.quality_gate import after_gate, quality_gate
from daedalus.agents.relationships import relationships
from daedalus.agents.steering import steering
from daedalus.context import RunContext
from daedalus.domain import (
    Atmosphere,
    CognitiveState,
    Dialog,
    EntityKind,
    Environment,
    PhysicalState,
    ResolutionLevel,
    Timepoint,
)
from daedalus.kernel.adprs import band
from daedalus.kernel.animism import animism_allows
from daedalus.kernel.dialog import recursion_limit, turn_budget
from daedalus.kernel.embodied import couple, describe
from daedalus.kernel.relations import apply_dialog
from daedalus.kernel.render import Audience
from daedalus.kernel.tensors import TTMTensor, build_baseline_tensor
from daedalus.provenance import Provenance
from daedalus.provenance.fourth_wall import build_context, public_view
from daedalus.state import DialogState, SimState, Snapshot, ValidationRecord
from daedalus.validators.aftermath import settle_dialog

__all__ = [
    "build_dialog_graph",
    "dialog_graph",
    "dialog_step",
    "prepare_dialog",
    "select_participants",
]


def aftermath(state: DialogState) -> dict[str, Any]:
    """Relationships (M13 shifts plus counted exchanges and shared knowledge), bodies, minds and
    the room (M8, M10) after the talk; no model call."""
    participants = state["participants"]
    relationships = apply_dialog(
        state.get("relationships", {}),
        participants,
        state.get("turns", []),
        state.get("told", []),
        state.get("relationship_deltas", {}),
    )
    minds, bodies, mood = settle_dialog(
        participants,
        state.get("turns", []),
        state.get("baseline", state["cognitive"]),
        state["cognitive"],
        state.get("physical", {}),
        state["atmosphere"],
        start_tension=state["atmosphere"].tension,
        final_tension=state.get("tension", state["atmosphere"].tension),
    )
    return {
        "relationships_after": relationships,
        "cognitive_after": minds,
        "physical_after": bodies,
        "atmosphere_after": mood,
    }


_FINISH = ["extraction", "relationships", "prospection"]


def _after_gate(state: DialogState) -> str | list[str]:
    """Next node(s) after the gate; a finished dialog fans out to the three readers."""
    route = after_gate(state)
    if route == "finish":
        return _FINISH
    return "steering" if route == "steer" else "character"


def build_dialog_graph() -> StateGraph[DialogState, RunContext, DialogState, DialogState]:
    """The uncompiled dialog subgraph (add nodes or compile it yourself)."""
    graph = StateGraph(DialogState, context_schema=RunContext)
    graph.add_node("steering", steering)
    graph.add_node("character", character)
    graph.add_node("quality_gate", quality_gate)
    graph.add_node("extraction", extraction)
    graph.add_node("relationships", relationships)
    graph.add_node("prospection", prospection)
    graph.add_node("aftermath", aftermath)
    graph.add_edge(START, "steering")
    graph.add_edge("steering", "character")
    graph.add_edge("character", "quality_gate")
    graph.add_conditional_edges(
        "quality_gate",
        _after_gate,
        ["steering", "character", "extraction", "relationships", "prospection"],
    )
    graph.add_edge(["extraction", "relationships", "prospection"], "aftermath")
    graph.add_edge("aftermath", END)
    return graph


_COMPILED: CompiledStateGraph[DialogState, RunContext, DialogState, DialogState] | None = None


def dialog_graph() -> CompiledStateGraph[DialogState, RunContext, DialogState, DialogState]:
    """The compiled subgraph (compiled once; it inherits the caller's checkpointer)."""
    global _COMPILED
    if _COMPILED is None:
        _COMPILED = build_dialog_graph().compile()
    return _COMPILED


def select_participants(state: SimState, timepoint_id: str) -> tuple[str, ...]:
    """Who talks at a timepoint: present, admitted by the animism level (M16), gated in by ADPRS
    (band DIALOG or above when activations are known), at most ``dialog.participants``.

    Entities gated out spend no model call at this timepoint.
    """
    scenario = state["scenario"]
    timepoint = next(t for t in state["timepoints"] if t.id == timepoint_id)
    entities = state["entities"]
    phi = state.get("phi", {})
    present = [
        e for e in timepoint.entities_present
        if e in entities and animism_allows(entities[e].kind, scenario.animism)
    ]
    gated = [
        e for e in present
        if timepoint_id not in phi.get(e, {})
        or band(phi[e][timepoint_id]) >= ResolutionLevel.DIALOG
    ]
    ranked = sorted(gated, key=lambda e: (-phi.get(e, {}).get(timepoint_id, 1.0), present.index(e)))
    return tuple(ranked[: scenario.dialog.participants])


def _tensor(state: SimState, entity_id: str, knowledge: Sequence[str]) -> TTMTensor:
    tensor = state.get("tensors", {}).get(entity_id)
    if tensor is not None:
        return tensor
    return build_baseline_tensor(
        state["entities"][entity_id],
        state.get("cognitive", {}).get(entity_id, CognitiveState()),
        state.get("physical", {}).get(entity_id, PhysicalState()),
        knowledge,
    )


def room_text(state: SimState, timepoint: Timepoint, participants: Sequence[str]) -> str:
    """Who else is in the room, as anyone there sees them (M1): the present non-participants
    whose level reaches SCENE, each at its level; the rest only counted. Empty when nobody
    else is there."""
    levels = levels_at(state, timepoint.id)
    others = [p for p in timepoint.entities_present if p not in participants]
    floor = ResolutionLevel.SCENE
    shown = [p for p in others if levels.get(p, ResolutionLevel.TENSOR_ONLY) >= floor]
    text = cast_text(state, shown, timepoint.id, audience=Audience.PUBLIC)
    unseen = len(others) - len(shown)
    if unseen:
        text += f"\n- {unseen} other{'s' if unseen > 1 else ''} in the background"
    return text.strip()


def prepare_dialog(
    state: SimState,
    timepoint_id: str,
    participants: Sequence[str],
    *,
    provenance: Provenance | None = None,
) -> DialogState:
    """The dialog subgraph's input for ``participants`` at ``timepoint_id``.

    Each speaker's front layer holds exactly ``knowledge_at(speaker, timepoint)`` minus what it
    withholds — knowledge stripping by causal ancestry (M7).
    """
    scenario = state["scenario"]
    timepoint = next(t for t in state["timepoints"] if t.id == timepoint_id)
    prov = provenance or Provenance(state["timepoints"], state.get("exposures", []))
    entities = state["entities"]
    names = {p: entities[p].name for p in participants}
    roles = {p: entities[p].role for p in participants}
    environment = state.get("environment", Environment(location=scenario.scene.location))
    atmosphere = state.get("atmosphere", Atmosphere(tension=scenario.scene.tension))
    relationships = {
        key: rel for key, rel in state.get("relationships", {}).items()
        if rel.a in participants and rel.b in participants
    }
    contexts = {}
    baseline = {}
    cognitive = {}
    tensors = {}
    phis: dict[str, float] = {}
    stripped = 0
    held = Counter(e.entity_id for e in state.get("exposures", []))
    for person in participants:
        visible = prov.knowledge_at(person, timepoint_id)
        # M7: what the person was exposed to off its causal path never reaches its prompt
        stripped += held[person] - sum(1 for e in visible if e.entity_id == person)
        body = state.get("physical", {}).get(person, PhysicalState())
        baseline[person] = state.get("cognitive", {}).get(person, CognitiveState())
        mind = couple(body, baseline[person])  # the body weighs on the mind it speaks from (M8)
        phi = state.get("phi", {}).get(person, {}).get(timepoint_id)
        if phi is not None:
            phis[person] = phi
        spec = next((s for s in scenario.entities if s.id == person), None)
        contexts[person] = build_context(
            speaker=entities[person],
            timepoint=timepoint,
            visible=visible,
            withheld_ids=frozenset(state.get("withheld", {}).get(person, [])),
            names=names,
            relationships=relationships,
            participants=participants,
            cognitive=mind,
            physical_description=describe(body),
            prospect=state.get("prospection", {}).get(person),
            band=band(phi) if phi is not None else ResolutionLevel.DIALOG,
            environment=environment,
            atmosphere=atmosphere,
            voice_style=spec.voice.style if spec else "",
            voice_examples=spec.voice.examples if spec else (),
        )
        cognitive[person] = mind
        tensors[person] = _tensor(state, person, [e.information for e in visible])
    return DialogState(
        dialog_id=f"dlg-{timepoint_id}",
        timepoint=timepoint,
        participants=tuple(participants),
        kinds={p: entities[p].kind for p in participants},
        public=public_view(
            participants=participants, names=names, roles=roles, timepoint=timepoint,
            environment=environment, atmosphere=atmosphere, goals=scenario.scene.goals,
            mood=_mood(atmosphere), room=room_text(state, timepoint, participants),
        ),
        contexts=contexts,
        baseline=baseline,
        cognitive=cognitive,
        tensors=tensors,
        phi=phis,
        relationships=relationships,
        physical={p: state.get("physical", {}).get(p, PhysicalState()) for p in participants},
        atmosphere=atmosphere,
        turn_budget=turn_budget(len(participants), atmosphere.tension, scenario.dialog.max_turns),
        max_retries=scenario.dialog.max_retries,
        animism=scenario.animism,
        turns=[],
        tension=atmosphere.tension,
        stripped=stripped,
    )


def _mood(atmosphere: Atmosphere) -> str:
    if atmosphere.tension >= 0.6:
        return "strained"
    return "wary" if atmosphere.valence < 0 else "steady"


def dialog_effects(dialog_input: DialogState, result: DialogState) -> dict[str, int]:
    """What one dialog changed, per mechanism (see ``MECHANISM_UNITS``): turns written and
    replaced (M11), turns by non-human speakers (M16), minds the body changed (M8), the room's
    mood (M10), relationships changed and contradictions found (M13), outlooks (M15), told
    exposures (M19, M3), knowledge kept out of prompts by causal filtering (M7)."""
    turns = result.get("turns", [])
    kinds = dialog_input.get("kinds", {})
    before = dialog_input.get("relationships", {})
    after = result.get("relationships_after", {})
    told = result.get("told", [])
    room = dialog_input["atmosphere"]
    human = EntityKind.HUMAN
    counts = {
        "M11": len(turns)
        + sum(1 for r in result.get("gate_log", []) if r.action in ("replaced", "withdrawn"))
        + result.get("final_retries", 0),
        "M16": sum(
            1 for t in turns if t.content != SILENT and kinds.get(t.speaker) not in (None, human)
        ),
        "M8": sum(
            1 for p, mind in dialog_input["cognitive"].items()
            if mind != dialog_input.get("baseline", {}).get(p, mind)
        ),
        "M10": int(result.get("atmosphere_after", room) != room),
        "M13": sum(1 for key, rel in after.items() if before.get(key) != rel)
        + len(result.get("contradictions", [])),
        "M15": len(result.get("prospection", {})),
        "M19": len(told),
        "M3": len(told),
        "M7": dialog_input.get("stripped", 0),
        "M1": len(dialog_input["participants"]),
        # M4 information conservation, enforced on each turn: references the speaker could not
        # have made are stripped and recorded
        "M4": len(result.get("validation", [])),
    }
    return {key: count for key, count in counts.items() if count}


def gate_records(dialog_input: DialogState, result: DialogState) -> list[ValidationRecord]:
    """The quality gate's surface findings (M11) as validation records of the run."""
    return [
        ValidationRecord(
            id=f"{dialog_input['dialog_id']}-gate-{number}",
            validator="quality_gate",
            entity_id=record.speaker,
            timepoint_id=dialog_input["timepoint"].id,
            message=f"turn {record.turn_index}: {'; '.join(record.details)}",
            action="repaired" if record.action in ("replaced", "withdrawn") else "recorded",
        )
        for number, record in enumerate(result.get("gate_log", []))
    ]


def dialog_delta(dialog_input: DialogState, result: DialogState) -> dict[str, Any]:
    """What a finished dialog adds to the simulation state (and nothing it was given)."""
    timepoint = dialog_input["timepoint"]
    participants = dialog_input["participants"]
    dialog = Dialog(
        id=dialog_input["dialog_id"],
        timepoint_id=timepoint.id,
        participants=participants,
        turns=tuple(result.get("turns", [])),
    )
    return {
        "dialogs": [dialog],
        "exposures": result.get("told", []),
        "relationships": result.get("relationships_after", {}),
        "contradictions": result.get("contradictions", []),
        "prospection": result.get("prospection", {}),
        "cognitive": result.get("cognitive_after", {}),
        "physical": result.get("physical_after", {}),
        "atmosphere": result.get("atmosphere_after", dialog_input["atmosphere"]),
        "resolution": {p: {timepoint.id: ResolutionLevel.DIALOG} for p in participants},
        "snapshots": {timepoint.id: Snapshot(
            timepoint_id=timepoint.id,
            cognitive=dict(result.get("cognitive_after", {})),
            physical=dict(result.get("physical_after", {})),
            relationships=dict(result.get("relationships_after", {})),
        )},
        "validation": [*result.get("validation", []), *gate_records(dialog_input, result)],
        "mechanisms": dialog_effects(dialog_input, result),
    }


async def run_dialog(
    state: SimState, timepoint_id: str, participants: Sequence[str], runtime: Runtime[RunContext]
) -> dict[str, Any]:
    """Run one dialog at ``timepoint_id`` and return the simulation-state delta."""
    if len(participants) < 2:
        return {}
    dialog_input = prepare_dialog(state, timepoint_id, participants)
    limit = recursion_limit(dialog_input["turn_budget"], dialog_input["max_retries"])
    result = await dialog_graph().ainvoke(
        dialog_input, config={"recursion_limit": limit}, context=runtime.context
    )
    return dialog_delta(dialog_input, cast(DialogState, result))


async def dialog_step(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the dialog at the current timepoint (``cursor``) among the gated-in entities.

    Uses ``participants[cursor]`` when a gating node recorded it, else ``select_participants``.
    """
    cursor = state.get("cursor")
    if cursor is None:
        raise ValueError("dialog_step needs 'cursor' (the current timepoint id) in the state")
    chosen = state.get("participants", {}).get(cursor)
    people = tuple(chosen) if chosen is not None else select_participants(state, cursor)
    return await run_dialog(state, cursor, people, runtime)

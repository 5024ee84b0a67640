"""DIRECTORIAL (M17): a narrative arc of acts with a tension target and a point of view.

The forward loop (``graphs._forward``) with a director around each moment:

1. ``direct_scene`` (before the event): the moment's beat from ``narrative.act_schedule`` (act
   and tension target for ``directorial.acts``, default targets or ``tension_targets``), the
   point of view (``directorial.pov``, else at each act's opening the most central entity that
   may speak, kept for the whole act), and the scene's tension steered toward the target so the
   dialog's turn budget and mood follow it (M10).
2. ``next_event`` is written for that act and target, seen through the POV, who must be present.
3. ``cast_pov`` (after gating, before the dialog): the POV always takes part in the dialog
   (a gate that left it out is overridden and the repair recorded); the moment's
   ``SceneDirection`` (act, target, POV, focus) is stored under ``scenes``.

At the end ``daedalus.kernel.temporal.check_directorial`` judges the timeline (``consistency``).
"""

from __future__ import annotations

from typing import Annotated, Any

from langgraph.graph import StateGraph
from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.domain import Atmosphere, Entity
from daedalus.errors import ConfigError
from daedalus.graphs._forward import ForwardState, build_forward_graph, consistency_delta
from daedalus.kernel.animism import animism_allows
from daedalus.kernel.fidelity import relationship_centrality
from daedalus.kernel.narrative import (
    ACT_PURPOSE,
    ActBeat,
    EventGuidance,
    SceneDirection,
    act_schedule,
    choose_pov,
    forward_line,
    steer_tension,
)
from daedalus.kernel.temporal import check_directorial
from daedalus.scenario import DirectorialSection, Scenario
from daedalus.state import ValidationRecord, merge_map

__all__ = [
    "CAST_NODE",
    "CHECK_NODE",
    "DIRECT_NODE",
    "DirectorialState",
    "build_directorial_graph",
    "cast_pov",
    "check_directorial_node",
    "direct_scene",
    "directorial_guidance",
    "schedule_for",
]

DIRECT_NODE = "direct_scene"
CAST_NODE = "cast_pov"
CHECK_NODE = "check_directorial"


class DirectorialState(ForwardState, total=False):
    """DIRECTORIAL state: ``direction`` for the moment being made, ``scenes`` per moment."""

    direction: SceneDirection | None
    scenes: Annotated[dict[str, SceneDirection], merge_map]


def schedule_for(scenario: Scenario) -> tuple[ActBeat, ...]:
    """The act schedule of the scenario's line (``directorial`` section or its defaults)."""
    section = scenario.directorial or DirectorialSection()
    return act_schedule(scenario.timeline.steps, section.acts, section.tension_targets)


def _speakers(scenario: Scenario, entities: dict[str, Entity]) -> list[str]:
    ordered = [e for e in scenario.entity_ids if e in entities]
    ordered += sorted(set(entities) - set(ordered))
    return [e for e in ordered if animism_allows(entities[e].kind, scenario.animism)]


def _pov(state: DirectorialState, beat: ActBeat) -> str:
    scenario = state["scenario"]
    entities = state.get("entities", {})
    chosen = (scenario.directorial or DirectorialSection()).pov
    if chosen is not None:
        if chosen not in entities:
            raise ConfigError(f"directorial.pov {chosen!r} is not an entity of the scenario")
        if not animism_allows(entities[chosen].kind, scenario.animism):
            raise ConfigError(
                f"directorial.pov {chosen!r} is a {entities[chosen].kind.value}, which animism "
                f"level {scenario.animism} does not let take part in dialog"
            )
        return chosen
    line = forward_line(state.get("timepoints", []))
    previous = state.get("scenes", {}).get(line[-1].id) if line else None
    if previous is not None and not beat.opens_act:
        return previous.pov
    speakers = _speakers(scenario, entities)
    centrality = relationship_centrality(speakers, state.get("relationships", {}).values())
    seen = {e: sum(e in tp.entities_present for tp in line) for e in speakers}
    return choose_pov(speakers, centrality, seen)


def direct_scene(state: DirectorialState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the direction of the next moment and the scene's tension steered to its target."""
    scenario = state["scenario"]
    index = len(forward_line(state.get("timepoints", [])))
    beat = schedule_for(scenario)[index]
    atmosphere = state.get("atmosphere", Atmosphere(tension=scenario.scene.tension))
    steered = atmosphere.model_copy(
        update={"tension": steer_tension(atmosphere.tension, beat.target_tension)}
    )
    direction = SceneDirection(
        act=beat.act,
        act_number=beat.act_number,
        target_tension=beat.target_tension,
        pov=_pov(state, beat),
    )
    mechanisms = {"M17": 1, "M10": int(steered != atmosphere)}
    return {"direction": direction, "atmosphere": steered, "mechanisms": mechanisms}


def _tension_word(value: float) -> str:
    for bound, word in ((0.25, "calm"), (0.5, "uneasy"), (0.75, "tense"), (0.9, "fraught")):
        if value < bound:
            return word
    return "at breaking point"


def directorial_guidance(state: DirectorialState) -> EventGuidance:
    """The event writer's direction: act, purpose, tension target and point of view."""
    direction = state.get("direction")
    if direction is None:
        raise ConfigError("directorial guidance needs 'direction' (run direct_scene first)")
    acts = (state["scenario"].directorial or DirectorialSection()).acts
    name = state.get("entities", {}).get(direction.pov)
    who = name.name if name is not None else direction.pov
    target = direction.target_tension
    return EventGuidance(
        notes=(
            f"Act {direction.act_number} of {acts}, "
            f"{direction.act.value.replace('_', ' ')}: {ACT_PURPOSE[direction.act]}.",
            f"Tension to reach: {target:.2f} on a 0-1 scale ({_tension_word(target)}).",
            f"Point of view: {who}. The moment is seen through their eyes and they are in it.",
        ),
        required=(direction.pov,),
    )


def cast_pov(state: DirectorialState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the POV joins the dialog participants (first, within the cap); the moment's
    ``SceneDirection`` with the writer's focus goes to ``scenes``."""
    cursor = state.get("cursor")
    direction = state.get("direction")
    if cursor is None or direction is None:
        raise ConfigError("cast_pov needs 'cursor' and 'direction' in the state")
    scene = direction.model_copy(update={"focus": state.get("focus", {}).get(cursor, "")})
    delta: dict[str, Any] = {"scenes": {cursor: scene}, "mechanisms": {"M17": 1}}
    talking = list(state.get("participants", {}).get(cursor, []))
    if direction.pov not in talking:
        cap = state["scenario"].dialog.participants
        delta["participants"] = {cursor: [direction.pov, *talking][: max(cap, 1)]}
        delta["validation"] = [
            ValidationRecord(
                id=f"{cursor}-pov-cast",
                validator="directorial_pov",
                entity_id=direction.pov,
                timepoint_id=cursor,
                message="the gate left the point-of-view entity out; the director casts it",
                action="repaired",
            )
        ]
    return delta


def check_directorial_node(state: DirectorialState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: ``check_directorial`` over every timepoint into ``consistency``."""
    return consistency_delta(check_directorial(state.get("timepoints", [])))


def build_directorial_graph() -> StateGraph[
    DirectorialState, RunContext, DirectorialState, DirectorialState
]:
    """The uncompiled DIRECTORIAL graph (state ``DirectorialState``, context ``RunContext``)."""
    return build_forward_graph(
        DirectorialState,
        guidance=directorial_guidance,
        before_event=(DIRECT_NODE, direct_scene),
        before_dialog=(CAST_NODE, cast_pov),
        finish=(CHECK_NODE, check_directorial_node),
    )

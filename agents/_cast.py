"""The cast as a node's prompt shows it: each entity at its resolution for the moment (M1).

``levels_at`` reads the level of every (entity, timepoint) cell from the state: the level the
gate or training recorded for the cell, else the fidelity plan's cell for the moment's slot
raised to what the entity has earned (M1+M17, M2, M5), with dialog participants at DIALOG at
least. A scenario whose ``fidelity.render`` is ``uniform`` shows everyone at DIALOG instead
(the baseline heterogeneous fidelity is measured against). ``cast_text`` gathers only the
layers each level needs and hands them to ``daedalus.kernel.render``, the one renderer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from daedalus.domain import ExposureEvent, ExposureKind, ResolutionLevel, Timepoint
from daedalus.kernel.render import Audience, EntityFacts, render_cast
from daedalus.kernel.roster import slot_id
from daedalus.provenance import Provenance
from daedalus.state import SimState

__all__ = ["cast_text", "entity_facts", "levels_at", "moment_depth", "planned_floors"]


def moment_depth(timepoints: Sequence[Timepoint], timepoint_id: str | None) -> int:
    """The moment's index on its causal line (sub-moments of M8 aside); -1 when unknown."""
    by_id = {tp.id: tp for tp in timepoints}
    depth = -1
    current = by_id.get(timepoint_id) if timepoint_id else None
    while current is not None:
        if current.moment_of is None:
            depth += 1
        current = by_id.get(current.causal_parent) if current.causal_parent else None
    return depth


def planned_floors(state: SimState, depth: int) -> dict[str, ResolutionLevel]:
    """Per entity, the higher of the fidelity plan's cell for slot ``depth`` (M1+M17) and the
    resolution the entity has earned (M2, M5); DIALOG for everyone when the scenario renders
    uniformly."""
    scenario = state.get("scenario")
    if scenario is not None and scenario.fidelity.render == "uniform":
        return dict.fromkeys(state.get("entities", {}), ResolutionLevel.DIALOG)
    plan = state.get("plan")
    floors: dict[str, ResolutionLevel] = {}
    for entity_id, entity in state.get("entities", {}).items():
        level = entity.metadata.resolution
        if plan is not None and depth >= 0:
            planned = plan.cells.levels.get(entity_id, {}).get(slot_id(depth))
            if planned is not None:
                level = max(level, planned)
        floors[entity_id] = level
    return floors


def levels_at(
    state: SimState, timepoint_id: str | None, *, depth: int | None = None
) -> dict[str, ResolutionLevel]:
    """Every known entity's level at ``timepoint_id`` (or, for a moment not written yet, at
    slot ``depth``); see the module docstring."""
    scenario = state.get("scenario")
    if scenario is not None and scenario.fidelity.render == "uniform":
        return dict.fromkeys(state.get("entities", {}), ResolutionLevel.DIALOG)
    if depth is None:
        depth = moment_depth(state.get("timepoints", []), timepoint_id)
    levels = planned_floors(state, depth)
    if timepoint_id is None:
        return levels
    for entity_id in state.get("participants", {}).get(timepoint_id, ()):
        floor = levels.get(entity_id, ResolutionLevel.DIALOG)
        levels[entity_id] = max(floor, ResolutionLevel.DIALOG)
    for entity_id, cells in state.get("resolution", {}).items():
        recorded = cells.get(timepoint_id)
        if recorded is not None and entity_id in levels:
            levels[entity_id] = recorded
    return levels


def _ties(state: SimState, entity_id: str, names: Mapping[str, str]) -> tuple[str, ...]:
    rows = []
    for rel in state.get("relationships", {}).values():
        if entity_id not in (rel.a, rel.b):
            continue
        other = rel.b if rel.a == entity_id else rel.a
        word = "trusts" if rel.trust >= 0.65 else "wary of" if rel.trust < 0.35 else "knows"
        rows.append((-abs(rel.trust - 0.5), other, f"{word} {names.get(other, other)}"))
    return tuple(text for _, _, text in sorted(rows))


def _history(state: SimState, entity_id: str, upstream: frozenset[str]) -> tuple[str, ...]:
    said = [
        f"said \"{turn.content}\""
        for dialog in state.get("dialogs", [])
        if dialog.timepoint_id in upstream
        for turn in dialog.turns
        if turn.speaker == entity_id and turn.content
    ]
    lived = [
        f"was there when {tp.event_description.rstrip('.')}"
        for tp in state.get("timepoints", [])
        if tp.id in upstream and entity_id in tp.entities_present and tp.moment_of is None
    ]
    return tuple(lived[-3:] + said[-3:])


def entity_facts(
    state: SimState,
    entity_id: str,
    level: ResolutionLevel,
    timepoint_id: str | None,
    provenance: Provenance | None = None,
) -> EntityFacts:
    """The facts ``render_entity`` needs for ``entity_id`` at ``level``: knowledge (causally
    filtered at ``timepoint_id``, or the prior knowledge before the first moment) and history
    are gathered only when the level shows them."""
    entity = state["entities"][entity_id]
    names = {e.id: e.name for e in state["entities"].values()}
    knowledge: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    if level >= ResolutionLevel.DIALOG:
        if timepoint_id is None:
            events: Iterable[ExposureEvent] = (
                e
                for e in state.get("exposures", [])
                if e.entity_id == entity_id and e.kind is ExposureKind.INITIAL
            )
        else:
            provenance = provenance or Provenance(state["timepoints"], state.get("exposures", []))
            events = provenance.knowledge_at(entity_id, timepoint_id)
        knowledge = tuple(e.information for e in events)
    if level >= ResolutionLevel.TRAINED and timepoint_id is not None:
        provenance = provenance or Provenance(state["timepoints"], state.get("exposures", []))
        upstream = frozenset(provenance.timeline.ancestors(timepoint_id)) | {timepoint_id}
        history = _history(state, entity_id, upstream)
    environment = state.get("environment")
    return EntityFacts(
        entity=entity,
        compressed=state.get("compressed", {}).get(entity_id),
        compression=state.get("compression"),
        tensor=state.get("tensors", {}).get(entity_id),
        cognitive=state.get("cognitive", {}).get(entity_id),
        physical=state.get("physical", {}).get(entity_id),
        place=environment.location if environment is not None else "",
        relationships=_ties(state, entity_id, names) if level >= ResolutionLevel.GRAPH else (),
        knowledge=knowledge,
        history=history,
    )


def cast_text(
    state: SimState,
    entity_ids: Sequence[str],
    timepoint_id: str | None,
    *,
    audience: Audience = Audience.NARRATOR,
    depth: int | None = None,
    known_at: str | None = None,
) -> str:
    """``entity_ids`` rendered at their levels for the moment, one block each.

    Levels are those of ``timepoint_id`` (or of slot ``depth`` for a moment not written yet);
    knowledge and history are read at ``known_at`` (default ``timepoint_id``). A ``PUBLIC``
    audience never gets more than the SCENE layers.
    """
    levels = levels_at(state, timepoint_id, depth=depth)
    moment = known_at if known_at is not None else timepoint_id
    provenance = None
    if moment is not None and audience is Audience.NARRATOR:
        provenance = Provenance(state["timepoints"], state.get("exposures", []))
    cast = []
    for entity_id in entity_ids:
        if entity_id not in state.get("entities", {}):
            continue
        level = levels.get(entity_id, ResolutionLevel.TENSOR_ONLY)
        if audience is Audience.PUBLIC:
            level = min(level, ResolutionLevel.SCENE)
        cast.append((entity_facts(state, entity_id, level, moment, provenance), level))
    return render_cast(cast, audience)

"""Progressive training (M2): attention at a timepoint turns into accumulated detail.

After the dialog at ``cursor``, every participant gets one more elaboration pass on its metadata,
one query per turn addressed to it, and a resolution decided lazily (M5, at least DIALOG). When
an entity's earned level crosses upward, ONE structured call for all such entities refines their
behaviour-axis scores from what they said and heard there; each new profile becomes a new
entity record and tensor (M6) only if behavioural inertia (M4) accepts the shift, justified by
the entity's experienced or witnessed exposures at the timepoint. Entities absent from the
timepoint are compressed by disuse.

Turns citing knowledge their speaker could not have, and told facts that broke network flow,
are left out of both the query counts and the elaboration material (``trusted_material``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import SILENT, choice, render, schema_cache
from daedalus.context import RunContext
from daedalus.domain import (
    CognitiveState,
    DialogTurn,
    Entity,
    EntityMetadata,
    EntityProfile,
    ExposureEvent,
    PhysicalState,
    ResolutionLevel,
    Timepoint,
)
from daedalus.kernel.fidelity import (
    compress_by_disuse,
    decide_resolution,
    earned_resolution,
    record_elaboration,
    record_query,
    relationship_centrality,
)
from daedalus.kernel.tensors import BEHAVIOR_AXES, TTMTensor, build_baseline_tensor, fit_compression
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.provenance import Provenance
from daedalus.state import SimState, ValidationRecord
from daedalus.validators import ValidatorName
from daedalus.validators.enforcement import (
    dialog_at,
    inertia_result,
    justifications,
    personality_of_record,
    record_id,
    told_at,
    trusted_material,
)
from daedalus.validators.gating import find_timepoint

__all__ = [
    "ACTION",
    "IDLE_TICKS",
    "NODE",
    "elaboration_schema",
    "logical_tick",
    "progressive_training",
    "with_trait_scores",
]

NODE = "progressive_training"
ACTION = ActionType.ENTITY_POPULATION
IDLE_TICKS = 3
"""Timepoints of absence after which an entity loses one level of earned detail (M2)."""
_PARAMS = SamplingParams(temperature=0.3, max_tokens=1_200)


@schema_cache
def elaboration_schema(entity_ids: Sequence[str]) -> type[BaseModel]:
    """Schema with one profile per entity: its id and a bounded score per behaviour axis."""
    axes: dict[str, Any] = {
        axis: (float, Field(ge=0.0, le=1.0, description=f"{axis} score")) for axis in BEHAVIOR_AXES
    }
    profile = create_model(
        "AxisProfile",
        entity=(choice(entity_ids), Field(description="id of the person profiled")),
        **axes,
    )
    return create_model(
        "Elaboration",
        profiles=(list[profile], Field(min_length=1, max_length=len(entity_ids))),
    )


def logical_tick(
    timepoints: Sequence[Timepoint], timepoint_id: str, entities: Mapping[str, Entity]
) -> int:
    """The M2 tick of a timepoint: its index among the moments (sub-moments aside), never
    earlier than a tick already recorded, so the clock stays monotone when a mode revisits an
    earlier moment."""
    moments = [tp.id for tp in timepoints if tp.moment_of is None]
    index = moments.index(timepoint_id) if timepoint_id in moments else len(moments)
    seen = (e.metadata.last_accessed for e in entities.values())
    return max([index, *(tick for tick in seen if tick is not None)])


def with_trait_scores(entity: Entity, scores: Mapping[str, float]) -> Entity:
    """The entity with ``scores`` merged into its profile's trait scores (a profile is created
    when it has none)."""
    profile = entity.profile or EntityProfile()
    merged = {**profile.trait_scores, **scores}
    return entity.model_copy(
        update={"profile": profile.model_copy(update={"trait_scores": merged})}
    )


def _trained(
    metadata: EntityMetadata, tick: int, queries: int, importance: float
) -> tuple[EntityMetadata, ResolutionLevel, bool]:
    """Metadata after one elaboration and ``queries`` queries, the level used, and whether the
    earned level rose."""
    before = earned_resolution(metadata)
    metadata = record_elaboration(metadata, tick)
    for _ in range(queries):
        metadata = record_query(metadata, tick)
    level = max(ResolutionLevel.DIALOG, decide_resolution(metadata, importance))
    metadata = metadata.model_copy(update={"resolution": max(metadata.resolution, level)})
    return metadata, level, earned_resolution(metadata) > before


def _person_block(
    entity: Entity,
    said: Sequence[DialogTurn],
    heard: Sequence[ExposureEvent],
    names: Mapping[str, str],
) -> str:
    axes = dict(zip(BEHAVIOR_AXES, personality_of_record(entity), strict=False))
    scores = ", ".join(f"{axis} {value:.2f}" for axis, value in axes.items())
    lines = "\n".join(f'    "{t.content}"' for t in said) or "    (said nothing)"
    facts = "\n".join(
        f"    - {e.information} (from {names.get(e.source, e.source)})" for e in heard
    )
    role = f", {entity.role}" if entity.role else ""
    traits = ", ".join(entity.traits) or "none listed"
    return (
        f"- id {entity.id}: {entity.name}{role}; traits: {traits}\n"
        f"  current scores: {scores}\n"
        f"  said:\n{lines}\n"
        f"  heard:\n{facts or '    (nothing new)'}"
    )


async def progressive_training(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: M2 after the dialog at ``cursor`` (see the module docstring).

    Writes ``entities`` (metadata, and accepted profiles), ``resolution`` for the participants,
    new ``tensors`` with a re-fitted ``compression`` and ``compressed`` forms when a profile was
    accepted (M6), and ``validation`` records for rejected ones.
    """
    timepoints = state["timepoints"]
    timepoint = find_timepoint(timepoints, state.get("cursor"))
    cursor = timepoint.id
    entities = state["entities"]
    exposures = state.get("exposures", [])
    dialog = dialog_at(state.get("dialogs", []), cursor)
    tick = logical_tick(timepoints, cursor, entities)
    centrality = relationship_centrality(entities, state.get("relationships", {}).values())
    provenance = Provenance(timepoints, exposures)
    told = told_at(exposures, cursor)
    trusted = trusted_material(
        dialog=dialog,
        told=told,
        provenance=provenance,
        relationships=state.get("relationships", {}).values(),
        entities=entities,
        co_present={cursor: timepoint.entities_present},
    )
    turns = [dialog.turns[i] for i in trusted.turns] if dialog is not None else []
    heard = [e for e in told if e.id in trusted.told]
    updated: dict[str, Entity] = {}
    resolution: dict[str, dict[str, ResolutionLevel]] = {}
    rising: list[str] = []
    for person in dialog.participants if dialog is not None else ():
        entity = entities[person]
        metadata = entity.metadata.model_copy(
            update={"eigenvector_centrality": centrality.get(person, 0.0)}
        )
        queries = sum(1 for t in turns if t.target == person and t.speaker != person)
        metadata, level, rose = _trained(metadata, tick, queries, timepoint.importance)
        updated[person] = entity.model_copy(update={"metadata": metadata})
        resolution[person] = {cursor: level}
        if rose:
            rising.append(person)
    for entity_id, entity in entities.items():
        if entity_id in timepoint.entities_present:
            continue
        metadata = entity.metadata.model_copy(
            update={"eigenvector_centrality": centrality.get(entity_id, 0.0)}
        )
        compressed = compress_by_disuse(metadata, tick, IDLE_TICKS)
        if compressed.resolution != entity.metadata.resolution:
            updated[entity_id] = entity.model_copy(update={"metadata": compressed})
    delta: dict[str, Any] = {
        "entities": updated,
        "resolution": resolution,
        "mechanisms": {k: n for k, n in (("M2", len(updated)), ("M5", len(resolution))) if n},
    }
    if rising:
        delta = _merge(delta, await _elaborate(state, runtime, rising, updated, turns, heard))
    return delta


async def _elaborate(
    state: SimState,
    runtime: Runtime[RunContext],
    people: Sequence[str],
    updated: Mapping[str, Entity],
    turns: Sequence[DialogTurn],
    heard: Sequence[ExposureEvent],
) -> dict[str, Any]:
    """One call for every entity whose earned level rose; accepted profiles become new records
    and tensors, rejected ones are recorded."""
    timepoint = find_timepoint(state["timepoints"], state.get("cursor"))
    cursor = timepoint.id
    names = {e.id: e.name for e in state["entities"].values()}
    blocks = [
        _person_block(
            updated[p],
            [t for t in turns if t.speaker == p and t.content != SILENT],
            [e for e in heard if e.entity_id == p],
            names,
        )
        for p in people
    ]
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=elaboration_schema(people),
        messages=render(
            "elaboration",
            moment=timepoint.event_description or f"the moment {cursor}",
            people="\n".join(blocks),
        ),
        params=_PARAMS,
    )
    provenance = Provenance(state["timepoints"], state.get("exposures", []))
    accepted_entities: dict[str, Entity] = {}
    tensors: dict[str, TTMTensor] = {}
    records: list[ValidationRecord] = []
    done: set[str] = set()
    for profile in answer.model_dump()["profiles"]:
        person = profile["entity"]
        if person in done:
            continue
        done.add(person)
        entity = updated[person]
        candidate = with_trait_scores(entity, {axis: profile[axis] for axis in BEHAVIOR_AXES})
        mind = state.get("cognitive", {}).get(person, CognitiveState())
        body = state.get("physical", {}).get(person, PhysicalState())
        known = [e.information for e in provenance.knowledge_at(person, cursor)]
        tensor = build_baseline_tensor(candidate, mind, body, known)
        reasons = justifications(state.get("exposures", []), person, cursor)
        verdict = inertia_result(
            person, cursor, personality_of_record(entity), tensor.behavior, reasons
        )
        if verdict.valid:
            accepted_entities[person] = candidate
            tensors[person] = tensor
            continue
        validator = ValidatorName.BEHAVIORAL_INERTIA.value
        records.append(
            ValidationRecord(
                id=record_id(cursor, validator, person, "elaboration"),
                validator=validator,
                entity_id=person,
                timepoint_id=cursor,
                message="; ".join(v.message for v in verdict.errors)
                + "; the elaborated profile is rejected and the previous one kept",
                action="rejected",
            )
        )
    delta: dict[str, Any] = {"entities": accepted_entities, "validation": records}
    if tensors:
        population = {**state.get("tensors", {}), **tensors}
        fitted = fit_compression(population[e] for e in sorted(population))
        delta["tensors"] = tensors
        delta["compression"] = fitted
        delta["compressed"] = {e: fitted.compress(t) for e, t in sorted(population.items())}
        delta["mechanisms"] = {"M6": len(delta["compressed"])}
    return delta


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    merged["entities"] = {**base.get("entities", {}), **extra.get("entities", {})}
    merged["mechanisms"] = {**base.get("mechanisms", {}), **extra.get("mechanisms", {})}
    for key in ("tensors", "compression", "compressed", "validation"):
        if key in extra:
            merged[key] = extra[key]
    return merged

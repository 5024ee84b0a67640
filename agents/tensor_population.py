"""Tensor population (M6): the cast scored on the behaviour axes, then tensors and compression.

One structured call scores every entity that has no profile scores yet on the axes of
``daedalus.kernel.tensors.BEHAVIOR_AXES`` (0..1, 0.5 neutral) and gives its starting valence and
arousal. The scores become the entity's ``EntityProfile.trait_scores`` and its mind's starting
mood, so they shape the behaviour block of its tensor and, through it, its persona parameters.
Entities with a loaded profile (M1) keep the profile's scores and cost no tokens.

Then every entity gets a baseline tensor built from its prior knowledge, one compression is
fitted over the population, and each tensor is stored compressed as well. An entity whose
tensor the fitted basis reconstructs with a relative error above ``RECONSTRUCTION_BOUND`` is
reported in ``validation`` (it is atypical for its population and loses detail when expanded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import render, schema_cache
from daedalus.context import RunContext
from daedalus.domain import (
    CognitiveState,
    Entity,
    EntityProfile,
    ExposureEvent,
    PhysicalState,
)
from daedalus.kernel.tensors import BEHAVIOR_AXES, build_baseline_tensor, fit_compression
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.state import SimState, ValidationRecord

__all__ = [
    "ACTION",
    "NODE",
    "RECONSTRUCTION_BOUND",
    "Disposition",
    "apply_dispositions",
    "populate_tensors",
    "population_schema",
]

NODE = "populate_tensors"
ACTION = ActionType.ENTITY_POPULATION
RECONSTRUCTION_BOUND = 0.2
"""Relative L2 error of compress-then-expand above which an entity is reported (M6): past it,
more than a fifth of the tensor's magnitude is lost when the compressed form is expanded."""

_TOKENS_PER_ENTITY = 120
_AXIS_MEANING = {
    "openness": "curiosity and appetite for new ideas",
    "conscientiousness": "discipline, care and reliability",
    "extraversion": "how much the entity seeks company and talk",
    "agreeableness": "warmth and willingness to cooperate",
    "neuroticism": "how easily it is worried or upset",
    "assertiveness": "how hard it pushes its own view",
    "caution": "how much it avoids risk",
    "variability": "how unpredictable its behaviour is",
}

_axis_fields: dict[str, Any] = {
    axis: (float, Field(ge=0.0, le=1.0, description=_AXIS_MEANING.get(axis, axis)))
    for axis in BEHAVIOR_AXES
}
Disposition: type[BaseModel] = create_model(
    "Disposition",
    valence=(float, Field(ge=-1.0, le=1.0, description="starting mood, -1 bleak to 1 glad")),
    arousal=(float, Field(ge=0.0, le=1.0, description="starting agitation, 0 calm to 1 keyed up")),
    **_axis_fields,
)
"""One entity's scores: every behaviour axis in [0, 1], valence in [-1, 1], arousal in [0, 1]."""


@schema_cache
def population_schema(entity_ids: Sequence[str]) -> type[BaseModel]:
    """One required ``Disposition`` per entity (the JSON property is the entity id)."""
    fields: dict[str, Any] = {
        f"entity_{index}": (Disposition, Field(alias=entity_id))
        for index, entity_id in enumerate(entity_ids)
    }
    return create_model("PopulationScores", **fields)


def _needs_scores(entity: Entity) -> bool:
    return entity.profile is None or not entity.profile.trait_scores


def apply_dispositions(
    entities: Mapping[str, Entity],
    cognitive: Mapping[str, CognitiveState],
    scores: Mapping[str, BaseModel],
) -> tuple[dict[str, Entity], dict[str, CognitiveState]]:
    """Entities with the axis scores merged into their profile, and minds with the mood.

    Scores a profile already holds win over the model's. Entities without scores come back
    unchanged; every entity gets a mind (the default one if it had none).
    """
    updated: dict[str, Entity] = {}
    minds: dict[str, CognitiveState] = {}
    for entity_id, entity in entities.items():
        mind = cognitive.get(entity_id, CognitiveState())
        score = scores.get(entity_id)
        if score is None:
            updated[entity_id], minds[entity_id] = entity, mind
            continue
        values = score.model_dump()
        profile = entity.profile or EntityProfile()
        axes = {axis: round(float(values[axis]), 4) for axis in BEHAVIOR_AXES}
        merged = {**axes, **profile.trait_scores}
        updated[entity_id] = entity.model_copy(
            update={"profile": profile.model_copy(update={"trait_scores": merged})}
        )
        minds[entity_id] = mind.model_copy(
            update={
                "valence": round(float(values["valence"]), 4),
                "arousal": round(float(values["arousal"]), 4),
            }
        )
    return updated, minds


def _describe(entity: Entity, knowledge: Sequence[str]) -> str:
    parts = [f"- {entity.id}: {entity.name}, {entity.kind.value}"]
    if entity.role:
        parts.append(f"role: {entity.role}")
    if entity.traits:
        parts.append(f"traits: {', '.join(entity.traits)}")
    if knowledge:
        parts.append(f"knows: {'; '.join(knowledge[:3])}")
    return "; ".join(parts)


def _prior_knowledge(exposures: Sequence[ExposureEvent]) -> dict[str, list[str]]:
    known: dict[str, list[str]] = {}
    for event in exposures:
        if event.timepoint_id is None:
            known.setdefault(event.entity_id, []).append(event.information)
    return known


async def populate_tensors(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node (M6): score the unprofiled cast in one call, then build, fit and compress tensors.

    Returns ``entities`` and ``cognitive`` (scores merged), ``tensors``, ``compressed``,
    ``compression`` and, for entities above ``RECONSTRUCTION_BOUND``, ``validation`` records.
    An empty cast returns ``{}``.
    """
    entities = state.get("entities", {})
    if not entities:
        return {}
    scenario = state["scenario"]
    knowledge = _prior_knowledge(state.get("exposures", []))
    wanted = [key for key in sorted(entities) if _needs_scores(entities[key])]
    scores: dict[str, BaseModel] = {}
    if wanted:
        answer = await runtime.context.router.astructured(
            node=NODE,
            action=ACTION,
            schema=population_schema(wanted),
            messages=render(
                "tensor_population",
                title=scenario.name,
                description=scenario.description.strip(),
                location=scenario.scene.location or "unspecified",
                tension=f"{scenario.scene.tension:.2f}",
                axes="\n".join(f"- {a}: {_AXIS_MEANING.get(a, a)}" for a in BEHAVIOR_AXES),
                cast="\n".join(_describe(entities[k], knowledge.get(k, [])) for k in wanted),
            ),
            params=SamplingParams(temperature=0.3, max_tokens=_TOKENS_PER_ENTITY * len(wanted)),
        )
        scores = {key: getattr(answer, f"entity_{i}") for i, key in enumerate(wanted)}
    updated, minds = apply_dispositions(entities, state.get("cognitive", {}), scores)
    bodies = state.get("physical", {})
    tensors = {
        key: build_baseline_tensor(
            updated[key], minds[key], bodies.get(key, PhysicalState()), knowledge.get(key, [])
        )
        for key in sorted(updated)
    }
    fitted = fit_compression(tensors.values())
    errors = {key: fitted.reconstruction_error(tensor) for key, tensor in tensors.items()}
    result: dict[str, Any] = {
        "entities": {key: updated[key] for key in scores},
        "cognitive": minds,
        "tensors": tensors,
        "compressed": {key: fitted.compress(tensor) for key, tensor in tensors.items()},
        "compression": fitted,
        "mechanisms": {"M6": len(tensors)},
    }
    atypical = [
        ValidationRecord(
            id=f"tensor-reconstruction-{key}",
            validator="tensor_reconstruction",
            entity_id=key,
            message=f"compressed tensor of {key} rebuilds with relative error {error:.3f} "
            f"(bound {RECONSTRUCTION_BOUND})",
            action="recorded",
        )
        for key, error in errors.items()
        if error > RECONSTRUCTION_BOUND
    ]
    if atypical:
        result["validation"] = atypical
    return result

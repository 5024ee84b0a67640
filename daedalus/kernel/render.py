"""How much of an entity a prompt shows: one renderer for every node (M1, M6).

An entity's resolution at a timepoint decides how many layers of it enter a prompt, each level
adding to the one below:

- TENSOR_ONLY: one line decoded from its compressed TTM tensor (M6): the behaviour axes that
  stand out and how rested it is, expanded from 20 floats, never from the profile text;
- SCENE: + role, mood (valence and arousal in words) and where it is;
- GRAPH: + its relationships (M13), strongest first;
- DIALOG: + its knowledge, which the caller must have filtered by causal ancestry (M3, M7);
- TRAINED: + its elaborated history (what it has said and lived through so far, M2).

The audience caps what is shown. A ``NARRATOR`` (event writer, expansion, PORTAL, query
answers) sees every layer the level allows; ``PUBLIC`` viewers (the steering agent, another
character, the quality gate) see at most the SCENE layers, with the mood a person shows rather
than the one they feel, so nobody's knowledge reaches another entity's prompt.
Pure: plain values in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from daedalus.domain import CognitiveState, Entity, PhysicalState, ResolutionLevel
from daedalus.kernel.tensors import CompressedTensor, FittedCompression, TTMTensor
from daedalus.provenance.fourth_wall import describe_emotion

__all__ = [
    "MAX_HISTORY",
    "MAX_KNOWLEDGE",
    "MAX_RELATIONSHIPS",
    "Audience",
    "EntityFacts",
    "render_cast",
    "render_entity",
    "tensor_summary",
]

MAX_RELATIONSHIPS = 6
"""Relationships shown at GRAPH and above (the strongest first)."""
MAX_KNOWLEDGE = 12
"""Knowledge items shown at DIALOG and above (the most recent)."""
MAX_HISTORY = 6
"""History items shown at TRAINED (the most recent)."""

_AXIS_WORDS: dict[str, tuple[str, str]] = {
    "openness": ("conventional", "curious"),
    "conscientiousness": ("casual", "methodical"),
    "extraversion": ("reserved", "outgoing"),
    "agreeableness": ("blunt", "accommodating"),
    "neuroticism": ("steady", "anxious"),
    "assertiveness": ("deferential", "forceful"),
    "caution": ("bold", "careful"),
    "variability": ("predictable", "erratic"),
}
_NOTABLE = 0.12
"""How far from neutral (0.5) a behaviour axis must sit to be named."""


class Audience(StrEnum):
    """Who reads the prompt: the narrator sees every layer, the public only what shows."""

    NARRATOR = "narrator"
    PUBLIC = "public"


class EntityFacts(BaseModel):
    """What the renderer may draw on for one entity. Only the layers its level needs are read,
    so a caller may leave the richer ones empty for low levels."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    entity: Entity
    compressed: CompressedTensor | None = None
    compression: FittedCompression | None = None
    tensor: TTMTensor | None = None
    cognitive: CognitiveState | None = None
    physical: PhysicalState | None = None
    place: str = ""
    relationships: tuple[str, ...] = ()
    knowledge: tuple[str, ...] = ()
    history: tuple[str, ...] = ()


def _decoded(facts: EntityFacts) -> TTMTensor | None:
    """The tensor a TENSOR_ONLY line is read from: the compressed form expanded (M6), else the
    full tensor when no compression was fitted yet."""
    if facts.compressed is not None and facts.compression is not None:
        return facts.compression.expand(facts.compressed)
    return facts.tensor


def tensor_summary(facts: EntityFacts) -> str:
    """A few words decoded from the entity's tensor: its two most pronounced behaviour axes and
    how rested it is; its kind when it has no tensor at all."""
    tensor = _decoded(facts)
    if tensor is None:
        return facts.entity.kind.value
    axes = tensor.behavior_axes()
    ranked = sorted(axes.items(), key=lambda item: (-abs(item[1] - 0.5), item[0]))
    words = [
        _AXIS_WORDS[name][1 if value > 0.5 else 0]
        for name, value in ranked[:2]
        if abs(value - 0.5) >= _NOTABLE and name in _AXIS_WORDS
    ]
    fatigue = tensor.biology_feature("fatigue")
    energy = tensor.biology_feature("energy_ratio")
    if fatigue >= 0.6 or energy <= 0.25:
        words.append("worn out")
    elif fatigue >= 0.3 or energy <= 0.5:
        words.append("tiring")
    return ", ".join(words) or "unremarkable"


def _shown(state: CognitiveState) -> CognitiveState:
    # Others see a calmer face than the one felt: arousal damped halfway to the middle.
    return state.model_copy(update={"arousal": 0.5 + (state.arousal - 0.5) * 0.5})


def render_entity(
    facts: EntityFacts, level: ResolutionLevel, audience: Audience = Audience.NARRATOR
) -> str:
    """The entity as prompt text at ``level`` for ``audience`` (see the module docstring).

    The first line is ``- id: Name — summary`` at every level; each richer layer adds a clause
    or an indented line.
    """
    entity = facts.entity
    if audience is Audience.PUBLIC:
        level = min(level, ResolutionLevel.SCENE)
    head = f"- {entity.id}: {entity.name}"
    if level < ResolutionLevel.SCENE:
        return f"{head} ({tensor_summary(facts)})"
    clauses = [entity.role] if entity.role else []
    if facts.cognitive is not None:
        mind = facts.cognitive if audience is Audience.NARRATOR else _shown(facts.cognitive)
        clauses.append(describe_emotion(mind))
    where = (facts.physical.location if facts.physical else None) or facts.place
    if where:
        clauses.append(f"at {where}")
    if facts.physical is not None and not facts.physical.awake:
        clauses.append("asleep")
    lines = [f"{head} ({tensor_summary(facts)}){': ' + '; '.join(clauses) if clauses else ''}"]
    if level >= ResolutionLevel.GRAPH and facts.relationships:
        lines.append("    ties: " + "; ".join(facts.relationships[:MAX_RELATIONSHIPS]))
    if level >= ResolutionLevel.DIALOG and facts.knowledge:
        lines.append("    knows: " + "; ".join(facts.knowledge[-MAX_KNOWLEDGE:]))
    if level >= ResolutionLevel.TRAINED and facts.history:
        lines.append("    history: " + "; ".join(facts.history[-MAX_HISTORY:]))
    return "\n".join(lines)


def render_cast(
    cast: Sequence[tuple[EntityFacts, ResolutionLevel]],
    audience: Audience = Audience.NARRATOR,
) -> str:
    """Several entities, one block each, in the order given."""
    return "\n".join(render_entity(facts, level, audience) for facts, level in cast)

"""The domain model: the values every mechanism reads and writes.

All models are immutable pydantic v2 models with string ids. Change one with
``model_copy(update=...)``; the graph state replaces values, it never mutates them.
Every value here serializes to plain JSON, so graph checkpoints stay small and portable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ID_PATTERN",
    "PRIOR_KNOWLEDGE",
    "Atmosphere",
    "CognitiveState",
    "Crowd",
    "Dialog",
    "DialogTurn",
    "Entity",
    "EntityKind",
    "EntityMetadata",
    "EntityProfile",
    "Environment",
    "Expectation",
    "ExposureEvent",
    "ExposureKind",
    "PhysicalState",
    "ProspectiveState",
    "Relationship",
    "ResolutionLevel",
    "TemporalMode",
    "Timepoint",
    "Unit",
    "relationship_key",
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
"""Ids are short slugs: letters, digits, ``_ . : -``; they never start with punctuation."""

PRIOR_KNOWLEDGE: None = None
"""``ExposureEvent.timepoint_id`` for knowledge held before the timeline starts."""

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
"""A float in [0, 1]."""
Signed = Annotated[float, Field(ge=-1.0, le=1.0)]
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=128)]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResolutionLevel(IntEnum):
    """How much detail an entity has at a timepoint (M1). Ordered: compare with ``<``."""

    TENSOR_ONLY = 0
    SCENE = 1
    GRAPH = 2
    DIALOG = 3
    TRAINED = 4

    @property
    def label(self) -> str:
        """Lower-case name as shown in reports (``"tensor_only"``)."""
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> ResolutionLevel:
        """Parse ``"dialog"`` or ``"DIALOG"``; ``"tensor"`` is accepted for TENSOR_ONLY."""
        key = label.strip().upper()
        if key == "TENSOR":
            key = "TENSOR_ONLY"
        try:
            return cls[key]
        except KeyError:
            names = ", ".join(level.label for level in cls)
            message = f"unknown resolution level {label!r}; expected one of {names}"
            raise ValueError(message) from None


class TemporalMode(StrEnum):
    """What consistency means for a run (M17)."""

    PEARL = "pearl"
    DIRECTORIAL = "directorial"
    NONLINEAR = "nonlinear"
    BRANCHING = "branching"
    CYCLICAL = "cyclical"
    PORTAL = "portal"


class EntityKind(StrEnum):
    HUMAN = "human"
    ANIMAL = "animal"
    BUILDING = "building"
    OBJECT = "object"
    INSTITUTION = "institution"
    PLACE = "place"
    CONCEPT = "concept"
    AI = "ai"


class ExposureKind(StrEnum):
    """How a piece of knowledge reached an entity (M3)."""

    WITNESSED = "witnessed"
    LEARNED = "learned"
    TOLD = "told"
    EXPERIENCED = "experienced"
    INITIAL = "initial"


class EntityProfile(_Value):
    """A pre-defined profile loaded instead of generated (M1 profile loading)."""

    archetype_id: str | None = None
    trait_scores: Mapping[str, Unit] = Field(default_factory=dict)
    initial_knowledge: tuple[str, ...] = ()
    voice_style: str = ""
    voice_examples: tuple[str, ...] = ()


class EntityMetadata(_Value):
    """Accumulated attention on an entity (M2). ``last_accessed`` is a logical tick, not a clock."""

    query_count: int = Field(default=0, ge=0)
    training_iterations: int = Field(default=0, ge=0)
    eigenvector_centrality: Unit = 0.0
    resolution: ResolutionLevel = ResolutionLevel.TENSOR_ONLY
    last_accessed: int | None = Field(default=None, ge=0)


class Entity(_Value):
    id: Id
    name: str = Field(min_length=1)
    kind: EntityKind = EntityKind.HUMAN
    role: str = ""
    traits: tuple[str, ...] = ()
    profile: EntityProfile | None = None
    metadata: EntityMetadata = Field(default_factory=EntityMetadata)

    @property
    def is_human(self) -> bool:
        return self.kind is EntityKind.HUMAN


class Timepoint(_Value):
    """A moment of the timeline (M7).

    ``causal_parent`` links to the moment that caused this one; the links form a forest, and
    knowledge flows only along them. ``moment_of`` marks a detail inside another moment (M8
    vertical expansion): its sub-moments chain by ``causal_parent`` starting from that moment,
    and together they count as part of it for every later moment.
    """

    id: Id
    timestamp: datetime
    causal_parent: Id | None = None
    event_description: str = ""
    entities_present: tuple[str, ...] = ()
    importance: Unit = 0.5
    branch_id: Id = "main"
    moment_of: Id | None = None

    @model_validator(mode="after")
    def _not_own_parent(self) -> Self:
        if self.causal_parent == self.id:
            raise ValueError(f"timepoint {self.id!r} cannot be its own causal parent")
        if self.moment_of == self.id:
            raise ValueError(f"timepoint {self.id!r} cannot be a sub-moment of itself")
        return self


class ExposureEvent(_Value):
    """The only way knowledge enters an entity (M3).

    ``timepoint_id`` is where the exposure happened; ``None`` (``PRIOR_KNOWLEDGE``) means the
    entity held it before the timeline began, so it is visible at every timepoint.
    ``source`` is another entity's id or an external label such as ``"scene_initialization"``.
    """

    id: Id
    entity_id: Id
    kind: ExposureKind
    information: str = Field(min_length=1)
    source: str = "external"
    timepoint_id: Id | None = PRIOR_KNOWLEDGE
    timestamp: datetime | None = None
    confidence: Unit = 1.0


class CognitiveState(_Value):
    """Mind state of an entity at a moment: valence, arousal and the energy it can spend."""

    valence: Signed = 0.0
    arousal: Unit = 0.5
    energy: float = Field(default=100.0, ge=0.0)
    energy_capacity: float = Field(default=150.0, gt=0.0)
    focus: Unit = 0.7

    @model_validator(mode="after")
    def _energy_within_capacity(self) -> Self:
        if self.energy > self.energy_capacity:
            raise ValueError(f"energy {self.energy} exceeds capacity {self.energy_capacity}")
        return self


class PhysicalState(_Value):
    """Body state (M8 embodiment): what the body allows and how it weighs on the mind."""

    fatigue: Unit = 0.0
    pain: Unit = 0.0
    illness: Unit = 0.0
    location: str | None = None
    mobility: Unit = 1.0
    awake: bool = True


def relationship_key(a: str, b: str) -> str:
    """The map key of the pair (order-free): ``"a|b"`` with the ids sorted."""
    first, second = sorted((a, b))
    return f"{first}|{second}"


class Relationship(_Value):
    """How two entities stand with each other (M13). The pair is unordered; ``power`` is a's."""

    a: Id
    b: Id
    kind: str = "acquaintance"
    trust: Unit = 0.5
    alignment: Signed = 0.0
    power: Signed = 0.0
    interaction_count: int = Field(default=0, ge=0)
    shared_knowledge: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.a == self.b:
            raise ValueError(f"a relationship needs two entities, got {self.a!r} twice")
        return self

    @property
    def key(self) -> str:
        return relationship_key(self.a, self.b)

    def other(self, entity_id: str) -> str:
        """The other side of the pair from ``entity_id``."""
        if entity_id == self.a:
            return self.b
        if entity_id == self.b:
            return self.a
        raise ValueError(f"{entity_id!r} is not part of relationship {self.key!r}")


class DialogTurn(_Value):
    """One turn of a dialog (M11). ``knowledge_references`` are exposure event ids."""

    speaker: Id
    content: str
    emotional_tone: str = "neutral"
    confidence: Unit = 0.8
    knowledge_references: tuple[str, ...] = ()
    move: str | None = None
    target: Id | None = None
    physical_state_influence: str = ""


class Dialog(_Value):
    id: Id
    timepoint_id: Id
    participants: tuple[str, ...]
    turns: tuple[DialogTurn, ...] = ()


class Environment(_Value):
    """Physical space of a scene (M10)."""

    location: str = ""
    capacity: int | None = Field(default=None, ge=0)
    lighting: str = "normal"
    weather: str = "clear"
    acoustics: str = "normal"
    temperature_c: float | None = None


class Atmosphere(_Value):
    """Emergent mood of a scene (M10)."""

    tension: Unit = 0.3
    formality: Unit = 0.5
    valence: Signed = 0.0
    energy: Unit = 0.5


class Crowd(_Value):
    """Collective behaviour of background people in a scene (M10)."""

    size: int = Field(default=0, ge=0)
    density: Unit = 0.0
    mood_distribution: Mapping[str, Unit] = Field(default_factory=dict)
    movement_pattern: str = "still"


class Expectation(_Value):
    """One thing an entity expects to happen (M15)."""

    description: str = Field(min_length=1)
    probability: Unit = 0.5
    valence: Signed = 0.0
    horizon_steps: int = Field(default=1, ge=1)


class ProspectiveState(_Value):
    """An entity's model of its own future (M15)."""

    entity_id: Id
    expectations: tuple[Expectation, ...] = ()
    contingency_plans: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    anxiety: Unit = 0.0

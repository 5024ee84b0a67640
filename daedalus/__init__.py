"""Daedalus: temporal simulation with LLMs.

A scenario becomes a graph of timepoints in which every entity knows only what it was
exposed to (M3, M7), detail is spent only where attention lands (M1, M2, M5), and time can
run forward, backward from a known ending, branch, loop, follow an arc or be told out of order.
"""

from daedalus.domain import (
    Atmosphere,
    CognitiveState,
    Crowd,
    Dialog,
    DialogTurn,
    Entity,
    EntityKind,
    EntityMetadata,
    EntityProfile,
    Environment,
    Expectation,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    ProspectiveState,
    Relationship,
    ResolutionLevel,
    TemporalMode,
    Timepoint,
)
from daedalus.errors import DaedalusError
from daedalus.provenance import Provenance, knowledge_at
from daedalus.scenario import Scenario
from daedalus.templates import list_templates, load_template

__version__ = "0.1.0"

__all__ = [
    "Atmosphere",
    "CognitiveState",
    "Crowd",
    "DaedalusError",
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
    "Provenance",
    "Relationship",
    "ResolutionLevel",
    "Scenario",
    "TemporalMode",
    "Timepoint",
    "__version__",
    "knowledge_at",
    "list_templates",
    "load_template",
]

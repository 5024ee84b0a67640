"""Daedalus: temporal simulation with LLMs.

A scenario becomes a graph of timepoints in which every entity knows only what it was
exposed to (M3, M7), detail is spent only where attention lands (M1, M2, M5), and time can
run forward, backward from a known ending, branch, loop, follow an arc or be told out of order.

    import daedalus
    run = daedalus.run("board_meeting", seed=7)      # offline without OPENROUTER_API_KEY
    run.knowledge_at("helen_park", run.timepoints[-1].id)

``run``, ``resume``, ``branch``, ``estimate``, ``compare``, ``run_batch`` and ``Run`` load the
graphs on first use, so ``import daedalus`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from daedalus.batch import run_batch
    from daedalus.runs import Run, branch, compare, estimate, resume, run

__version__ = "0.1.0"

_RUNS = ("Run", "branch", "compare", "estimate", "resume", "run")

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
    "Run",
    "Scenario",
    "TemporalMode",
    "Timepoint",
    "__version__",
    "branch",
    "compare",
    "estimate",
    "knowledge_at",
    "list_templates",
    "load_template",
    "resume",
    "run",
    "run_batch",
]


def __getattr__(name: str) -> Any:
    if name in _RUNS:
        return getattr(import_module("daedalus.runs"), name)
    if name == "run_batch":
        return import_module("daedalus.batch").run_batch
    raise AttributeError(f"module 'daedalus' has no attribute {name!r}")

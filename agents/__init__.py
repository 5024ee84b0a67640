"""Mechanism nodes that call a model, one mechanism per module (daedalus.agents).
May import llm, context, validators, portal, state, kernel, prompts and below; never graphs.

Each node is a plain async function ``(state, runtime) -> dict`` that reaches a model only
through ``runtime.context.router``; each module names its ``NODE`` and ``ACTION``.
"""

from daedalus.agents.character import character
from daedalus.agents.elaboration import progressive_training
from daedalus.agents.entity_generator import generate_entities, generate_missing
from daedalus.agents.event_writer import next_event, write_event
from daedalus.agents.expansion import vertical_expansion
from daedalus.agents.extraction import extraction
from daedalus.agents.portal_candidates import portal_candidates
from daedalus.agents.portal_forward import portal_forward
from daedalus.agents.portal_judge import portal_judge
from daedalus.agents.prophecy import judge_prophecies, make_prophecy
from daedalus.agents.prospection import prospection
from daedalus.agents.quality_gate import quality_gate
from daedalus.agents.query_answer import write_answer
from daedalus.agents.relationships import relationships
from daedalus.agents.steering import steering
from daedalus.agents.tensor_population import populate_tensors

__all__ = [
    "character",
    "extraction",
    "generate_entities",
    "generate_missing",
    "judge_prophecies",
    "make_prophecy",
    "next_event",
    "populate_tensors",
    "portal_candidates",
    "portal_forward",
    "portal_judge",
    "progressive_training",
    "prospection",
    "quality_gate",
    "relationships",
    "steering",
    "vertical_expansion",
    "write_answer",
    "write_event",
]

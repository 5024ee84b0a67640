"""Mechanism nodes that call a model, one mechanism per module (``daedalus.agents``).

Each node is a plain async function ``(state, runtime) -> dict`` that reaches a model only
through ``runtime.context.router``; each module names its ``NODE`` and ``ACTION``.
"""

from daedalus.agents.character import character
from daedalus.agents.extraction import extraction
from daedalus.agents.prospection import prospection
from daedalus.agents.quality_gate import quality_gate
from daedalus.agents.relationships import relationships
from daedalus.agents.steering import steering

__all__ = [
    "character",
    "extraction",
    "prospection",
    "quality_gate",
    "relationships",
    "steering",
]

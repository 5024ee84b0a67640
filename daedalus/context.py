"""The run context: what every node gets besides the state (never checkpointed).

LangGraph hands it to nodes as ``runtime.context``. It carries the model router (with its
ledger, budget and cache), the seed, and knobs that are not part of the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from daedalus.llm.router import Router

__all__ = ["RunContext"]


@dataclass
class RunContext:
    """Per-run collaborators for nodes.

    ``router`` is the only way a node reaches a model. ``quality_threshold`` is the lowest
    score the dialog gate accepts on each criterion.
    """

    router: Router
    seed: int = 0
    quality_threshold: float = 0.5
    extras: dict[str, object] = field(default_factory=dict)

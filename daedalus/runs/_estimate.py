"""``estimate``: calls, tokens and dollars of a scenario before running it.

The calls come from the plan walk (``daedalus.runs._walk``): the run's main line, branches and
PORTAL search laid out as the mode graph runs them, each moment put through the run's own gate,
a dialog counted where two or more people may talk, with the turns its budget allows in the
room's tension and the retries offline runs show. Prompt sizes are the node's prompt template
plus the material a moment adds; completions are the node's output budget. Dollars use the
registry prices of the model each action would be routed to (or the pinned model).
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict

from daedalus.domain import TemporalMode
from daedalus.llm.actions import ActionType
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.selection import fallback_chain
from daedalus.runs._walk import dialog_sizes, planned_calls, portal_calls
from daedalus.scenario import Scenario

__all__ = ["NODE_COSTS", "Estimate", "dialog_sizes", "estimate", "portal_calls"]

# node (as the ledger names it): (action, prompt tokens, completion tokens) of a typical call
NODE_COSTS: dict[str, tuple[ActionType, int, int]] = {
    "populate_tensors": (ActionType.ENTITY_POPULATION, 900, 600),
    "generate_entities": (ActionType.ENTITY_POPULATION, 700, 500),
    "next_event": (ActionType.TEMPORAL_REASONING, 1100, 400),
    "steering": (ActionType.DIALOG_SYNTHESIS, 700, 150),
    "character": (ActionType.DIALOG_SYNTHESIS, 1000, 250),
    "quality_gate": (ActionType.VALIDATION, 1300, 250),
    "extraction": (ActionType.SUMMARIZATION, 1100, 500),
    "relationships": (ActionType.RELATIONSHIP_ANALYSIS, 1100, 400),
    "prospection": (ActionType.PROSPECTION, 1100, 600),
    "progressive_training": (ActionType.ENTITY_POPULATION, 900, 400),
    "vertical_expansion": (ActionType.TEMPORAL_REASONING, 900, 500),
    "portal_candidates": (ActionType.PORTAL_BACKWARD_REASONING, 1200, 1200),
    "portal_forward": (ActionType.COUNTERFACTUAL_PREDICTION, 600, 300),
    "portal_judge": (ActionType.PORTAL_PATH_SCORING, 1800, 900),
    "prophecy": (ActionType.TEMPORAL_REASONING, 800, 200),
    "prophecy_judge": (ActionType.VALIDATION, 1000, 300),
}


class Estimate(BaseModel):
    """What a run of a scenario should cost, before it runs."""

    model_config = ConfigDict(frozen=True)

    template: str
    mode: TemporalMode
    model: str
    offline: bool
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    calls_by_node: dict[str, int]
    assumptions: tuple[str, ...]


def estimate(
    scenario: Scenario, *, model: str | None = None, registry: ModelRegistry | None = None
) -> Estimate:
    """Calls, tokens and dollars a run of ``scenario`` should take (see the module docstring).

    ``model`` as for ``daedalus.run``: ``None`` routes by M18 when ``OPENROUTER_API_KEY`` is
    set and is offline otherwise; ``"offline"`` is free.
    """
    has_key = bool(os.environ.get("OPENROUTER_API_KEY", "").strip())
    offline = model == "offline" or (model is None and not has_key)
    registry = registry or ModelRegistry.default()
    calls = planned_calls(scenario)
    prompt = completion = 0
    dollars = 0.0
    for node, count in calls.items():
        action, prompt_each, completion_each = NODE_COSTS[node]
        prompt += count * prompt_each
        completion += count * completion_each
        if not offline:
            pinned = None if model in (None, "auto") else model
            chosen = fallback_chain(action, registry, length=1, pinned=pinned)[0]
            dollars += count * (
                prompt_each * chosen.prompt_price + completion_each * chosen.completion_price
            )
    label = "offline" if offline else (model or "auto")
    return Estimate(
        template=scenario.id,
        mode=scenario.mode,
        model=label,
        offline=offline,
        calls=sum(calls.values()),
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=round(dollars, 6),
        calls_by_node=calls,
        assumptions=(
            "three or four people at each moment, three times in five the most central, else "
            "any of the cast; a dialog is held where the run's gate (ADPRS, circadian, "
            "fidelity plan) admits two or more of them",
            "dialogs close a turn before their budget, which grows with the room's tension; "
            "the average rate of rewritten lines and re-judged dialogs",
            "PORTAL rounds: one per slot plus half the backtracks allowed, most re-asking "
            "their proposal for distinct candidates",
            "prices are the registry's, per model M18 would choose for each action",
        ),
    )

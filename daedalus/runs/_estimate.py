"""``estimate``: calls, tokens and dollars of a scenario before running it.

The call count follows the mode graph's structure (setup, one event per moment, PORTAL's
candidates, trials and judge per step, a dialog of ``turn_budget`` turns per moment with its
gate and three readers, counterfactual branches). Prompt sizes are the node's prompt template
plus the material a moment adds; completions are the node's output budget. Dollars use the
registry prices of the model each action would be routed to (or the pinned model). It is an
upper-leaning estimate: every moment is assumed to hold a dialog of everyone allowed.
"""

from __future__ import annotations

import os
from collections import Counter

from pydantic import BaseModel, ConfigDict

from daedalus.dialog import turn_budget
from daedalus.domain import TemporalMode
from daedalus.llm.actions import ActionType
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.selection import fallback_chain
from daedalus.narrative import whole_cycles
from daedalus.scenario import Scenario

__all__ = ["NODE_COSTS", "Estimate", "estimate"]

# node: (action, prompt tokens, completion tokens) for a typical call of that node
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
    "elaboration": (ActionType.ENTITY_POPULATION, 900, 400),
    "expansion": (ActionType.TEMPORAL_REASONING, 900, 500),
    "portal_candidates": (ActionType.PORTAL_BACKWARD_REASONING, 1200, 1200),
    "portal_forward": (ActionType.COUNTERFACTUAL_PREDICTION, 600, 300),
    "portal_judge": (ActionType.PORTAL_PATH_SCORING, 1800, 900),
    "prophecy": (ActionType.TEMPORAL_REASONING, 800, 200),
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


def _moments(scenario: Scenario) -> int:
    if scenario.mode is TemporalMode.PORTAL:
        return scenario.timeline.steps + 1
    if scenario.mode is TemporalMode.CYCLICAL and scenario.cyclical is not None:
        return whole_cycles(scenario.timeline.steps, scenario.cyclical.cycle_length)
    return scenario.timeline.steps


def _calls(scenario: Scenario) -> Counter[str]:
    calls: Counter[str] = Counter(populate_tensors=1)
    if scenario.extras:
        calls["generate_entities"] += 1
    moments = _moments(scenario)
    people = min(scenario.dialog.participants, len(scenario.entities))
    turns = turn_budget(people, scenario.scene.tension, scenario.dialog.max_turns)
    per_dialog = Counter(steering=turns, character=turns, quality_gate=1, extraction=1,
                         relationships=1, prospection=1)
    dialog_moments = moments
    if scenario.mode is TemporalMode.PORTAL and scenario.portal is not None:
        steps = scenario.timeline.steps
        calls.update(portal_candidates=steps, portal_judge=steps,
                     portal_forward=steps * scenario.portal.candidates)
    else:
        calls["next_event"] += moments
    if scenario.mode is TemporalMode.CYCLICAL:
        calls["prophecy"] += (0 if scenario.cyclical and scenario.cyclical.prophecy else 1) + 1
    if scenario.mode is TemporalMode.BRANCHING and scenario.branching is not None:
        fork = scenario.branching.fork_step if scenario.branching.fork_step is not None else (
            max(0, (moments - 2) // 2)
        )
        after = max(0, moments - fork - 1)
        branches = scenario.branching.branches
        calls["next_event"] += branches * max(0, after - 1)  # the first is the intervention
        dialog_moments += branches * after
    for node, count in per_dialog.items():
        calls[node] += count * dialog_moments
    calls["elaboration"] += max(1, dialog_moments // 3)
    calls["expansion"] += max(1, dialog_moments // 4)
    return calls


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
    calls = _calls(scenario)
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
        calls_by_node=dict(sorted(calls.items())),
        assumptions=(
            "every moment holds a dialog of up to dialog.participants people",
            "dialogs run their full turn budget; no quality-gate rewrites or re-asks",
            "PORTAL steps accept a candidate on the first proposal (no backtracking)",
            "prices are the registry's, per model M18 would choose for each action",
        ),
    )

"""``estimate``: calls, tokens and dollars of a scenario before running it.

The call count follows the mode graph's structure (setup, one event per moment, PORTAL's
candidates, trials and judge per step, counterfactual branches) and a dialog at each moment the
run's own participant gate would open (``dialog_sizes``: ADPRS activation with the importance a
moment is expected to get, circadian refusals and the fidelity plan over the planned moments).
A dialog speaks a turn short of its ``turn_budget`` (the scene closes once everyone was heard),
with the expected retries: steering again for a refused beat, rewriting a refused line, and a
second verdict when the weakest turn is rewritten. Prompt sizes are the node's prompt template
plus the material a moment adds; completions are the node's output budget. Dollars use the
registry prices of the model each action would be routed to (or the pinned model).
"""

from __future__ import annotations

import os
from collections import Counter

from pydantic import BaseModel, ConfigDict

from daedalus.domain import Entity, Relationship, TemporalMode, Timepoint
from daedalus.kernel.dialog import turn_budget
from daedalus.kernel.fidelity import relationship_centrality
from daedalus.kernel.narrative import whole_cycles
from daedalus.kernel.roster import planned_importance, slot_id
from daedalus.kernel.strategy import BudgetMode, FidelityTemplate, plan_fidelity
from daedalus.llm.actions import ActionType
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.selection import fallback_chain
from daedalus.scenario import Scenario
from daedalus.validators.gating import gate_timepoint

__all__ = ["NODE_COSTS", "Estimate", "dialog_sizes", "estimate"]

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


_RESTEERS = 1.05
"""Steering calls per spoken turn: a turn the gate refuses for its beat is steered again."""
_REWRITES = 1.2
"""Character calls per spoken turn: one in five lines is refused by the surface gate and
rewritten (the rate the catalogue's offline runs show)."""
_VERDICTS = 1.5
"""Quality-gate verdicts per dialog: one at the end, and half the dialogs rewrite their weakest
turn once and are judged again."""


def _importance(index: int, moments: int) -> float:
    """The importance a moment is expected to get: rising from about 0.35 to 0.9 as the story
    nears its last moment (the event writer is asked to weigh moments that way)."""
    return round(min(1.0, 0.35 + 0.55 * (index + 1) / max(moments, 1)), 2)


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


def dialog_sizes(scenario: Scenario) -> list[int]:
    """Per main-line moment, how many people the run's gate would let talk (0: no dialog).

    The moments are laid out as the run lays them (timestamps from the timeline) with the whole
    named cast present, and each goes through the gate the run uses: ADPRS activation, circadian
    and bodily refusals, animism, the fidelity plan's floors and the participant cap (fewer than
    two people means no dialog). Activation follows the importance the event writer gives each
    moment, unknown before the run: each moment gets the expected one (``_importance``).
    """
    entities = {
        spec.id: Entity(id=spec.id, name=spec.name, kind=spec.kind, role=spec.role)
        for spec in scenario.entities
    }
    relationships = [
        Relationship(a=r.a, b=r.b, kind=r.kind, trust=r.trust, alignment=r.alignment,
                     power=r.power)
        for r in scenario.relationships
    ]
    importance = planned_importance(scenario)
    fidelity = scenario.fidelity
    plan = plan_fidelity(
        scenario.mode, FidelityTemplate(fidelity.template), importance,
        relationship_centrality(entities, relationships), BudgetMode(fidelity.budget_mode),
        fidelity.token_budget,
    )
    chronotypes = {spec.id: spec.chronotype for spec in scenario.entities}
    line: list[Timepoint] = []
    sizes: list[int] = []
    moments = _moments(scenario)
    for index in range(moments):
        slot = slot_id(min(index, scenario.timeline.steps - 1))
        line.append(Timepoint(
            id=f"tp-{index:03d}", timestamp=scenario.timeline.at(scenario.start_time, index),
            causal_parent=line[-1].id if line else None, event_description="planned moment",
            entities_present=tuple(entities), importance=_importance(index, moments),
        ))
        floors = {e: plan.cells.levels.get(e, {}).get(slot, entity.metadata.resolution)
                  for e, entity in entities.items()}
        decision = gate_timepoint(
            timepoint_id=line[-1].id, timepoints=line, entities=entities,
            relationships=relationships, physical={}, animism=scenario.animism,
            cap=scenario.dialog.participants, chronotypes=chronotypes, floors=floors,
        )
        people = len(decision.participants)
        sizes.append(people if people >= 2 else 0)
    return sizes


def _calls(scenario: Scenario) -> Counter[str]:
    calls: Counter[str] = Counter(populate_tensors=1)
    if scenario.extras:
        calls["generate_entities"] += 1
    moments = _moments(scenario)
    sizes = dialog_sizes(scenario)
    if scenario.mode is TemporalMode.PORTAL and scenario.portal is not None:
        steps = scenario.timeline.steps
        calls.update(portal_candidates=steps, portal_judge=steps,
                     portal_forward=steps * scenario.portal.candidates)
    else:
        calls["next_event"] += moments
    if scenario.mode is TemporalMode.CYCLICAL:
        if not (scenario.cyclical and scenario.cyclical.prophecy):
            calls["prophecy"] += 1  # no prophecy given: a seer speaks one
        calls["prophecy_judge"] += 1
    dialogs = list(sizes)
    if scenario.mode is TemporalMode.BRANCHING and scenario.branching is not None:
        fork = scenario.branching.fork_step if scenario.branching.fork_step is not None else (
            max(0, (moments - 2) // 2)
        )
        after = max(0, moments - fork - 1)
        branches = scenario.branching.branches
        calls["next_event"] += branches * max(0, after - 1)  # the first is the intervention
        dialogs += sizes[fork + 1:] * branches  # a branch's moments sit where the line's did
    spoken = 0
    for people in (p for p in dialogs if p):
        budget = turn_budget(people, scenario.scene.tension, scenario.dialog.max_turns)
        spoken += min(budget, max(people, budget - 1))  # the scene closes a turn early
        calls.update(extraction=1, relationships=1, prospection=1)
    held = sum(1 for p in dialogs if p)
    if held:
        calls.update(steering=round(spoken * _RESTEERS), character=round(spoken * _REWRITES),
                     quality_gate=round(held * _VERDICTS))
    calls["progressive_training"] += held // 3
    calls["vertical_expansion"] += max(1, len(dialogs) // 4)
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
            "the whole named cast is present at every moment; a dialog is held where the run's "
            "gate (ADPRS, circadian, fidelity plan) admits two or more of them",
            "dialogs close a turn before their budget, with the average rate of rewritten "
            "lines and re-judged dialogs",
            "PORTAL steps accept a candidate on the first proposal (no backtracking)",
            "prices are the registry's, per model M18 would choose for each action",
        ),
    )

"""The fidelity-temporal strategy: plan detail and tokens together before a run (M1 + M17).

The temporal mode changes what a moment costs (backward inference in PORTAL needs far more
context than a forward PEARL step), so resolution and budget are planned as one: a template
gives the base resolution and budget, the mode's complexity scales both the budget and the
estimate, timepoint importance ramps the schedule, and entity centrality lifts central entities.
When the plan does not fit, ``degrade`` lowers the least important cells first.

The leads (the most central tenth of the cast, ``lead_entities``) keep the template's ceiling
at the moments the schedule raises to it: a soft budget lowers everyone else first and runs
over rather than silence them there (M5: central entities are the ones queries land on); only
a hard budget lowers them too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from daedalus.domain import ResolutionLevel, TemporalMode, Unit
from daedalus.errors import BudgetExceededError, ConfigError
from daedalus.kernel.fidelity import TOKENS_PER_LEVEL, FidelityMap

__all__ = [
    "LEAD_SHARE",
    "MODE_COMPLEXITY",
    "TEMPLATE_SPECS",
    "BudgetMode",
    "FidelityPlan",
    "FidelityTemplate",
    "LoweredCell",
    "PlanningMode",
    "TemplateSpec",
    "degrade",
    "estimate_tokens",
    "held_cells",
    "lead_entities",
    "plan_fidelity",
]


class PlanningMode(StrEnum):
    """How a plan adapts during a run: fixed rules, model-guided, or both."""

    PROGRAMMATIC = "programmatic"
    HYBRID = "hybrid"
    ADAPTIVE = "adaptive"


class BudgetMode(StrEnum):
    """What a token budget means.

    - ``hard``: never exceed it; a plan that cannot fit even at the floor is refused.
    - ``soft``: lower fidelity first to fit, then run over budget if it must.
    - ``max``: maximum quality; the budget is only reported, nothing is lowered.
    """

    HARD = "hard"
    SOFT = "soft"
    MAX = "max"


class FidelityTemplate(StrEnum):
    """Pre-set strategies, from cheapest to richest (see ``TEMPLATE_SPECS``)."""

    MINIMAL = "minimal"
    BALANCED = "balanced"
    HIGH_QUALITY = "high_quality"
    MAXIMUM = "maximum"

    @property
    def spec(self) -> TemplateSpec:
        return TEMPLATE_SPECS[self]


class TemplateSpec(BaseModel):
    """What a template sets: the lowest and highest planned level, the token budget before the
    mode's complexity (``None`` for unlimited) and the planning mode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_resolution: ResolutionLevel
    ceiling: ResolutionLevel
    token_budget: int | None = Field(ge=1)
    planning_mode: PlanningMode


TEMPLATE_SPECS: Mapping[FidelityTemplate, TemplateSpec] = MappingProxyType(
    {
        FidelityTemplate.MINIMAL: TemplateSpec(
            default_resolution=ResolutionLevel.TENSOR_ONLY,
            ceiling=ResolutionLevel.DIALOG,
            token_budget=50_000,
            planning_mode=PlanningMode.PROGRAMMATIC,
        ),
        FidelityTemplate.BALANCED: TemplateSpec(
            default_resolution=ResolutionLevel.SCENE,
            ceiling=ResolutionLevel.DIALOG,
            token_budget=250_000,
            planning_mode=PlanningMode.HYBRID,
        ),
        FidelityTemplate.HIGH_QUALITY: TemplateSpec(
            default_resolution=ResolutionLevel.GRAPH,
            ceiling=ResolutionLevel.DIALOG,
            token_budget=500_000,
            planning_mode=PlanningMode.ADAPTIVE,
        ),
        FidelityTemplate.MAXIMUM: TemplateSpec(
            default_resolution=ResolutionLevel.DIALOG,
            ceiling=ResolutionLevel.TRAINED,
            token_budget=None,
            planning_mode=PlanningMode.ADAPTIVE,
        ),
    }
)
"""Each template's levels, budget and planning mode. Higher templates never plan lower."""

MODE_COMPLEXITY: Mapping[TemporalMode, float] = MappingProxyType(
    {
        TemporalMode.PEARL: 1.0,
        TemporalMode.DIRECTORIAL: 1.2,
        TemporalMode.NONLINEAR: 1.3,
        TemporalMode.CYCLICAL: 1.3,
        TemporalMode.BRANCHING: 1.4,
        TemporalMode.PORTAL: 1.5,
    }
)
"""Token cost of a mode relative to a forward PEARL run (M17)."""

LEAD_SHARE = 0.1
"""Share of the cast (rounded up, at least one) whose cells at the ceiling's moments are held."""

# Centrality at or above lifts a cell one level; below drops it one level (within the template).
_CENTRAL = 0.75
_PERIPHERAL = 0.25


class LoweredCell(BaseModel):
    """One (entity, timepoint) cell that ``degrade`` lowered, and by how much."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_id: str
    timepoint_id: str
    before: ResolutionLevel
    after: ResolutionLevel


class FidelityPlan(BaseModel):
    """Resolution per timepoint and per (entity, timepoint), and the tokens it should take.

    ``timepoint_resolution`` is the schedule the template and importance ask for; ``cells`` is
    what will be spent, after centrality and any degradation. ``estimated_tokens`` and ``fits``
    are checked against the cells on construction, so a plan read back from JSON cannot lie.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: TemporalMode
    template: FidelityTemplate
    budget_mode: BudgetMode
    planning_mode: PlanningMode
    complexity: float = Field(gt=0.0)
    token_budget: int | None = Field(ge=1)
    timepoint_importance: Mapping[str, Unit]
    entity_centrality: Mapping[str, Unit]
    timepoint_resolution: Mapping[str, ResolutionLevel]
    cells: FidelityMap
    estimated_tokens: int = Field(ge=0)
    fits: bool
    lowered: tuple[LoweredCell, ...] = ()
    leads: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _estimate_matches_cells(self) -> Self:
        expected = estimate_tokens(self.cells, self.complexity)
        if self.estimated_tokens != expected:
            message = f"estimated_tokens {self.estimated_tokens} does not match the cells"
            raise ValueError(f"{message} ({expected})")
        if self.fits != _fits(expected, self.token_budget):
            raise ValueError(f"fits={self.fits} contradicts {expected} tokens vs the budget")
        return self

    def level(self, entity_id: str, timepoint_id: str) -> ResolutionLevel:
        """The planned level of one cell."""
        return self.cells.get(entity_id, timepoint_id)


def estimate_tokens(cells: FidelityMap, complexity: float) -> int:
    """Tokens a set of cells should take: per-level costs summed, times the mode's complexity."""
    return _scaled(cells.total_tokens(), complexity)


def plan_fidelity(
    mode: TemporalMode,
    template: FidelityTemplate,
    timepoint_importance: Mapping[str, float],
    entity_centrality: Mapping[str, float],
    budget_mode: BudgetMode = BudgetMode.SOFT,
    token_budget: int | None = None,
) -> FidelityPlan:
    """Plan resolution and tokens for a run (M1 + M17).

    - Timepoint schedule: the template's default level, ramped toward its ceiling by
      importance. With ``n`` levels from default to ceiling, [0, 1] is cut into ``n`` equal
      slices and importance in slice ``k`` (from 0) plans ``default + k``; so minimal runs
      tensor -> scene -> graph -> dialog as importance grows.
    - Cells: every entity at every timepoint starts at the schedule; centrality at or above
      0.75 lifts it one level, below 0.25 lowers it one, within the template's levels.
    - Budget: ``token_budget`` if given, else the template budget times the mode complexity
      (``None``, unlimited, for ``maximum``).
    - Leads: the ``lead_entities`` are held at the template's ceiling wherever the schedule
      reaches it, whatever their centrality.
    - Fitting: ``soft`` and ``hard`` budgets call ``degrade`` when the estimate is over (down
      to TENSOR_ONLY if need be, below the template's default), sparing the leads' held cells
      (``held_cells``); a soft plan that still does not fit runs over; ``hard`` then lowers the
      held cells too and raises ``BudgetExceededError`` if even the floor does not fit; ``max``
      only reports.

    Same inputs give the same plan; a higher template never plans a lower cell.
    """
    spec = TEMPLATE_SPECS[template]
    complexity = MODE_COMPLEXITY[mode]
    importance = {
        key: _unit_input("importance of timepoint", key, value)
        for key, value in timepoint_importance.items()
    }
    centrality = {
        key: _unit_input("centrality of entity", key, value)
        for key, value in entity_centrality.items()
    }
    if token_budget is not None and token_budget < 1:
        raise ConfigError(f"token_budget must be a positive number of tokens, got {token_budget}")
    budget = token_budget
    if budget is None and spec.token_budget is not None:
        budget = _scaled(spec.token_budget, complexity)

    schedule = {tp: _scheduled(spec, value) for tp, value in importance.items()}
    leads = lead_entities(centrality)
    levels = {
        entity_id: {
            tp: spec.ceiling
            if entity_id in leads and level == spec.ceiling
            else _lifted(spec, level, weight)
            for tp, level in schedule.items()
        }
        for entity_id, weight in centrality.items()
    }
    cells = FidelityMap(levels=levels)
    estimate = estimate_tokens(cells, complexity)
    plan = FidelityPlan(
        mode=mode,
        template=template,
        budget_mode=budget_mode,
        planning_mode=spec.planning_mode,
        complexity=complexity,
        token_budget=budget,
        timepoint_importance=importance,
        entity_centrality=centrality,
        timepoint_resolution=schedule,
        cells=cells,
        estimated_tokens=estimate,
        fits=_fits(estimate, budget),
        leads=tuple(sorted(leads)),
    )
    if plan.fits or budget is None or budget_mode is BudgetMode.MAX:
        return plan
    fitted = degrade(plan, budget)
    if budget_mode is BudgetMode.HARD and not fitted.fits:
        fitted = degrade(fitted, budget, hold_leads=False)
    if budget_mode is BudgetMode.HARD and not fitted.fits:
        message = (
            f"hard budget of {budget} tokens cannot hold this plan: even at the floor it needs "
            f"{fitted.estimated_tokens}; raise the budget or drop entities or timepoints"
        )
        raise BudgetExceededError(message)
    return fitted


def lead_entities(centrality: Mapping[str, float]) -> frozenset[str]:
    """The most central ``LEAD_SHARE`` of the cast (rounded up, at least one), highest
    centrality first, ties by id; entities with no tie at all (centrality 0) never lead."""
    tied = [e for e, c in centrality.items() if c > 0.0]
    ranked = sorted(tied, key=lambda e: (-centrality[e], e))
    return frozenset(ranked[: math.ceil(len(centrality) * LEAD_SHARE)])


def held_cells(plan: FidelityPlan) -> frozenset[tuple[str, str]]:
    """The (entity, timepoint) cells ``degrade`` spares: a lead's cell where the schedule
    reaches the template's ceiling."""
    ceiling = TEMPLATE_SPECS[plan.template].ceiling
    top = [tp for tp, level in plan.timepoint_resolution.items() if level == ceiling]
    return frozenset((entity_id, tp) for entity_id in plan.leads for tp in top)


def degrade(
    plan: FidelityPlan,
    target_tokens: int,
    floor: ResolutionLevel = ResolutionLevel.TENSOR_ONLY,
    *,
    hold_leads: bool = True,
) -> FidelityPlan:
    """A plan lowered until its estimate is at most ``target_tokens`` or every cell it may
    lower is at ``floor``; with ``hold_leads`` the ``held_cells`` are never lowered.

    Cells are lowered one level at a time, least important first: by the mean of timepoint
    importance and entity centrality, then importance, centrality, and ids for ties. A cell is
    taken down to the floor before the next one is touched. No cell is ever raised. What was
    lowered is appended to ``lowered`` (one entry per cell, first and final level).
    """
    if target_tokens < 0:
        raise ConfigError(f"target_tokens must not be negative, got {target_tokens}")
    levels = {entity: dict(row) for entity, row in plan.cells.levels.items()}
    total = plan.cells.total_tokens()
    lowered: list[LoweredCell] = []
    held = held_cells(plan) if hold_leads else frozenset()
    for entity_id, timepoint_id in sorted(_cell_keys(plan), key=lambda k: _priority(plan, *k)):
        if _scaled(total, plan.complexity) <= target_tokens:
            break
        if (entity_id, timepoint_id) in held:
            continue
        before = levels[entity_id][timepoint_id]
        level = before
        while level > floor and _scaled(total, plan.complexity) > target_tokens:
            lower = ResolutionLevel(level - 1)
            total -= TOKENS_PER_LEVEL[level] - TOKENS_PER_LEVEL[lower]
            level = lower
        if level != before:
            levels[entity_id][timepoint_id] = level
            lowered.append(
                LoweredCell(
                    entity_id=entity_id, timepoint_id=timepoint_id, before=before, after=level
                )
            )
    cells = FidelityMap(levels=levels, default=plan.cells.default)
    estimate = estimate_tokens(cells, plan.complexity)
    return plan.model_copy(
        update={
            "cells": cells,
            "estimated_tokens": estimate,
            "fits": _fits(estimate, plan.token_budget),
            "lowered": plan.lowered + tuple(lowered),
        }
    )


def _scheduled(spec: TemplateSpec, importance: float) -> ResolutionLevel:
    span = int(spec.ceiling) - int(spec.default_resolution)
    step = min(span, math.floor(importance * (span + 1)))
    return ResolutionLevel(int(spec.default_resolution) + step)


def _lifted(spec: TemplateSpec, level: ResolutionLevel, centrality: float) -> ResolutionLevel:
    if centrality >= _CENTRAL:
        return ResolutionLevel(min(int(level) + 1, int(spec.ceiling)))
    if centrality < _PERIPHERAL:
        return ResolutionLevel(max(int(level) - 1, int(spec.default_resolution)))
    return level


def _cell_keys(plan: FidelityPlan) -> list[tuple[str, str]]:
    return [(entity_id, timepoint_id) for entity_id, timepoint_id, _ in plan.cells.cells()]


def _priority(plan: FidelityPlan, entity_id: str, timepoint_id: str) -> tuple[float, ...]:
    # Unknown ids (a hand-built plan) count as least important, so they are lowered first.
    importance = plan.timepoint_importance.get(timepoint_id, 0.0)
    centrality = plan.entity_centrality.get(entity_id, 0.0)
    return ((importance + centrality) / 2.0, importance, centrality)


def _scaled(tokens: int, complexity: float) -> int:
    # Rounded, not ceiled: 50_000 * 1.3 is 65000.00000000001 in floating point.
    return round(tokens * complexity)


def _fits(estimate: int, budget: int | None) -> bool:
    return budget is None or estimate <= budget


def _unit_input(what: str, key: str, value: float) -> float:
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{what} {key!r} must be in [0, 1], got {value!r}")
    return float(value)

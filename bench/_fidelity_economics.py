"""fidelity_economics: what heterogeneous fidelity saves on a 100-entity x 10-timepoint town.

Two measures of the same comparison, uniform DIALOG-level detail against the plan:

1. Cells (the target): the plan the run makes in ``plan_strategy`` (M1 + M17: the scenario's
   template, importance ramp, relationship centrality, soft budget) against every
   (entity, timepoint) cell at DIALOG, both priced by ``TOKENS_PER_LEVEL`` times the mode's
   complexity (``strategy.estimate_tokens``). The plan before its budget is fitted is
   reported too, so the share of the saving that the budget makes is visible.
2. Runs (a cross-check with real prompts): the scenario run offline as planned, against the
   same scenario with fidelity ``maximum`` / budget ``max`` (every cell at DIALOG or above, so
   the fidelity plan gates no one out). Prompt tokens come from each run's ledger. The library
   seats at most ``dialog.participants`` speakers per moment (20 at most, 4 here) and caps
   turns, so the ``maximum`` run is a lower bound on what uniform DIALOG detail for all 100
   people would cost; its reduction understates the cell measure.

Both runs are audited for provenance violations (``bench._generated.provenance_violations``).
"""

from __future__ import annotations

import shutil
from collections import Counter
from typing import Any

from bench._generated import ProvenanceAudit, provenance_violations, town_scenario
from bench._measure import Measurement, Report, at_least, exactly, figure
from bench._runs import TimedRun, fresh_store, timed_run
from daedalus.domain import ResolutionLevel
from daedalus.kernel.fidelity import FidelityMap, relationship_centrality
from daedalus.kernel.roster import build_roster, planned_importance
from daedalus.kernel.strategy import (
    BudgetMode,
    FidelityPlan,
    FidelityTemplate,
    estimate_tokens,
    plan_fidelity,
)
from daedalus.scenario import Scenario

__all__ = ["fidelity_economics", "planned_cells", "uniform_cells"]


def planned_cells(scenario: Scenario, budget_mode: BudgetMode | None = None) -> FidelityPlan:
    """The fidelity plan a run of ``scenario`` makes before its first moment (M1 + M17)."""
    roster = build_roster(scenario, {})
    centrality = relationship_centrality(roster.entities, roster.relationships.values())
    fidelity = scenario.fidelity
    return plan_fidelity(
        scenario.mode,
        FidelityTemplate(fidelity.template),
        planned_importance(scenario),
        centrality,
        budget_mode or BudgetMode(fidelity.budget_mode),
        fidelity.token_budget,
    )


def uniform_cells(plan: FidelityPlan, level: ResolutionLevel) -> FidelityMap:
    """Every cell of ``plan`` at ``level``."""
    return FidelityMap(
        levels={
            entity_id: dict.fromkeys(plan.timepoint_importance, level)
            for entity_id in plan.entity_centrality
        }
    )


def _audited(scenario: Scenario) -> tuple[TimedRun, ProvenanceAudit]:
    store = fresh_store("fidelity")
    try:
        timed = timed_run(scenario, store)
    finally:
        shutil.rmtree(store, ignore_errors=True)
    run = timed.run
    audit = provenance_violations(run.timepoints, run.exposures, run.dialogs, run.entities)
    return timed, audit


def _described(timed: TimedRun, audit: ProvenanceAudit) -> dict[str, Any]:
    run = timed.run
    return {
        "calls_by_node": dict(Counter(row.node for row in run.ledger.records).most_common()),
        "calls": timed.totals.calls,
        "prompt_tokens": timed.totals.prompt_tokens,
        "timepoints": len(run.timepoints),
        "dialogs": len(run.dialogs),
        "turns": sum(len(d.turns) for d in run.dialogs),
        "references_checked": audit.references_checked,
        "refused_references": audit.refused_references,
        "knowledge_queries": audit.knowledge_queries,
        "exposures_returned": audit.exposures_returned,
        "foreign_knowledge": audit.foreign_knowledge,
    }


def fidelity_economics(
    *, smoke: bool = False, entities: int | None = None, timepoints: int | None = None
) -> Report:
    """Cells and runs measures of the saving, with provenance audits (module docstring)."""
    entities = entities or (10 if smoke else 100)
    timepoints = timepoints or (3 if smoke else 10)
    scenario = town_scenario(entities, timepoints)
    plan = planned_cells(scenario)
    unbudgeted = planned_cells(scenario, BudgetMode.MAX)
    uniform = estimate_tokens(uniform_cells(plan, ResolutionLevel.DIALOG), plan.complexity)
    uniform_scenario = Scenario.model_validate(
        {
            **scenario.model_dump(),
            "fidelity": {"template": "maximum", "budget_mode": "max"},
        }
    )
    planned_run, planned_audit = _audited(scenario)
    uniform_run, uniform_audit = _audited(uniform_scenario)
    planned_prompt = planned_run.totals.prompt_tokens
    uniform_prompt = uniform_run.totals.prompt_tokens
    measurements: list[Measurement] = [
        at_least(
            "cell_token_reduction",
            100.0 * (1.0 - plan.estimated_tokens / uniform),
            "%",
            95.0,
            "plan vs uniform DIALOG, TOKENS_PER_LEVEL x complexity",
        ),
        figure("uniform_dialog_cell_tokens", uniform, "tokens"),
        figure("planned_cell_tokens", plan.estimated_tokens, "tokens"),
        figure(
            "unbudgeted_cell_token_reduction",
            100.0 * (1.0 - unbudgeted.estimated_tokens / uniform),
            "%",
            "the template's plan before the budget is fitted",
        ),
        at_least(
            "run_prompt_token_reduction",
            100.0 * (1.0 - planned_prompt / uniform_prompt) if uniform_prompt else 0.0,
            "%",
            95.0,
            "planned run vs 'maximum' run; that run seats 4 speakers per moment",
        ),
        figure("planned_run_prompt_tokens", planned_prompt, "tokens"),
        figure("maximum_run_prompt_tokens", uniform_prompt, "tokens"),
        exactly("planned_run_provenance_violations", planned_audit.violations, "violations", 0),
        exactly("maximum_run_provenance_violations", uniform_audit.violations, "violations", 0),
    ]
    return Report(
        benchmark="fidelity_economics",
        measurements=tuple(measurements),
        parameters={
            "entities": entities,
            "timepoints": timepoints,
            "template": scenario.fidelity.template,
            "budget_mode": scenario.fidelity.budget_mode,
            "smoke": smoke,
        },
        details={
            "token_budget": plan.token_budget,
            "planned_levels": {lvl.name: n for lvl, n in plan.cells.level_counts().items()},
            "unbudgeted_levels": {
                lvl.name: n for lvl, n in unbudgeted.cells.level_counts().items()
            },
            "planned_run": _described(planned_run, planned_audit),
            "maximum_run": _described(uniform_run, uniform_audit),
        },
    )

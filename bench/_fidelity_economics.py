"""fidelity_economics: what heterogeneous fidelity saves on a 100-entity x 10-timepoint town.

The measure is two runs of the same scenario, offline: as planned (each entity enters every
prompt at its resolution for the moment, M1) against ``fidelity.render: uniform`` (every entity
at DIALOG in every prompt and at every gate, with the same dialog caps). Prompt tokens come from
each run's ledger. Beside it: whether the uniform run's speakers among the scenario's most central
tenth (eigenvector centrality of the relationship graph the plan reads, the same for both runs)
still speak when planned, the same comparison on mars_mission_portal
(four people, no target), and the plan's own cell estimate (``TOKENS_PER_LEVEL`` times the
mode's complexity), which is reported as an estimate only: ``degrade`` fits it by construction.

Every run is audited for provenance violations (``bench._generated.provenance_violations``).
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
from daedalus.templates import load_template

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


def _uniform(scenario: Scenario) -> Scenario:
    """The same scenario with every present entity at DIALOG in every prompt and gate."""
    data = scenario.model_dump()
    data["fidelity"] = {**data["fidelity"], "render": "uniform"}
    return Scenario.model_validate(data)


def _speakers(run: Any) -> set[str]:
    return {p for dialog in run.dialogs for p in dialog.participants}


def _top_decile(centrality: dict[str, float]) -> set[str]:
    ranked = sorted(centrality, key=lambda e: (-centrality[e], e))
    return set(ranked[: max(1, len(ranked) // 10)])


def _top_decile_kept(
    planned: Any, uniform: Any, importance: dict[str, float] | None = None
) -> tuple[float, list[str], int]:
    """Share of the uniform run's speakers in the top decile of importance who also speak in
    the planned run, those who do not, and how many there were to keep.

    ``importance`` is the scenario's eigenvector centrality (M5), the same for both runs; when
    it is ``None`` the uniform run's centrality at its end is used, which is circular: dialog
    strengthens the speakers' ties (M13), so whoever the uniform run seats ends up central."""
    if importance is None:
        importance = {e.id: e.metadata.eigenvector_centrality for e in uniform.entities.values()}
    top = _top_decile(importance) & _speakers(uniform)
    missing = sorted(top - _speakers(planned))
    return (100.0 * (1 - len(missing) / len(top)) if top else 100.0), missing, len(top)


def fidelity_economics(
    *, smoke: bool = False, entities: int | None = None, timepoints: int | None = None
) -> Report:
    """Runs measure of the saving (planned against uniform DIALOG), with provenance audits;
    the cell figure beside it is the plan's own estimate (module docstring)."""
    entities = entities or (10 if smoke else 100)
    timepoints = timepoints or (3 if smoke else 10)
    scenario = town_scenario(entities, timepoints)
    plan = planned_cells(scenario)
    uniform = estimate_tokens(uniform_cells(plan, ResolutionLevel.DIALOG), plan.complexity)
    planned_run, planned_audit = _audited(scenario)
    uniform_run, uniform_audit = _audited(_uniform(scenario))
    planned_prompt = planned_run.totals.prompt_tokens
    uniform_prompt = uniform_run.totals.prompt_tokens
    importance = dict(plan.entity_centrality)
    kept, missing, to_keep = _top_decile_kept(planned_run.run, uniform_run.run, importance)
    circular, circular_missing, _ = _top_decile_kept(planned_run.run, uniform_run.run)
    top = _top_decile(importance)
    planned_top = len(top & _speakers(planned_run.run))
    uniform_top = len(top & _speakers(uniform_run.run))
    mars = load_template("mars_mission_portal")
    if smoke:
        mars = Scenario.model_validate(
            {**mars.model_dump(), "timeline": {**mars.model_dump()["timeline"], "steps": 2}}
        )
    mars_planned, mars_planned_audit = _audited(mars)
    mars_uniform, mars_uniform_audit = _audited(_uniform(mars))
    mars_ratio = mars_planned.totals.prompt_tokens / max(1, mars_uniform.totals.prompt_tokens)
    measurements: list[Measurement] = [
        at_least(
            "run_prompt_token_reduction",
            100.0 * (1.0 - planned_prompt / uniform_prompt) if uniform_prompt else 0.0,
            "%",
            90.0,
            "planned run vs the same town with everyone at DIALOG in every prompt and gate",
        ),
        figure("planned_run_prompt_tokens", planned_prompt, "tokens"),
        figure("uniform_run_prompt_tokens", uniform_prompt, "tokens"),
        at_least(
            "top_decile_speakers_kept",
            kept,
            "%",
            100.0,
            f"uniform-run speakers in the scenario's top decile of centrality ({to_keep}) who "
            "still speak when planned",
        ),
        figure(
            "top_decile_speaking_planned", planned_top, "entities",
            "of the scenario's 10 % most central, how many speak in the planned run",
        ),
        figure(
            "top_decile_speaking_uniform", uniform_top, "entities",
            "of the scenario's 10 % most central, how many speak in the uniform run",
        ),
        figure(
            "top_decile_kept_by_end_centrality", circular, "%",
            "circular: ranked by the uniform run's own end-of-run centrality, which its "
            "dialogs raise for whoever it seated",
        ),
        figure(
            "mars_prompt_token_reduction",
            100.0 * (1.0 - mars_ratio),
            "%",
            "mars_mission_portal planned vs uniform; four people leave little to save",
        ),
        exactly("planned_run_provenance_violations", planned_audit.violations, "violations", 0),
        exactly("uniform_run_provenance_violations", uniform_audit.violations, "violations", 0),
        exactly(
            "mars_runs_provenance_violations",
            mars_planned_audit.violations + mars_uniform_audit.violations,
            "violations",
            0,
        ),
        figure(
            "cell_token_reduction_estimate",
            100.0 * (1.0 - plan.estimated_tokens / uniform),
            "%",
            "estimate only: the plan priced by TOKENS_PER_LEVEL, fitted by degrade()",
        ),
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
            "planned_run": _described(planned_run, planned_audit),
            "uniform_run": _described(uniform_run, uniform_audit),
            "top_decile_missing": missing,
            "top_decile_missing_by_end_centrality": circular_missing,
            "leads": list(plan.leads),
            "mars_planned_prompt_tokens": mars_planned.totals.prompt_tokens,
            "mars_uniform_prompt_tokens": mars_uniform.totals.prompt_tokens,
        },
    )

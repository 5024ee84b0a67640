import json
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from daedalus.domain import ResolutionLevel, TemporalMode
from daedalus.errors import BudgetExceededError, ConfigError
from daedalus.kernel.fidelity import TOKENS_PER_LEVEL
from daedalus.kernel.strategy import (
    MODE_COMPLEXITY,
    TEMPLATE_SPECS,
    BudgetMode,
    FidelityPlan,
    FidelityTemplate,
    PlanningMode,
    degrade,
    held_cells,
    lead_entities,
    plan_fidelity,
)

T, S, G, D, TR = (
    ResolutionLevel.TENSOR_ONLY,
    ResolutionLevel.SCENE,
    ResolutionLevel.GRAPH,
    ResolutionLevel.DIALOG,
    ResolutionLevel.TRAINED,
)
TEMPLATES = list(FidelityTemplate)
RAMP = {f"tp{i + 1}": (i + 0.5) / 10 for i in range(10)}
CAST = {"webb": 0.5, "zhang": 0.5, "mehta": 0.5, "okafor": 0.5}


def test_template_table():
    expected = {
        FidelityTemplate.MINIMAL: (T, 50_000, PlanningMode.PROGRAMMATIC),
        FidelityTemplate.BALANCED: (S, 250_000, PlanningMode.HYBRID),
        FidelityTemplate.HIGH_QUALITY: (G, 500_000, PlanningMode.ADAPTIVE),
        FidelityTemplate.MAXIMUM: (D, None, PlanningMode.ADAPTIVE),
    }
    for template, (level, budget, planning) in expected.items():
        spec = template.spec
        assert (spec.default_resolution, spec.token_budget, spec.planning_mode) == (
            level,
            budget,
            planning,
        )
    assert FidelityTemplate("high_quality") is FidelityTemplate.HIGH_QUALITY


def test_mode_multipliers_cover_every_mode():
    assert dict(MODE_COMPLEXITY) == {
        TemporalMode.PEARL: 1.0,
        TemporalMode.DIRECTORIAL: 1.2,
        TemporalMode.NONLINEAR: 1.3,
        TemporalMode.CYCLICAL: 1.3,
        TemporalMode.BRANCHING: 1.4,
        TemporalMode.PORTAL: 1.5,
    }


def test_minimal_schedule_ramps_tensor_scene_graph_dialog_with_importance():
    plan = plan_fidelity(TemporalMode.PEARL, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.MAX)
    assert [level.label for level in plan.timepoint_resolution.values()] == [
        "tensor_only", "tensor_only",
        "scene", "scene", "scene",
        "graph", "graph",
        "dialog", "dialog", "dialog",
    ]  # fmt: skip
    assert list(plan.timepoint_resolution) == list(RAMP)


def test_cells_lift_central_and_lower_peripheral_entities_within_the_template():
    cast = {"hub": 0.9, "mid": 0.5, "edge": 0.1}
    tps = {"low": 0.1, "mid": 0.5, "high": 1.0}
    plan = plan_fidelity(TemporalMode.PEARL, FidelityTemplate.BALANCED, tps, cast, BudgetMode.MAX)
    assert plan.timepoint_resolution == {"low": S, "mid": G, "high": D}
    assert [plan.level("hub", tp) for tp in tps] == [G, D, D]
    assert [plan.level("mid", tp) for tp in tps] == [S, G, D]
    assert [plan.level("edge", tp) for tp in tps] == [S, S, G]


def test_budget_is_template_budget_times_mode_complexity_unless_given():
    for mode, factor in MODE_COMPLEXITY.items():
        plan = plan_fidelity(mode, FidelityTemplate.BALANCED, RAMP, CAST, BudgetMode.MAX)
        assert plan.token_budget == round(250_000 * factor)
        assert plan.complexity == factor
    given = plan_fidelity(
        TemporalMode.PORTAL, FidelityTemplate.BALANCED, RAMP, CAST, BudgetMode.MAX, 30_000
    )
    assert given.token_budget == 30_000
    unlimited = plan_fidelity(
        TemporalMode.PORTAL, FidelityTemplate.MAXIMUM, RAMP, CAST, BudgetMode.HARD
    )
    assert unlimited.token_budget is None and unlimited.fits


def test_estimate_is_cell_costs_times_complexity():
    tps = {"a": 0.9}
    pearl = plan_fidelity(TemporalMode.PEARL, FidelityTemplate.MINIMAL, tps, {"x": 0.5})
    portal = plan_fidelity(TemporalMode.PORTAL, FidelityTemplate.MINIMAL, tps, {"x": 0.5})
    assert pearl.estimated_tokens == TOKENS_PER_LEVEL[D]
    assert portal.estimated_tokens == round(TOKENS_PER_LEVEL[D] * 1.5)


def test_max_budget_mode_reports_without_lowering():
    plan = plan_fidelity(
        TemporalMode.PORTAL, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.MAX, 30_000
    )
    assert not plan.fits
    assert plan.estimated_tokens > 30_000
    assert plan.lowered == ()


def test_soft_budget_degrades_to_fit():
    full = plan_fidelity(
        TemporalMode.PORTAL, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.MAX, 30_000
    )
    # the lead's three held DIALOG cells take 45,000 of the 60,000 (PORTAL x1.5)
    soft = plan_fidelity(
        TemporalMode.PORTAL, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.SOFT, 60_000
    )
    assert soft.fits and soft.estimated_tokens <= 60_000
    assert soft.lowered
    for cell in soft.lowered:
        assert cell.after < cell.before == full.level(cell.entity_id, cell.timepoint_id)
    # The schedule stays what importance asked for; the cells carry the cut.
    assert soft.timepoint_resolution == full.timepoint_resolution


def test_soft_budget_runs_over_when_even_the_floor_does_not_fit():
    soft = plan_fidelity(
        TemporalMode.PEARL, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.SOFT, 1_000
    )
    assert not soft.fits
    held = held_cells(soft)
    assert held == {("mehta", tp) for tp in ("tp8", "tp9", "tp10")}  # ties broken by id
    for entity_id, timepoint_id, level in soft.cells.cells():
        assert level is (D if (entity_id, timepoint_id) in held else T)


def test_leads_are_the_most_central_tenth_and_keep_the_ceiling_under_a_soft_budget():
    cast = {f"e{i:02d}": i / 20 for i in range(20)}
    assert lead_entities(cast) == {"e19", "e18"}
    assert lead_entities({"alone": 0.0, "pair": 0.4}) == {"pair"}
    plan = plan_fidelity(
        TemporalMode.PEARL, FidelityTemplate.BALANCED, RAMP, cast, BudgetMode.SOFT, 10_000
    )
    assert plan.leads == ("e18", "e19")
    top = [tp for tp, level in plan.timepoint_resolution.items() if level is D]
    assert top and all(plan.level(lead, tp) is D for lead in plan.leads for tp in top)
    others = [level for e, _, level in plan.cells.cells() if e not in plan.leads]
    assert set(others) == {T}
    # a hard budget never runs over: the leads are lowered too
    hard = plan_fidelity(
        TemporalMode.PEARL, FidelityTemplate.BALANCED, RAMP, cast, BudgetMode.HARD, 60_000
    )
    assert hard.fits and any(hard.level(lead, tp) < D for lead in hard.leads for tp in top)


def test_hard_budget_refuses_a_plan_that_cannot_fit():
    with pytest.raises(BudgetExceededError, match="hard budget of 1000 tokens"):
        plan_fidelity(
            TemporalMode.PEARL, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.HARD, 1_000
        )
    hard = plan_fidelity(
        TemporalMode.PEARL, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.HARD, 30_000
    )
    assert hard.fits


def test_degrade_lowers_the_least_important_cells_first():
    cast = {"hub": 0.9, "edge": 0.3}
    tps = {"quiet": 0.3, "climax": 0.9}
    plan = plan_fidelity(TemporalMode.PEARL, FidelityTemplate.BALANCED, tps, cast, BudgetMode.MAX)
    before = {(e, t): plan.level(e, t) for e in cast for t in tps}
    cut = degrade(plan, plan.estimated_tokens - 1)
    assert [(c.entity_id, c.timepoint_id) for c in cut.lowered] == [("edge", "quiet")]
    assert cut.level("edge", "quiet") < before[("edge", "quiet")]
    assert cut.level("hub", "climax") == before[("hub", "climax")]
    # Already fitting: nothing changes.
    assert degrade(plan, plan.estimated_tokens) == plan


def test_degrade_respects_a_floor_and_accumulates_its_record():
    plan = plan_fidelity(
        TemporalMode.PEARL, FidelityTemplate.HIGH_QUALITY, RAMP, CAST, BudgetMode.MAX
    )
    once = degrade(plan, 0, floor=S, hold_leads=False)
    assert all(level is S for _, _, level in once.cells.cells())
    twice = degrade(once, 0, hold_leads=False)
    assert all(level is T for _, _, level in twice.cells.cells())
    assert len(twice.lowered) == len(once.lowered) + len(RAMP) * len(CAST)
    with pytest.raises(ConfigError, match="target_tokens must not be negative"):
        degrade(plan, -5)


def test_plan_round_trips_through_json_and_refuses_a_false_estimate():
    plan = plan_fidelity(
        TemporalMode.BRANCHING, FidelityTemplate.MINIMAL, RAMP, CAST, BudgetMode.SOFT, 40_000
    )
    text = plan.model_dump_json()
    assert FidelityPlan.model_validate_json(text) == plan
    tampered = json.loads(text)
    tampered["estimated_tokens"] = 1
    with pytest.raises(ValidationError, match="does not match the cells"):
        FidelityPlan.model_validate(tampered)
    tampered = json.loads(text)
    tampered["fits"] = not plan.fits
    with pytest.raises(ValidationError, match="contradicts"):
        FidelityPlan.model_validate(tampered)


def test_bad_inputs_name_the_value():
    with pytest.raises(ConfigError, match="importance of timepoint 'tp1' must be in"):
        plan_fidelity(TemporalMode.PEARL, FidelityTemplate.MINIMAL, {"tp1": 1.2}, CAST)
    with pytest.raises(ConfigError, match="centrality of entity 'x' must be in"):
        plan_fidelity(TemporalMode.PEARL, FidelityTemplate.MINIMAL, RAMP, {"x": -0.1})
    with pytest.raises(ConfigError, match="token_budget must be a positive"):
        plan_fidelity(TemporalMode.PEARL, FidelityTemplate.MINIMAL, RAMP, CAST, token_budget=0)


def test_empty_inputs_plan_nothing():
    plan = plan_fidelity(TemporalMode.PORTAL, FidelityTemplate.MINIMAL, {}, {})
    assert plan.estimated_tokens == 0 and plan.fits
    assert list(plan.cells.cells()) == []


units = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
importances = st.dictionaries(st.sampled_from([f"t{i}" for i in range(6)]), units, max_size=6)
centralities = st.dictionaries(st.sampled_from(list("abcd")), units, max_size=4)
modes = st.sampled_from(list(TemporalMode))


@settings(max_examples=80, deadline=None)
@given(modes, st.sampled_from(TEMPLATES), importances, centralities, st.integers(1, 150_000))
def test_degrade_fits_unless_everything_is_at_the_floor(mode, template, tps, cast, target):
    plan = plan_fidelity(mode, template, tps, cast, BudgetMode.MAX)
    cut = degrade(plan, target)
    held = held_cells(plan)
    if cut.estimated_tokens > target:
        assert all(level is T for e, tp, level in cut.cells.cells() if (e, tp) not in held)
    for entity_id, timepoint_id in held:
        assert cut.level(entity_id, timepoint_id) == plan.level(entity_id, timepoint_id)
    for entity_id, timepoint_id, level in cut.cells.cells():
        assert level <= plan.level(entity_id, timepoint_id)


@settings(max_examples=80, deadline=None)
@given(modes, importances, centralities, st.sampled_from(list(BudgetMode)))
def test_plans_are_deterministic(mode, tps, cast, budget_mode):
    first = plan_fidelity(mode, FidelityTemplate.BALANCED, tps, cast, budget_mode, 20_000)
    assert plan_fidelity(mode, FidelityTemplate.BALANCED, tps, cast, budget_mode, 20_000) == first


@settings(max_examples=80, deadline=None)
@given(modes, importances, centralities)
def test_a_higher_template_never_plans_a_lower_cell(mode, tps, cast):
    plans = [plan_fidelity(mode, template, tps, cast, BudgetMode.MAX) for template in TEMPLATES]
    for lower, higher in pairwise(plans):
        for tp in tps:
            assert higher.timepoint_resolution[tp] >= lower.timepoint_resolution[tp]
            for entity_id in cast:
                assert higher.level(entity_id, tp) >= lower.level(entity_id, tp)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(TEMPLATES), units, units)
def test_schedule_is_monotone_in_importance(template, a, b):
    low, high = sorted((a, b))
    plan = plan_fidelity(TemporalMode.PEARL, template, {"low": low, "high": high}, {})
    assert plan.timepoint_resolution["high"] >= plan.timepoint_resolution["low"]
    spec = TEMPLATE_SPECS[template]
    assert spec.default_resolution <= plan.timepoint_resolution["low"] <= spec.ceiling

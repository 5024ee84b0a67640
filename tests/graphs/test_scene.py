"""Scene setup: the four nodes, in order, on any SimState graph; the plan and budget pressure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from langgraph.graph import END, START, StateGraph

from daedalus.agents.tensor_population import NODE as POPULATION
from daedalus.context import RunContext
from daedalus.domain import ResolutionLevel
from daedalus.graphs.scene import (
    GENERATE_ENTITIES,
    LOAD_ROSTER,
    PLAN_STRATEGY,
    POPULATE_TENSORS,
    PROFILE_DIR,
    add_scene_setup,
    build_scene_graph,
    degrade_for_budget,
    load_roster,
    plan_strategy,
)
from daedalus.kernel.fidelity import TOKENS_PER_LEVEL
from daedalus.kernel.roster import build_roster
from daedalus.kernel.strategy import FidelityTemplate, held_cells, plan_fidelity
from daedalus.kernel.tensors import BEHAVIOR_AXES
from daedalus.llm.budget import BudgetGuard
from daedalus.llm.router import Router
from daedalus.scenario import Scenario
from daedalus.state import SimState
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel

BOARD = ("daniel_reyes", "helen_park", "maya_okonkwo")


def invoke(graph: Any, state: dict[str, Any], router: Router, **extras: Any) -> dict[str, Any]:
    compiled = graph.compile()
    context = RunContext(router=router, extras=extras)
    return asyncio.run(compiled.ainvoke(state, context=context, config={"recursion_limit": 20}))


def neutral(ids: tuple[str, ...]) -> dict[str, Any]:
    return {key: {**dict.fromkeys(BEHAVIOR_AXES, 0.5), "valence": 0.1, "arousal": 0.4} for key in ids}


class AuditState(SimState, total=False):
    audited: list[str]


def audit(state: AuditState) -> dict[str, Any]:
    plan = state["plan"]
    assert plan is not None
    return {"audited": sorted(plan.entity_centrality)}


def test_scene_setup_on_a_fresh_graph_with_board_meeting(
    scripted_router: Callable[..., Router],
) -> None:
    model = ScriptedModel({POPULATION: [neutral(BOARD)]})  # any other call would fail the run
    graph = StateGraph(AuditState, context_schema=RunContext)
    graph.add_node("prepare", lambda state: {"audited": []})
    graph.add_edge(START, "prepare")
    last = add_scene_setup(graph, after="prepare")
    assert last == PLAN_STRATEGY
    graph.add_node("audit", audit)
    graph.add_edge(last, "audit")
    graph.add_edge("audit", END)
    assert {LOAD_ROSTER, GENERATE_ENTITIES, POPULATE_TENSORS, PLAN_STRATEGY} <= set(graph.nodes)
    out = invoke(graph, {"scenario": load_template("board_meeting")}, scripted_router(model))
    assert [call.node for call in model.calls] == [POPULATION]  # nothing missing: no M9 call
    assert out["audited"] == sorted(BOARD)
    assert sorted(out["entities"]) == sorted(out["tensors"]) == sorted(out["compressed"]) == sorted(BOARD)
    assert len(out["exposures"]) == 6 and out["withheld"]["maya_okonkwo"] == ["init-maya_okonkwo-2"]
    assert out["compression"].behavior.n_samples == 3
    assert out["cognitive"]["helen_park"].valence == 0.1
    assert out["atmosphere"].tension == 0.55
    plan = out["plan"]
    cells = sum(len(row) for row in plan.cells.levels.values())
    assert out["mechanisms"] == {"M10": 1, "M6": 3, "M1": cells, "M17": 1}
    assert list(plan.timepoint_importance) == ["slot-000", "slot-001"]
    assert plan.mode.value == "pearl" and plan.template is FidelityTemplate.BALANCED


def test_build_scene_graph_generates_what_the_scenario_names(offline_router: Router) -> None:
    data = load_template("board_meeting").model_dump(mode="json")
    data["description"] = "The board meets while guard_2 keeps the door."
    data["extras"] = ["the night nurse"]
    out = invoke(build_scene_graph(), {"scenario": Scenario.model_validate(data)}, offline_router)
    assert {"guard_2", "night_nurse"} <= set(out["entities"])
    assert {"guard_2", "night_nurse"} <= set(out["tensors"])  # generated before tensors
    assert "guard_2" in out["plan"].entity_centrality
    assert out["mechanisms"]["M9"] == 2  # guard_2 and the night nurse


def test_profiles_load_from_the_context_directory(
    tmp_path: Path, scripted_router: Callable[..., Router]
) -> None:
    (tmp_path / "helen.json").write_text(
        json.dumps(
            {
                "name": "Helen Park",
                "archetype_id": "skeptical_regulator",
                "initial_knowledge": ["Board minutes are public after thirty days"],
            }
        )
    )
    yaml_path = tmp_path / "scenario.yaml"
    data = load_template("board_meeting").model_dump(mode="json")
    data["entities"][2]["profile"] = "helen"
    yaml_path.write_text(json.dumps(data))
    scenario = load_template(yaml_path)
    model = ScriptedModel({POPULATION: [neutral(("daniel_reyes", "maya_okonkwo"))]})
    out = invoke(build_scene_graph(), {"scenario": scenario}, scripted_router(model),
                 **{PROFILE_DIR: tmp_path})
    helen = out["entities"]["helen_park"]
    assert helen.profile.archetype_id == "skeptical_regulator"
    assert helen.profile.trait_scores["caution"] == 0.85  # from the archetype, not the model
    assert "helen_park" not in model.prompts_for(POPULATION)[0]
    assert [e.id for e in out["exposures"] if e.source == "profile"] == ["init-helen_park-1"]
    cells = sum(len(row) for row in out["plan"].cells.levels.values())
    assert out["mechanisms"]["M1"] == 1 + cells  # one profile loaded, the plan's cells


def board_state() -> SimState:
    scenario = load_template("board_meeting")
    return SimState(scenario=scenario, **build_roster(scenario, {}).state_update())  # type: ignore[typeddict-item]


def runtime(router: Router, **extras: Any) -> Any:
    return SimpleNamespace(context=RunContext(router=router, extras=extras))


def test_plan_strategy_writes_centrality_and_plans_every_slot(offline_router: Router) -> None:
    update = plan_strategy(board_state(), runtime(offline_router))
    centrality = {key: e.metadata.eigenvector_centrality for key, e in update["entities"].items()}
    # daniel has the two strongest ties (0.7 and 0.6 trust): he is the centre
    assert centrality["daniel_reyes"] == 1.0
    assert 0.0 < centrality["helen_park"] < 1.0 and 0.0 < centrality["maya_okonkwo"] < 1.0
    plan = update["plan"]
    assert plan.entity_centrality == centrality
    assert plan.timepoint_resolution == {
        "slot-000": ResolutionLevel.SCENE,
        "slot-001": ResolutionLevel.DIALOG,
    }
    assert plan.level("daniel_reyes", "slot-000") == ResolutionLevel.GRAPH  # central: lifted
    assert plan.lowered == ()
    assert update["mechanisms"] == {"M1": 3 * 2, "M17": 1}  # a cell per entity and slot


def pressured(mode: str, spent: float) -> Router:
    guard = BudgetGuard(limit_usd=1.0, mode=mode)
    guard.settle(guard.reserve(spent), spent)
    return Router.offline(budget=guard)


def test_a_soft_budget_under_pressure_degrades_the_plan() -> None:
    relaxed = plan_strategy(board_state(), runtime(pressured("soft", 0.5)))["plan"]
    squeezed = plan_strategy(board_state(), runtime(pressured("soft", 0.9)))["plan"]
    assert relaxed.lowered == ()
    assert squeezed.lowered
    held = sum(TOKENS_PER_LEVEL[relaxed.level(e, tp)] for e, tp in held_cells(relaxed))
    assert squeezed.estimated_tokens <= round(relaxed.estimated_tokens * 0.1) + held
    # a hard or max budget does not degrade the plan: the guard itself refuses calls
    hard = plan_strategy(board_state(), runtime(pressured("hard", 0.9)))["plan"]
    assert hard == relaxed


def test_degrade_for_budget_cuts_to_the_unspent_share() -> None:
    plan = plan_fidelity(
        load_template("board_meeting").mode,
        FidelityTemplate.HIGH_QUALITY,
        {"slot-000": 0.3, "slot-001": 0.9},
        {"a": 1.0, "b": 0.5},
    )
    half = degrade_for_budget(plan, 0.5)
    assert half.estimated_tokens <= plan.estimated_tokens * 0.5
    # the lead's DIALOG cell at the important slot is held: a soft budget runs over for it
    spent = degrade_for_budget(plan, 1.5)
    assert spent.cells.level_counts()[ResolutionLevel.TENSOR_ONLY] == 3
    assert spent.level("a", "slot-001") == ResolutionLevel.DIALOG
    assert degrade_for_budget(plan, 0.0) == plan


def test_load_roster_node_matches_the_kernel(offline_router: Router) -> None:
    scenario = load_template("board_meeting")
    update = load_roster({"scenario": scenario}, runtime(offline_router))
    assert update == build_roster(scenario, {}).state_update()

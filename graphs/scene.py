"""Scene setup: the four nodes every mode graph starts with.

``load_roster`` (M1 profiles, M3 prior knowledge, M10 scene) -> ``generate_entities`` (M9) ->
``populate_tensors`` (M6) -> ``plan_strategy`` (M1 + M17). ``add_scene_setup`` wires them into
any graph whose state extends ``SimState`` and returns the last node's name, so a mode graph
continues from there::

    graph = StateGraph(PortalState, context_schema=RunContext)
    last = add_scene_setup(graph)
    graph.add_edge(last, "portal_backward")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from daedalus.agents.entity_generator import NODE as GENERATE_ENTITIES
from daedalus.agents.entity_generator import generate_entities
from daedalus.agents.tensor_population import NODE as POPULATE_TENSORS
from daedalus.agents.tensor_population import populate_tensors
from daedalus.context import RunContext
from daedalus.errors import ConfigError
from daedalus.kernel.fidelity import relationship_centrality
from daedalus.kernel.roster import StoredProfile, build_roster, load_archetypes, load_profile
from daedalus.kernel.roster import planned_importance as _planned_importance
from daedalus.kernel.strategy import (
    BudgetMode,
    FidelityPlan,
    FidelityTemplate,
    degrade,
    plan_fidelity,
)
from daedalus.state import SimState

__all__ = [
    "GENERATE_ENTITIES",
    "LOAD_ROSTER",
    "PLAN_STRATEGY",
    "POPULATE_TENSORS",
    "PROFILE_DIR",
    "add_scene_setup",
    "build_scene_graph",
    "degrade_for_budget",
    "generate_entities",
    "load_roster",
    "plan_strategy",
    "populate_tensors",
]

LOAD_ROSTER = "load_roster"
PLAN_STRATEGY = "plan_strategy"
PROFILE_DIR = "profile_dir"
"""``RunContext.extras`` key of a directory with entity profiles (and archetypes) of your own."""

S = TypeVar("S", bound=SimState)


def _profile_dir(runtime: Runtime[RunContext]) -> Path | None:
    value = runtime.context.extras.get(PROFILE_DIR)
    if value is None:
        return None
    if not isinstance(value, str | Path):
        raise ConfigError(f"context extras {PROFILE_DIR!r} must be a path, got {value!r}")
    return Path(value)


def load_roster(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the scenario's cast, prior knowledge, relationships, minds, bodies and scene.

    Profiles named by ``profile:`` load from ``profiles/entities`` or the directory in
    ``runtime.context.extras["profile_dir"]`` (M1). See ``daedalus.kernel.roster.build_roster``.
    """
    scenario = state["scenario"]
    directory = _profile_dir(runtime)
    names = sorted({spec.profile for spec in scenario.entities if spec.profile is not None})
    profiles: dict[str, StoredProfile] = {}
    if names:
        archetypes = load_archetypes(directory)
        profiles = {
            name: load_profile(name, directory=directory, archetypes=archetypes) for name in names
        }
    return build_roster(scenario, profiles).state_update()


def degrade_for_budget(plan: FidelityPlan, pressure: float) -> FidelityPlan:
    """The plan cut to the share of the dollar budget still unspent (M1 + M17, soft budgets).

    With ``pressure`` = spent / limit, the target is ``estimated_tokens * max(0, 1 - pressure)``
    tokens, reached by ``strategy.degrade`` (least important cells first, down to TENSOR_ONLY).
    """
    target = round(plan.estimated_tokens * max(0.0, 1.0 - pressure))
    return degrade(plan, target)


def plan_strategy(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node (M1 + M17): centrality into each entity's metadata, then the fidelity plan.

    Centrality comes from the relationship graph; the plan covers the scenario's planned
    slots (``slot-000``...; importance from ``daedalus.kernel.roster.planned_importance``) with the
    scenario's template, budget mode and token budget. When the router's budget guard is soft
    and under pressure (``should_degrade``), the plan is degraded with ``degrade_for_budget``.
    """
    scenario = state["scenario"]
    entities = state.get("entities", {})
    centrality = relationship_centrality(entities, state.get("relationships", {}).values())
    updated = {
        key: entity.model_copy(
            update={
                "metadata": entity.metadata.model_copy(
                    update={"eigenvector_centrality": centrality[key]}
                )
            }
        )
        for key, entity in entities.items()
    }
    fidelity = scenario.fidelity
    plan = plan_fidelity(
        scenario.mode,
        FidelityTemplate(fidelity.template),
        _planned_importance(scenario),
        centrality,
        BudgetMode(fidelity.budget_mode),
        fidelity.token_budget,
    )
    guard = runtime.context.router.budget
    if guard.should_degrade:
        plan = degrade_for_budget(plan, guard.pressure)
    cells = sum(len(row) for row in plan.cells.levels.values())
    return {"entities": updated, "plan": plan, "mechanisms": {"M1": cells, "M17": 1}}


def add_scene_setup(
    graph: StateGraph[S, RunContext, Any, Any], *, after: str = START
) -> str:
    """Add the four setup nodes in order after ``after`` and return the last node's name."""
    graph.add_node(LOAD_ROSTER, load_roster)
    graph.add_node(GENERATE_ENTITIES, generate_entities)
    graph.add_node(POPULATE_TENSORS, populate_tensors)
    graph.add_node(PLAN_STRATEGY, plan_strategy)
    graph.add_edge(after, LOAD_ROSTER)
    graph.add_edge(LOAD_ROSTER, GENERATE_ENTITIES)
    graph.add_edge(GENERATE_ENTITIES, POPULATE_TENSORS)
    graph.add_edge(POPULATE_TENSORS, PLAN_STRATEGY)
    return PLAN_STRATEGY


def build_scene_graph() -> StateGraph[SimState, RunContext, SimState, SimState]:
    """An uncompiled graph with only the scene setup (START -> four nodes -> END)."""
    graph = StateGraph(SimState, context_schema=RunContext)
    graph.add_edge(add_scene_setup(graph), END)
    return graph

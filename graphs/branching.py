"""BRANCHING (M12): counterfactual timelines that fork from a moment of a forward line.

The main line runs like PEARL. At its end ``plan_branches`` decides where and how to branch:
the scenario's ``branching.branch_points`` (interventions, in order) at ``branching.fork_step``,
or else the decision points the event writer noticed (one option per branch) at the most
important such moment. Each planned branch is then run by ``fork_branch`` on its own checkpoint
thread, seeded from the parent's checkpoint right after the fork moment: the shared prefix is
not simulated again (no model call), the intervention becomes the branch's first moment, and
the forward loop propagates its effects. The parent thread is never written to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import StateSnapshot
from pydantic import BaseModel, ConfigDict, Field

from daedalus.context import RunContext
from daedalus.errors import RunError
from daedalus.graphs._forward import ForwardState, build_forward_graph, consistency_delta
from daedalus.kernel.narrative import MAIN_BRANCH, DecisionPoint, forward_line
from daedalus.kernel.temporal import check_pearl
from daedalus.scenario import Scenario

__all__ = [
    "PLAN_NODE",
    "BranchSpec",
    "BranchingState",
    "build_branching_graph",
    "fork_branch",
    "plan_branches",
]

PLAN_NODE = "plan_branches"


class BranchSpec(BaseModel):
    """A counterfactual to run: its id, the moment it forks after, and what changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    fork_timepoint: str
    intervention: str = Field(min_length=1)


class BranchingState(ForwardState, total=False):
    """A BRANCHING run: the forward state plus the branches planned at the end of the line."""

    branch_plan: list[BranchSpec]


def _fork_index(state: Mapping[str, Any], line_ids: list[str]) -> int:
    scenario: Scenario = state["scenario"]
    section = scenario.branching
    last = len(line_ids) - 2  # a branch needs at least one moment after its fork
    if section is not None and section.fork_step is not None:
        return max(0, min(section.fork_step, last))
    decisions: Mapping[str, DecisionPoint] = state.get("decision_points", {})
    timepoints = {tp.id: tp for tp in state.get("timepoints", [])}
    candidates = [i for i, tp_id in enumerate(line_ids[: last + 1]) if tp_id in decisions]
    if candidates:
        return int(max(candidates, key=lambda i: (timepoints[line_ids[i]].importance, -i)))
    return max(0, last // 2)


def branch_specs(state: Mapping[str, Any]) -> list[BranchSpec]:
    """The branches to run after the main line (pure; see the module docstring)."""
    scenario = state["scenario"]
    section = scenario.branching
    timepoints = forward_line(state.get("timepoints", []))
    line = [tp.id for tp in timepoints if tp.branch_id == MAIN_BRANCH]
    if len(line) < 2:
        return []
    fork = _fork_index(state, line)
    wanted = section.branches if section is not None else 1
    interventions = list(section.branch_points) if section is not None else []
    decision = state.get("decision_points", {}).get(line[fork])
    if decision is not None:
        interventions.extend(f"{decision.question} — {option}" for option in decision.options)
    return [
        BranchSpec(id=f"b{number + 1}", fork_timepoint=line[fork], intervention=text)
        for number, text in enumerate(interventions[:wanted])
    ]


def plan_branches(state: BranchingState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: judge the main line (``check_pearl``) and plan the counterfactual branches."""
    delta = consistency_delta(check_pearl(state.get("timepoints", [])))
    delta["branch_plan"] = branch_specs(state)
    return delta


def build_branching_graph() -> StateGraph[
    BranchingState, RunContext, BranchingState, BranchingState
]:
    """The uncompiled BRANCHING graph: the forward loop, ending in ``plan_branches``."""
    return build_forward_graph(BranchingState, finish=(PLAN_NODE, plan_branches))


async def fork_branch(
    app: CompiledStateGraph[Any, RunContext, Any, Any],
    parent: RunnableConfig,
    spec: BranchSpec,
    *,
    context: RunContext,
    recursion_limit: int,
    progress: Callable[[Mapping[str, Any]], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``spec`` on its own thread, seeded from ``parent``'s checkpoint after the fork.

    Returns (the state the branch was seeded with, the branch's final state). Works for any
    compiled forward graph (PEARL, DIRECTORIAL, NONLINEAR, CYCLICAL, BRANCHING) with a
    checkpointer. ``progress`` receives the branch's custom stream events (``{"event":
    "timepoint", ...}``) as they happen. Calling it again for the same spec is safe: a branch
    thread cut short by a crash continues from its last checkpoint, a finished one is returned
    as it is. Raises
    ``RunError`` when the parent never finished the fork moment, or when the branch's thread
    already holds another fork or intervention.
    """
    current = await app.aget_state(parent)
    line = [
        tp.id
        for tp in forward_line(current.values.get("timepoints", []))
        if tp.branch_id == MAIN_BRANCH
    ]
    if spec.fork_timepoint not in line[:-1]:
        raise RunError(
            f"cannot branch at {spec.fork_timepoint!r}: pick a moment of the main line before "
            f"its last ({', '.join(line[:-1]) or 'the run has too few moments'})"
        )
    seed = as_node = None
    # History runs newest first: the latest checkpoint still on the fork moment is the one
    # written after its timestep finished, just before the next moment is written; the one
    # after it in history is its predecessor, whose pending task is the node that wrote it.
    async for snapshot in app.aget_state_history(parent):
        if seed is not None:
            as_node = _writer_of(seed, snapshot)
            break
        if snapshot.values.get("cursor") == spec.fork_timepoint:
            seed = snapshot
    if seed is None or as_node is None:
        raise RunError(
            f"cannot branch at {spec.fork_timepoint!r}: the run has no checkpoint after that "
            "moment finished (pick a moment of the main line before its last)"
        )
    thread = f"{parent['configurable']['thread_id']}:{spec.id}"
    config: RunnableConfig = {
        "configurable": {"thread_id": thread},
        "recursion_limit": recursion_limit,
    }
    seeded = {**seed.values, "branch_id": spec.id, "intervention": spec.intervention}
    existing = await app.aget_state(config)
    if existing.values:
        _require_same_branch(dict(existing.values), seeded, spec)
        # Finished before: nothing to run again. A step cut short can leave no ``next`` while
        # its task (with writes saved) is still pending, so pending tasks mean "not finished".
        if not existing.next and not existing.tasks:
            return dict(seeded), dict(existing.values)
        # Cut short by a crash: continue the thread; re-seeding it would redo paid moments.
        return dict(seeded), await _drive(app, config, context, progress)
    await app.aupdate_state(config, seeded, as_node=as_node)
    return dict(seeded), await _drive(app, config, context, progress)


async def _drive(
    app: CompiledStateGraph[Any, RunContext, Any, Any],
    config: RunnableConfig,
    context: RunContext,
    progress: Callable[[Mapping[str, Any]], None] | None,
) -> dict[str, Any]:
    """Run a thread from its last checkpoint to its end; returns its final state."""
    async for kind, chunk in app.astream(
        None, config, context=context, stream_mode=["custom", "values"]
    ):
        if kind == "custom" and progress is not None:
            progress(cast(Mapping[str, Any], chunk))
    return dict((await app.aget_state(config)).values)


def _writer_of(seed: StateSnapshot, predecessor: StateSnapshot) -> str | None:
    """The node whose step wrote ``seed``, so the branch continues where the parent did.

    Without it a seeded thread would start again at the graph's entry and rerun the scene
    setup over the parent's evolved state.
    """
    metadata: Mapping[str, Any] = seed.metadata or {}
    writes: Mapping[str, Any] = metadata.get("writes") or {}
    if len(writes) == 1:
        return next(iter(writes))
    return predecessor.next[0] if len(predecessor.next) == 1 else None


def _main_ids(values: Mapping[str, Any]) -> list[str]:
    return [tp.id for tp in values.get("timepoints", []) if tp.branch_id == MAIN_BRANCH]


def _require_same_branch(
    existing: Mapping[str, Any], seeded: Mapping[str, Any], spec: BranchSpec
) -> None:
    """A thread named for ``spec`` must hold that very branch: same prefix, same change."""
    same_prefix = _main_ids(existing) == _main_ids(seeded)
    if not same_prefix or existing.get("intervention") != spec.intervention:
        raise RunError(
            f"branch {spec.id!r} of this run already forks elsewhere or with another "
            "intervention; pick another branch id"
        )

"""One graph per temporal mode (M17): ``build_graph(mode)`` and the recursion limit it needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.graph import StateGraph

from daedalus.context import RunContext
from daedalus.domain import TemporalMode
from daedalus.errors import ConfigError
from daedalus.graphs._forward import forward_recursion_limit
from daedalus.graphs.branching import build_branching_graph
from daedalus.graphs.cyclical import build_cyclical_graph
from daedalus.graphs.directorial import build_directorial_graph
from daedalus.graphs.nonlinear import build_nonlinear_graph
from daedalus.graphs.pearl import build_pearl_graph
from daedalus.graphs.portal import build_portal_graph, portal_recursion_limit
from daedalus.kernel.narrative import whole_cycles
from daedalus.scenario import Scenario

__all__ = ["BUILDERS", "build_graph", "recursion_limit_for"]

BUILDERS: dict[TemporalMode, Callable[[], StateGraph[Any, RunContext, Any, Any]]] = {
    TemporalMode.PEARL: build_pearl_graph,
    TemporalMode.PORTAL: build_portal_graph,
    TemporalMode.BRANCHING: build_branching_graph,
    TemporalMode.CYCLICAL: build_cyclical_graph,
    TemporalMode.DIRECTORIAL: build_directorial_graph,
    TemporalMode.NONLINEAR: build_nonlinear_graph,
}


def build_graph(mode: TemporalMode | str) -> StateGraph[Any, RunContext, Any, Any]:
    """The uncompiled graph of a temporal mode (``"pearl"``, ``"portal"``, ...).

    Compile it with a checkpointer of your choice and run it with ``ainvoke({"scenario":
    scenario}, context=RunContext(router=...), config={"recursion_limit": ...})``.
    """
    try:
        key = TemporalMode(mode)
    except ValueError:
        modes = ", ".join(m.value for m in TemporalMode)
        raise ConfigError(f"unknown temporal mode {mode!r}; expected one of {modes}") from None
    return BUILDERS[key]()


def recursion_limit_for(scenario: Scenario) -> int:
    """A recursion limit that fits a run of ``scenario`` in its mode's worst case."""
    if scenario.mode is TemporalMode.PORTAL:
        return portal_recursion_limit(scenario)
    steps = scenario.timeline.steps
    if scenario.mode is TemporalMode.CYCLICAL and scenario.cyclical is not None:
        steps = whole_cycles(steps, scenario.cyclical.cycle_length)
    return forward_recursion_limit(steps)

"""NONLINEAR (M17): simulated in causal order, told in another.

The forward loop (``graphs._forward``) simulates the line exactly as PEARL does, so knowledge
still flows only downstream (M7). At the end ``present`` orders the moments for telling with
``narrative.presentation_order`` (``nonlinear.presentation``: reverse, in_medias_res,
interleaved or shuffled, the last seeded by ``runtime.context.seed``), each moment followed by
its details (M8), stores it under ``presentation`` and checks it with
``daedalus.kernel.temporal.check_nonlinear``, which validates causality on causal order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.graphs._forward import ForwardState, build_forward_graph, consistency_delta
from daedalus.kernel.narrative import forward_line, presentation_order, with_details
from daedalus.kernel.temporal import check_nonlinear
from daedalus.scenario import NonlinearSection

__all__ = ["PRESENT_NODE", "NonlinearState", "build_nonlinear_graph", "present"]

PRESENT_NODE = "present"


class NonlinearState(ForwardState, total=False):
    """NONLINEAR state: ``presentation``, every timepoint id in the order it is told."""

    presentation: list[str]


def present(state: NonlinearState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the presentation order (differs from causal order once there are two moments)
    and its ``check_nonlinear`` report."""
    timepoints = state.get("timepoints", [])
    line = forward_line(timepoints)
    kind = (state["scenario"].nonlinear or NonlinearSection()).presentation
    order = presentation_order(
        [tp.id for tp in line],
        kind,
        importance={tp.id: tp.importance for tp in line},
        rng=np.random.default_rng(runtime.context.seed),
    )
    told = with_details(order, timepoints)
    return {"presentation": list(told), **consistency_delta(check_nonlinear(timepoints, told))}


def build_nonlinear_graph() -> StateGraph[
    NonlinearState, RunContext, NonlinearState, NonlinearState
]:
    """The uncompiled NONLINEAR graph (state ``NonlinearState``, context ``RunContext``)."""
    return build_forward_graph(NonlinearState, finish=(PRESENT_NODE, present))

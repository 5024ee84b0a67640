"""PEARL (M7, M17): a forward causal chain where every cause precedes its effects.

Each moment is written by the event writer from the story so far, chained to the previous one,
witnessed by the entities present, talked through, validated and trained (the shared forward
loop, ``graphs._forward``); at the end ``daedalus.kernel.temporal.check_pearl`` judges the timeline
and its report is stored under ``consistency``.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph
from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.graphs._forward import ForwardState, build_forward_graph, consistency_delta
from daedalus.kernel.temporal import check_pearl

__all__ = ["CHECK_NODE", "PearlState", "build_pearl_graph", "check_pearl_node"]

CHECK_NODE = "check_pearl"


class PearlState(ForwardState, total=False):
    """State of a PEARL run: the forward state, nothing more."""


def check_pearl_node(state: PearlState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: ``check_pearl`` over every timepoint (details included) into ``consistency``."""
    return consistency_delta(check_pearl(state.get("timepoints", [])))


def build_pearl_graph() -> StateGraph[PearlState, RunContext, PearlState, PearlState]:
    """The uncompiled PEARL graph (state ``PearlState``, context ``RunContext``)."""
    return build_forward_graph(PearlState, finish=(CHECK_NODE, check_pearl_node))

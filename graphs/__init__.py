"""Graph builders: the dialog subgraph, shared pieces and one graph per temporal mode.

Builders return uncompiled ``StateGraph`` objects so users can add nodes, compose pipelines
and compile with the checkpointer of their choice.
"""

from daedalus.graphs.dialog import (
    build_dialog_graph,
    dialog_step,
    prepare_dialog,
    run_dialog,
    select_participants,
)

__all__ = [
    "build_dialog_graph",
    "dialog_step",
    "prepare_dialog",
    "run_dialog",
    "select_participants",
]

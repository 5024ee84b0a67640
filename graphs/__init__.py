"""Graph builders: the dialog subgraph, shared pieces and one graph per temporal mode.
May import agents, llm, context and below; never store, exports, runs or cli.

Builders return uncompiled ``StateGraph`` objects so users can add nodes, compose pipelines
and compile with the checkpointer of their choice. ``build_graph(mode)`` picks a mode's graph;
``add_scene_setup`` and ``add_timestep`` are the pieces every mode is made of.
"""

from daedalus.graphs.branching import BranchSpec, build_branching_graph, fork_branch
from daedalus.graphs.cyclical import build_cyclical_graph
from daedalus.graphs.dialog import (
    build_dialog_graph,
    dialog_step,
    prepare_dialog,
    run_dialog,
    select_participants,
)
from daedalus.graphs.directorial import build_directorial_graph
from daedalus.graphs.modes import build_graph, recursion_limit_for
from daedalus.graphs.nonlinear import build_nonlinear_graph
from daedalus.graphs.pearl import build_pearl_graph
from daedalus.graphs.portal import build_portal_graph
from daedalus.graphs.query import QueryAnswer, answer_query
from daedalus.graphs.scene import add_scene_setup, build_scene_graph
from daedalus.graphs.timestep import add_timestep, build_timestep_graph

__all__ = [
    "BranchSpec",
    "QueryAnswer",
    "add_scene_setup",
    "add_timestep",
    "answer_query",
    "build_branching_graph",
    "build_cyclical_graph",
    "build_dialog_graph",
    "build_directorial_graph",
    "build_graph",
    "build_nonlinear_graph",
    "build_pearl_graph",
    "build_portal_graph",
    "build_scene_graph",
    "build_timestep_graph",
    "dialog_step",
    "fork_branch",
    "prepare_dialog",
    "recursion_limit_for",
    "run_dialog",
    "select_participants",
]

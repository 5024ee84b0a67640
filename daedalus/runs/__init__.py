"""Runs: run a scenario, resume it, branch it, estimate it, compare runs, serve the mode graphs.
May import graphs, agents, exports, store, llm and everything below; only cli sits above.
"""

from daedalus.runs._api import branch, resume, run
from daedalus.runs._compare import Convergence, compare
from daedalus.runs._estimate import Estimate, estimate
from daedalus.runs._router import OFFLINE_NOTICE
from daedalus.runs._run import Run

__all__ = [
    "OFFLINE_NOTICE",
    "Convergence",
    "Estimate",
    "Run",
    "branch",
    "compare",
    "estimate",
    "resume",
    "run",
]

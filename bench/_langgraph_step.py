"""LangGraph's own cost per superstep, the yardstick for the framework time per model call.

A trivial graph (one node that adds one to a counter and loops back until a limit) runs
through ``astream`` with LangGraph's async SQLite checkpointer, as a Daedalus run does: what
each superstep costs is LangGraph's loop, its task preparation, the checkpoint serialisation
and the SQLite write, with no work of ours inside.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from bench._runs import fresh_store

__all__ = ["langgraph_step_ms"]


class _Counter(TypedDict):
    count: int


def _add_one(state: _Counter) -> dict[str, Any]:
    return {"count": state["count"] + 1}


async def _steps(path: str, steps: int) -> float:
    graph = StateGraph(_Counter)
    graph.add_node("add_one", _add_one)
    graph.add_edge(START, "add_one")
    graph.add_conditional_edges(
        "add_one", lambda s: END if s["count"] >= steps else "add_one", ["add_one", END]
    )
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        app = graph.compile(checkpointer=saver)
        config: Any = {"configurable": {"thread_id": "t"}, "recursion_limit": steps + 10}
        started = time.perf_counter()
        async for _ in app.astream({"count": 0}, config, stream_mode="values"):
            pass
        return time.perf_counter() - started


def langgraph_step_ms(steps: int = 300) -> float:
    """Milliseconds per superstep of the trivial graph (wall time / supersteps)."""
    store = fresh_store("langgraph")
    try:
        seconds = asyncio.run(_steps(str(store / "checkpoints.sqlite"), steps))
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return 1000.0 * seconds / steps

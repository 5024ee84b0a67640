"""``arun`` and ``aresume``: ``run`` and ``resume`` for callers that already run an event loop.

A batch runs many simulations on one loop (model calls are I/O-bound), so it awaits each run's
graph instead of starting a loop per run. The store writes around the graph (registering the
run, the lease, the record) stay synchronous: they are short transactions.
"""

from __future__ import annotations

from collections.abc import Callable

from daedalus.llm.router import Router
from daedalus.runs._api import (
    PathLike,
    Sharing,
    StoreArg,
    _start,
    execute_started,
    finish,
    leased,
    opened_store,
    resume_execution,
)
from daedalus.runs._execute import ProgressSink
from daedalus.runs._run import Run
from daedalus.scenario import Scenario

__all__ = ["aresume", "arun"]


async def arun(
    scenario: Scenario | PathLike,
    *,
    model: str | None = None,
    seed: int = 0,
    store: StoreArg = None,
    budget: float | None = None,
    budget_mode: str | None = None,
    concurrency: int = 8,
    base_url: str | None = None,
    offline_latency: float = 0.0,
    progress: ProgressSink | None = None,
    run_id: str | None = None,
    on_notice: Callable[[str], None] | None = None,
    router: Router | None = None,
    request_timeout: float | None = None,
    sharing: Sharing | None = None,
) -> Run:
    """``daedalus.run`` awaited on the caller's loop (same options, no exports)."""
    with opened_store(store) as opened:
        started = _start(
            scenario, model=model, seed=seed, store=opened, budget=budget,
            budget_mode=budget_mode, concurrency=concurrency, base_url=base_url,
            offline_latency=offline_latency, run_id=run_id, on_notice=on_notice, router=router,
            request_timeout=request_timeout, sharing=sharing,
        )
        return await execute_started(started, progress)


async def aresume(
    run_id: str,
    *,
    store: StoreArg = None,
    progress: ProgressSink | None = None,
    offline_latency: float = 0.0,
    concurrency: int = 8,
    budget: float | None = None,
    on_notice: Callable[[str], None] | None = None,
    router: Router | None = None,
    request_timeout: float | None = None,
    sharing: Sharing | None = None,
) -> Run:
    """``daedalus.resume`` awaited on the caller's loop; a completed run is returned as is."""
    with opened_store(store) as opened, leased(opened, run_id) as lease:
        record = opened.runs.load_record(run_id)
        if record.run.status == "completed":
            return Run(record, opened)
        execution = resume_execution(
            opened, record, lease, progress=progress, offline_latency=offline_latency,
            concurrency=concurrency, budget=budget, on_notice=on_notice, router=router,
            request_timeout=request_timeout, sharing=sharing,
        )
        return await finish(execution, opened, None)

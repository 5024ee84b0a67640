"""``arun`` and ``aresume``: ``run`` and ``resume`` for callers that already run an event loop.

A batch runs many simulations on one loop (model calls are I/O-bound), so it awaits each run's
graph instead of starting a loop per run. The store writes around the graph (registering the
run, the lease, the record) stay synchronous: they are short SQLite transactions.
"""

from __future__ import annotations

from collections.abc import Callable

from daedalus.llm.router import Router
from daedalus.runs._api import PathLike, Sharing, _start, resume_execution
from daedalus.runs._execute import Execution, ProgressSink
from daedalus.runs._lease import hold_lease
from daedalus.runs._run import Run
from daedalus.scenario import Scenario
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store._health import check_store

__all__ = ["aresume", "arun"]


async def arun(
    scenario: Scenario | PathLike,
    *,
    model: str | None = None,
    seed: int = 0,
    store: PathLike | None = None,
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
    started = _start(
        scenario, model=model, seed=seed, store=store, budget=budget, budget_mode=budget_mode,
        concurrency=concurrency, base_url=base_url, offline_latency=offline_latency,
        run_id=run_id, on_notice=on_notice, router=router, request_timeout=request_timeout,
        sharing=sharing,
    )
    with hold_lease(started.layout, started.meta.id) as lease:
        execution = Execution(
            started.scenario, started.meta, started.layout, started.router, seed, progress, lease
        )
        values = await execution.drive({"scenario": started.scenario})
        return Run(execution.save(values, status="completed"), started.layout)


async def aresume(
    run_id: str,
    *,
    store: PathLike | None = None,
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
    layout = check_store(StoreLayout.at(store))
    with SqliteRunStore(layout.runs_db) as runs:
        runs.load_record(run_id)  # an unknown id fails before any lease is asked for
    with hold_lease(layout, run_id) as lease:
        with SqliteRunStore(layout.runs_db) as runs:
            record = runs.load_record(run_id)
        if record.run.status == "completed":
            return Run(record, layout)
        execution = resume_execution(
            layout, record, lease, progress=progress, offline_latency=offline_latency,
            concurrency=concurrency, budget=budget, on_notice=on_notice, router=router,
            request_timeout=request_timeout, sharing=sharing,
        )
        values = await execution.drive(None)
        return Run(execution.save(values, status="completed"), layout)

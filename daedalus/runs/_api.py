"""``run``, ``resume`` and ``branch``: the Python API of runs (DESIGN.md section 9)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import ValidationError

from daedalus.domain import TemporalMode
from daedalus.errors import ConfigError, RunError
from daedalus.exports import EXPORT_FORMATS
from daedalus.graphs.branching import BranchSpec
from daedalus.llm._money import sum_dollars
from daedalus.llm.ledger import Ledger
from daedalus.llm.router import Router
from daedalus.runs._execute import (
    Execution,
    ProgressSink,
    merge_branch,
    now,
    record_state,
    run_coroutine,
)
from daedalus.runs._lease import HeldLease, hold_lease, lease_ttl
from daedalus.runs._router import GuardFactory, build_router
from daedalus.runs._run import Run
from daedalus.scenario import Scenario
from daedalus.store import Store, open_store
from daedalus.store.lease import new_owner
from daedalus.store.record import RunMeta, RunRecord
from daedalus.templates import load_template

__all__ = [
    "Sharing", "branch", "leased", "new_run_id", "opened_store", "resume", "resume_execution",
    "run",
]

PathLike = str | os.PathLike[str]
StoreArg = PathLike | Store | None
"""A store: a directory, ``sqlite:///DIR``, ``postgresql://...``, or one already opened."""


@contextmanager
def opened_store(store: StoreArg) -> Iterator[Store]:
    """``store`` opened for the block (closed after it), or as given when already open."""
    if isinstance(store, Store):
        yield store
        return
    with open_store(store) as opened:
        yield opened


def new_run_id() -> str:
    """``run_<utc timestamp>_<8 hex>``: sortable by start, unique across machines."""
    return f"run_{now():%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:8]}"


def _scenario(scenario: Scenario | PathLike) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_template(scenario)


def _router_for(
    store: Store,
    run_id: str,
    *,
    model: str | None,
    base_url: str | None,
    seed: int,
    budget: float | None,
    budget_mode: str,
    concurrency: int,
    offline_latency: float,
    spent_usd: float = 0.0,
    request_timeout: float | None = None,
    sharing: Sharing | None = None,
) -> tuple[Router, str, str | None]:
    log = store.call_log(run_id)
    choice = build_router(
        model=model,
        base_url=base_url,
        seed=seed,
        budget_usd=budget,
        budget_mode=budget_mode,
        concurrency=concurrency,
        offline_latency=offline_latency,
        cache=store.cache(),
        ledger=Ledger(on_record=log.append, on_settle=log.settle),
        spent_usd=spent_usd,
        request_timeout=request_timeout,
        guard=sharing.guard if sharing is not None else None,
        call_slots=sharing.call_slots if sharing is not None else None,
    )
    return choice.router, choice.label, choice.notice


@dataclass(frozen=True)
class Sharing:
    """What a run shares with the other runs of a batch: a budget guard factory (a cap over
    all of them, checked before each call) and a limit on calls in flight on one event loop."""

    guard: GuardFactory | None = None
    call_slots: asyncio.Semaphore | None = None


@dataclass(frozen=True)
class _Started:
    store: Store
    meta: RunMeta
    scenario: Scenario
    router: Router
    owner: str


def run(
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
    out: PathLike | None = None,
    formats: Sequence[str] = EXPORT_FORMATS,
    progress: ProgressSink | None = None,
    run_id: str | None = None,
    on_notice: Callable[[str], None] | None = None,
    router: Router | None = None,
    request_timeout: float | None = None,
    sharing: Sharing | None = None,
) -> Run:
    """Run a scenario (a ``Scenario``, a shipped template id or a YAML path) and store it.

    With no key and no ``model`` the offline model runs (no network); ``model`` pins one model
    first in every fallback chain; ``base_url`` points at any OpenAI-compatible server;
    ``router`` hands in a router of your own (``Router.for_chat_model(any LangChain chat
    model)``, or one with your own HTTP clients) and overrides the model options. The run is
    checkpointed in the store (``store``: a directory or a ``postgresql://`` URL, else
    ``$DAEDALUS_HOME``, else ``./daedalus_runs``; see ``open_store``) and resumable with
    ``resume(run.id)`` after any failure. ``out`` writes the exports. ``request_timeout``
    bounds each request to a real model in seconds (default 120).
    ``sharing`` ties the run to the other runs of a batch (see ``daedalus.batch``).
    """
    with opened_store(store) as opened:
        started = _start(
            scenario, model=model, seed=seed, store=opened, budget=budget,
            budget_mode=budget_mode, concurrency=concurrency, base_url=base_url,
            offline_latency=offline_latency, run_id=run_id, on_notice=on_notice, router=router,
            request_timeout=request_timeout, sharing=sharing,
        )
        finished = run_coroutine(execute_started(started, progress))
    if out is not None:
        finished.export(out, formats)
    return finished


async def execute_started(started: _Started, progress: ProgressSink | None) -> Run:
    """Lease a run registered by ``_start``, drive its graph from the start and save it."""
    with hold_lease(started.store, started.meta.id, owner=started.owner) as lease:
        execution = Execution(
            started.scenario, started.meta, started.store, started.router, started.meta.seed,
            progress, lease,
        )
        return await finish(execution, started.store, {"scenario": started.scenario})


async def finish(execution: Execution, store: Store, graph_input: dict[str, Any] | None) -> Run:
    """Drive an execution to its end (``None`` continues from its checkpoint) and save it."""
    values = await execution.drive(graph_input)
    return Run(execution.save(values, status="completed"), store)


def _start(
    scenario: Scenario | PathLike,
    *,
    model: str | None,
    seed: int,
    store: Store,
    budget: float | None,
    budget_mode: str | None,
    concurrency: int,
    base_url: str | None,
    offline_latency: float,
    run_id: str | None,
    on_notice: Callable[[str], None] | None,
    router: Router | None,
    request_timeout: float | None,
    sharing: Sharing | None,
) -> _Started:
    """Register a new run in the store, leased to this process from the first moment (so a
    process killed before it starts shows the run ``interrupted``), and build its router."""
    scenario = _scenario(scenario)
    run_id = run_id or new_run_id()
    mode = budget_mode or scenario.fidelity.budget_mode
    if router is not None:
        log = store.call_log(run_id)
        router.ledger.listen(log.append, log.settle)
        label, notice = ("offline" if router.is_offline else "custom"), None
    else:
        router, label, notice = _router_for(
            store, run_id, model=model, base_url=base_url, seed=seed, budget=budget,
            budget_mode=mode, concurrency=concurrency, offline_latency=offline_latency,
            request_timeout=request_timeout, sharing=sharing,
        )
    if notice and on_notice is not None:
        on_notice(notice)
    meta = RunMeta(
        id=run_id,
        template=scenario.id,
        mode=scenario.mode,
        seed=seed,
        model=label,
        offline=router.is_offline,
        started_at=now(),
        paths=store.run_paths(run_id),
        base_url=base_url,
        budget_usd=budget,
        budget_mode=mode,
        request_timeout_s=request_timeout,
    )
    runs, owner = store.runs, new_owner()
    runs.create_run(meta, owner=owner, ttl_s=lease_ttl())
    try:
        runs.save_record(runs.load_record(run_id).model_copy(update={"scenario": scenario}))
    except BaseException:
        runs.release_lease(run_id, owner)
        raise
    return _Started(store, meta, scenario, router, owner)


def resume(
    run_id: str,
    *,
    store: StoreArg = None,
    progress: ProgressSink | None = None,
    offline_latency: float = 0.0,
    concurrency: int = 8,
    budget: float | None = None,
    on_notice: Callable[[str], None] | None = None,
    router: Router | None = None,
    wait: bool = False,
    request_timeout: float | None = None,
    sharing: Sharing | None = None,
) -> Run:
    """Continue a run from its last checkpoint; completed model calls are not repeated (their
    answers come from the response cache, at no cost). A completed run is returned as is.
    A run made with a router of your own needs it again (``router=``). A run another process
    is working on raises ``RunBusyError``, or with ``wait=True`` is waited for."""
    with opened_store(store) as opened, leased(opened, run_id, wait, on_notice) as lease:
        record = opened.runs.load_record(run_id)  # as the previous owner left it
        if record.run.status == "completed":
            return Run(record, opened)
        execution = resume_execution(
            opened, record, lease, progress=progress, offline_latency=offline_latency,
            concurrency=concurrency, budget=budget, on_notice=on_notice, router=router,
            request_timeout=request_timeout, sharing=sharing,
        )
        return run_coroutine(finish(execution, opened, None))


@contextmanager
def leased(
    store: Store, run_id: str, wait: bool = False, on_notice: Callable[[str], None] | None = None
) -> Iterator[HeldLease]:
    """The run's lease held for the block; an unknown id fails before it is asked for."""
    store.runs.load_record(run_id)
    with hold_lease(store, run_id, wait=wait, on_wait=on_notice) as lease:
        yield lease


def resume_execution(
    store: Store,
    record: RunRecord,
    lease: HeldLease,
    *,
    progress: ProgressSink | None,
    offline_latency: float,
    concurrency: int,
    budget: float | None,
    on_notice: Callable[[str], None] | None,
    router: Router | None,
    request_timeout: float | None = None,
    sharing: Sharing | None = None,
) -> Execution:
    """The execution that continues a stored, unfinished run whose lease is held (its status
    saved as running, and a new cap kept); drive it with ``execution.drive(None)``."""
    run_id = record.run.id
    if record.scenario is None:
        raise RunError(f"run {run_id!r} has no stored scenario and cannot be resumed")
    changes: dict[str, object] = {"status": "running"}
    if budget is not None and router is None:
        spent = sum_dollars(row.cost_usd for row in store.call_log(run_id).read())
        if on_notice is not None:
            on_notice(_budget_notice(record.run, budget, spent))
        changes["budget_usd"] = budget
    if request_timeout is not None:
        changes["request_timeout_s"] = request_timeout
    meta = record.run.model_copy(update=changes)
    router, notice = _router_again(
        store, record.model_copy(update={"run": meta}), router=router, budget=budget,
        concurrency=concurrency, offline_latency=offline_latency, doing="resume",
        sharing=sharing,
    )
    if notice and on_notice is not None:
        on_notice(notice)
    execution = Execution(record.scenario, meta, store, router, meta.seed, progress, lease)
    # the status, and a new cap, kept at once
    store.runs.save_record(record.model_copy(update={"run": meta}))
    return execution


def _router_again(
    store: Store,
    record: RunRecord,
    *,
    router: Router | None,
    budget: float | None,
    concurrency: int,
    offline_latency: float,
    doing: str,
    sharing: Sharing | None = None,
) -> tuple[Router, str | None]:
    """The router a stored run continues with: the one handed in, else one rebuilt from the
    run's own options (model, server, budget). The rebuilt budget counts every dollar the run's
    ledger holds (all earlier processes and branches); ``budget`` replaces the run's cap."""
    meta = record.run
    if router is not None:
        log = store.call_log(meta.id)
        router.ledger.listen(log.append, log.settle)
        return router, None
    if meta.model == "custom":
        raise RunError(f"run {meta.id!r} used a router of its own; pass router= to {doing} it")
    scenario = record.scenario
    fallback_mode = scenario.fidelity.budget_mode if scenario is not None else "soft"
    spent = sum_dollars(row.cost_usd for row in store.call_log(meta.id).read())
    rebuilt, _, notice = _router_for(
        store, meta.id, model=meta.model if meta.model != "auto" else None,
        base_url=meta.base_url, seed=meta.seed,
        budget=budget if budget is not None else meta.budget_usd,
        budget_mode=meta.budget_mode or fallback_mode, concurrency=concurrency,
        offline_latency=offline_latency, spent_usd=spent, request_timeout=meta.request_timeout_s,
        sharing=sharing,
    )
    return rebuilt, notice


def _budget_notice(meta: RunMeta, budget: float, spent: float) -> str:
    """What a user is told when ``resume --budget`` changes a run's cap."""
    before = "no cap" if meta.budget_usd is None else f"${meta.budget_usd:.4f}"
    change = (
        "raised" if meta.budget_usd is None or budget > meta.budget_usd
        else "lowered" if budget < meta.budget_usd else "kept"
    )
    mode = f", {meta.budget_mode} mode" if meta.budget_mode else ""
    return (
        f"budget of run {meta.id} {change}: {before} -> ${budget:.4f} for the whole run "
        f"(${spent:.6f} spent so far{mode})"
    )


def branch(
    run_or_id: Run | str,
    *,
    at: str,
    intervention: str,
    branch_id: str | None = None,
    store: StoreArg = None,
    progress: ProgressSink | None = None,
    offline_latency: float = 0.0,
    router: Router | None = None,
    wait: bool = False,
    on_notice: Callable[[str], None] | None = None,
    sharing: Sharing | None = None,
) -> Run:
    """Fork a finished forward-mode run after moment ``at`` with ``intervention`` (M12).

    The branch runs on its own checkpoint thread seeded from the parent's checkpoint: the
    shared prefix costs no model call, the parent's moments are never changed, and the branch's
    moments (ids ``<branch>-tp-NNN``) are added to the run's record. ``branch_id`` defaults to
    the first free ``w1``, ``w2``...; a branch cut short (a crash, a model failure) is continued
    by calling ``branch`` again with the same moment and intervention. A run another process
    is working on raises ``RunBusyError``, or with ``wait=True`` is waited for.
    """
    run_id = run_or_id.id if isinstance(run_or_id, Run) else run_or_id
    with opened_store(store) as opened, leased(opened, run_id, wait, on_notice) as lease:
        record = opened.runs.load_record(run_id)
        return _branch_leased(
            opened, record, lease, at=at, intervention=intervention, branch_id=branch_id,
            progress=progress, offline_latency=offline_latency, router=router, sharing=sharing,
        )


def _branch_leased(
    store: Store,
    record: RunRecord,
    lease: HeldLease,
    *,
    at: str,
    intervention: str,
    branch_id: str | None,
    progress: ProgressSink | None,
    offline_latency: float,
    router: Router | None,
    sharing: Sharing | None = None,
) -> Run:
    run_id = record.run.id
    scenario = record.scenario
    if scenario is None:
        raise RunError(f"run {run_id!r} has no stored scenario and cannot be branched")
    if scenario.mode is TemporalMode.PORTAL:
        raise ConfigError("branching works on forward modes; a PORTAL run cannot be branched")
    taken = {b.id for b in record.branches}
    if branch_id in taken:
        raise ConfigError(f"branch {branch_id!r} already exists in run {run_id!r}")
    meta = record.run
    router, _ = _router_again(
        store, record, router=router, budget=None, concurrency=8,
        offline_latency=offline_latency, doing="branch", sharing=sharing,
    )
    execution = Execution(scenario, meta, store, router, meta.seed, progress, lease)
    try:
        wanted = BranchSpec(id=branch_id or "w1", fork_timepoint=at, intervention=intervention)
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise ConfigError(f"branch {field}: {problem['msg']} (got {problem['input']!r})") from None
    values = run_coroutine(_fork(execution, wanted, taken, named=branch_id is not None))
    spec = values["spec"]
    merged = merge_branch(record_state(record), values["seeded"], values["final"], spec)
    return Run(execution.save(merged, status=meta.status), store)


async def _fork(
    execution: Execution, wanted: BranchSpec, taken: set[str], *, named: bool
) -> dict[str, Any]:
    from daedalus.graphs.branching import fork_branch
    from daedalus.graphs.modes import build_graph, recursion_limit_for

    async with execution.store.checkpointer() as saver:
        app = build_graph(execution.scenario.mode).compile(checkpointer=saver)
        if not (await app.aget_state(execution.config)).values:
            raise RunError(f"run {execution.meta.id!r} has no checkpoints to branch from")
        spec = wanted
        if not named:  # w1, w2...: skip names taken, or left by an unfinished other branch
            for number in range(1, 1000):
                spec = wanted.model_copy(update={"id": f"w{number}"})
                if spec.id in taken:
                    continue
                thread: RunnableConfig = {
                    "configurable": {"thread_id": f"{execution.meta.id}:{spec.id}"}
                }
                left = (await app.aget_state(thread)).values
                if not left or left.get("intervention") == wanted.intervention:
                    break
        seeded, final = await fork_branch(
            app, execution.config, spec, context=execution.context,
            recursion_limit=recursion_limit_for(execution.scenario), progress=execution.progress,
        )
    return {"spec": spec, "seeded": seeded, "final": final}

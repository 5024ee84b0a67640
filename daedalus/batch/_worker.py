"""What a worker does with one run of a batch: run it, or resume it, then branch it.

The same steps serve every backend. A run is looked up by the id the batch gave it: missing,
it starts; stored but unfinished (its worker was killed, or it failed), it resumes from its
last checkpoint, paying only for calls it had not made; completed, it is left alone. Each
what-if intervention then becomes a branch ``w1``, ``w2``... unless the run already has it.
Transient failures are retried with exponential backoff (tenacity); bad input, a budget stop
or an account out of credit are not, and end the run as failed (it stays resumable).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from daedalus.batch._budget import BatchBudget, BatchGuard
from daedalus.batch._place import open_budget, open_run_store
from daedalus.batch._record import BatchEntry, BatchOptions
from daedalus.errors import (
    ModelError,
    ModelRequestError,
    NetworkBlockedError,
    OutOfCreditError,
    RunError,
    StateConflictError,
)
from daedalus.llm.budget import BudgetGuard, BudgetMode
from daedalus.runs import Run
from daedalus.runs import _api as api
from daedalus.runs._async import aresume, arun
from daedalus.store import StoreLayout

__all__ = ["Job", "Outcome", "RunUpdate", "execute", "execute_async", "shared_budget"]

UpdateSink = Callable[["RunUpdate"], None]


class RunUpdate(BaseModel):
    """A run of the batch changing state (what progress lines and the record follow)."""

    model_config = ConfigDict(frozen=True)

    index: int
    run_id: str
    state: Literal["running", "retrying", "completed", "failed"]
    label: str = ""
    attempts: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    cache_hits: int = 0
    error: str | None = None


Outcome = RunUpdate
"""A run's last update: completed or failed, with its cost and calls."""


@dataclass(frozen=True)
class Job:
    """Everything a worker (in this process, another one, or on Ray) needs for one run."""

    batch_id: str
    store: str
    entry: BatchEntry
    options: BatchOptions

    @property
    def layout(self) -> StoreLayout:
        """The local files of the store (the store itself unless it is on PostgreSQL)."""
        return StoreLayout.at(self.store)


def shared_budget(job: Job) -> BatchBudget:
    """The batch's shared cap, opened from the store (a directory or a PostgreSQL URL)."""
    return open_budget(job.store, job.batch_id, job.options.budget_usd)


def _sharing(job: Job, shared: BatchBudget, slots: asyncio.Semaphore | None) -> api.Sharing:
    def guard(limit: float | None, mode: BudgetMode, spent: float) -> BudgetGuard:
        return BatchGuard(limit, mode, spent_usd=spent, shared=shared, run_id=job.entry.run_id)

    return api.Sharing(guard=guard, call_slots=slots)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, OutOfCreditError | ModelRequestError | NetworkBlockedError):
        return False
    return isinstance(exc, ModelError | RunError | StateConflictError | OSError | sqlite3.Error)


def _stored_status(job: Job) -> str | None:
    with open_run_store(job.store) as opened:
        if opened is None:
            return None
        try:
            return opened.runs.load_record(job.entry.run_id).run.status
        except RunError:
            return None


def _fork_moment(run: Run, at: str | None) -> str:
    if at is not None:
        return at
    main = [tp for tp in run.timepoints if tp.branch_id == "main" and tp.moment_of is None]
    if not main:
        raise RunError(f"run {run.id!r} has no moment to branch after")
    return main[(len(main) - 1) // 2].id


def _run_options(job: Job) -> dict[str, Any]:
    options = job.options
    capped = options.run_budget_usd is not None
    return {
        "model": options.model,
        "base_url": options.base_url,
        "seed": job.entry.spec.seed,
        "store": job.store,
        "budget": options.run_budget_usd,
        "budget_mode": "hard" if capped else None,
        "concurrency": options.concurrency,
        "offline_latency": options.offline_latency,
        "run_id": job.entry.run_id,
    }


def _branches(job: Job, run: Run, sharing: api.Sharing) -> Run:
    spec = job.entry.spec
    for number, text in enumerate(spec.interventions, start=1):
        branch_id = f"w{number}"
        if branch_id in {b.id for b in run.record.branches}:
            continue
        run = api.branch(
            run.id, at=_fork_moment(run, spec.at), intervention=text, branch_id=branch_id,
            store=job.store, offline_latency=job.options.offline_latency, wait=True,
            sharing=api.Sharing(guard=sharing.guard),
        )
    return run


def _once(job: Job, sharing: api.Sharing) -> Run:
    status = _stored_status(job)
    if status is None:
        run = api.run(job.entry.spec.scenario(), **_run_options(job), sharing=sharing)
    else:
        run = api.resume(
            job.entry.run_id, store=job.store, offline_latency=job.options.offline_latency,
            concurrency=job.options.concurrency, wait=True, sharing=sharing,
        )
    return _branches(job, run, sharing)


async def _once_async(job: Job, sharing: api.Sharing) -> Run:
    status = _stored_status(job)
    if status is None:
        run = await arun(job.entry.spec.scenario(), **_run_options(job), sharing=sharing)
    else:
        run = await aresume(
            job.entry.run_id, store=job.store, offline_latency=job.options.offline_latency,
            concurrency=job.options.concurrency, sharing=sharing,
        )
    if job.entry.spec.interventions:
        run = await asyncio.to_thread(_branches, job, run, sharing)
    return run


def _finished(job: Job, run: Run, attempts: int) -> Outcome:
    summary = run.summary()
    return RunUpdate(
        index=job.entry.index, run_id=run.id, state="completed", label=job.entry.spec.label(),
        attempts=attempts, cost_usd=float(summary["cost_usd"]), calls=int(summary["calls"]),
        cache_hits=int(summary["cache_hits"]),
    )


def _stored_spend(job: Job) -> tuple[float, int, int]:
    """Dollars, calls and cache hits the stored run has booked so far (zeros if none)."""
    try:
        with open_run_store(job.store) as opened:
            if opened is None:
                return 0.0, 0, 0
            totals = Run(opened.runs.load_record(job.entry.run_id), opened).ledger.totals()
    except (RunError, OSError, sqlite3.Error):
        return 0.0, 0, 0
    return totals.cost_usd, totals.calls, totals.cache_hits


def _failed(job: Job, exc: BaseException, attempts: int) -> Outcome:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    cost, calls, hits = _stored_spend(job)  # a failed run may have paid for calls
    return RunUpdate(
        index=job.entry.index, run_id=job.entry.run_id, state="failed",
        label=job.entry.spec.label(), attempts=attempts, error=message,
        cost_usd=cost, calls=calls, cache_hits=hits,
    )


def _retry_note(job: Job, on_update: UpdateSink | None) -> Callable[[RetryCallState], None]:
    def note(state: RetryCallState) -> None:
        if on_update is None or state.outcome is None:
            return
        error = state.outcome.exception()
        on_update(
            RunUpdate(
                index=job.entry.index, run_id=job.entry.run_id, state="retrying",
                label=job.entry.spec.label(), attempts=state.attempt_number,
                error=str(error).splitlines()[0] if error is not None and str(error) else None,
            )
        )

    return note


def _retrying(job: Job, on_update: UpdateSink | None) -> Retrying:
    options = job.options
    return Retrying(
        stop=stop_after_attempt(options.retries + 1),
        wait=wait_exponential(multiplier=options.backoff_s, max=60),
        retry=retry_if_exception(_transient),
        before_sleep=_retry_note(job, on_update),
        reraise=True,
    )


def _retrying_async(job: Job, on_update: UpdateSink | None) -> AsyncRetrying:
    options = job.options
    return AsyncRetrying(
        stop=stop_after_attempt(options.retries + 1),
        wait=wait_exponential(multiplier=options.backoff_s, max=60),
        retry=retry_if_exception(_transient),
        before_sleep=_retry_note(job, on_update),
        reraise=True,
    )


def execute(job: Job, on_update: UpdateSink | None = None) -> Outcome:
    """Run (or resume) one run of the batch to its end in this process; never raises for a
    run that fails (the outcome says why)."""
    shared = shared_budget(job)
    attempts = 0
    try:
        for attempt in _retrying(job, on_update):
            with attempt:
                attempts += 1
                run = _once(job, _sharing(job, shared, None))
        return _finished(job, run, attempts)
    except Exception as exc:
        return _failed(job, exc, attempts)
    finally:
        shared.close()


async def execute_async(
    job: Job,
    shared: BatchBudget,
    slots: asyncio.Semaphore | None,
    on_update: UpdateSink | None = None,
) -> Outcome:
    """``execute`` on the caller's event loop, its model calls under the shared ``slots``."""
    attempts = 0
    try:
        async for attempt in _retrying_async(job, on_update):
            with attempt:
                attempts += 1
                run = await _once_async(job, _sharing(job, shared, slots))
        return _finished(job, run, attempts)
    except Exception as exc:
        return _failed(job, exc, attempts)

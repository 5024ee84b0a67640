"""The local backends: runs on one event loop (default), or in a pool of worker processes.

``local``: model calls are I/O-bound, so up to ``workers`` runs share one event loop and one
limit on calls in flight (``concurrency``) across all of them. ``process``: where CPU work
dominates (the offline model, big casts), up to ``workers`` runs go to as many processes. A
worker process killed mid-run breaks the pool: a new pool is made and the unfinished runs
resume from their checkpoints (at most ``retries`` times).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from daedalus.batch._worker import Job, RunUpdate, UpdateSink, execute, execute_async, shared_budget
from daedalus.runs._execute import run_coroutine

__all__ = ["dispatch_local", "dispatch_processes", "running"]


def running(job: Job) -> RunUpdate:
    """The update saying ``job`` has started on a worker."""
    entry = job.entry
    return RunUpdate(
        index=entry.index, run_id=entry.run_id, state="running", label=entry.spec.label()
    )


def dispatch_local(jobs: Sequence[Job], on_update: UpdateSink) -> None:
    """Run ``jobs`` on one event loop, ``workers`` at a time."""
    if jobs:
        run_coroutine(_local(jobs, on_update))


async def _local(jobs: Sequence[Job], on_update: UpdateSink) -> None:
    options = jobs[0].options
    shared = shared_budget(jobs[0])
    slots = asyncio.Semaphore(options.concurrency)
    gate = asyncio.Semaphore(options.workers)

    async def one(job: Job) -> None:
        async with gate:
            on_update(running(job))
            on_update(await execute_async(job, shared, slots, on_update))

    try:
        await asyncio.gather(*(one(job) for job in jobs))
    finally:
        shared.close()


def dispatch_processes(jobs: Sequence[Job], on_update: UpdateSink) -> None:
    """Run ``jobs`` in ``workers`` processes (spawned, so no lock or thread is inherited)."""
    if not jobs:
        return
    options = jobs[0].options
    pending = list(jobs)
    breaks = 0
    while pending:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=options.workers, mp_context=context) as pool:
            try:
                _drain(pool, pending, options.workers, on_update)
            except BrokenProcessPool as exc:
                breaks += 1
                if breaks > options.retries:
                    for job in pending:
                        on_update(
                            RunUpdate(
                                index=job.entry.index, run_id=job.entry.run_id, state="failed",
                                label=job.entry.spec.label(), error=f"worker process died: {exc}",
                            )
                        )
                    return


def _drain(
    pool: ProcessPoolExecutor, pending: list[Job], workers: int, on_update: UpdateSink
) -> None:
    """Keep ``workers`` jobs in flight until ``pending`` is empty; a finished job leaves it."""
    flight: dict[Future[RunUpdate], Job] = {}
    queue = list(pending)
    while queue or flight:
        while queue and len(flight) < workers:
            job = queue.pop(0)
            flight[pool.submit(execute, job)] = job
            on_update(running(job))
        done, _ = wait(flight, return_when=FIRST_COMPLETED)
        for future in done:
            job = flight.pop(future)
            outcome = future.result()  # BrokenProcessPool when a worker was killed
            pending.remove(job)
            on_update(outcome)

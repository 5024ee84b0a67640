"""The worker: drains the job queue and carries each job out through ``daedalus.runs``.

Runs never execute in a request. ``daedalus serve`` starts one worker thread beside the API
(each run gets its own event loop there, as ``daedalus.runs.run`` does from sync code), and
``daedalus worker`` runs the same loop in a process of its own; any number of workers may share
a store. A worker beats on the job it holds; a worker killed mid-run leaves a job that the next
worker takes over and resumes from the run's last checkpoint.

``python -m daedalus.service.worker --store DIR`` starts a worker process.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import structlog

from daedalus import runs
from daedalus.errors import DaedalusError
from daedalus.scenario import Scenario
from daedalus.service._batch_jobs import execute_batch
from daedalus.service._db import service_db
from daedalus.service.jobs import EventSink, Executor, Job, JobQueue
from daedalus.store import StoreLayout, open_store
from daedalus.store._url import is_postgres_url
from daedalus.store.lease import new_owner
from daedalus.templates import load_template, parse_template

__all__ = ["LocalExecutor", "Worker", "main", "scenario_of"]

log = structlog.get_logger("daedalus.service.worker")


def scenario_of(request: Mapping[str, Any]) -> Scenario:
    """The scenario a run request names: a shipped template id or template YAML text."""
    if request.get("yaml") is not None:
        return parse_template(str(request["yaml"]), source="<submitted yaml>")
    return load_template(str(request["template"]))


class LocalExecutor:
    """Carries jobs out in this process: runs and branches with ``daedalus.runs``, batches
    with ``daedalus.batch`` (``run_batch``, or ``resume_batch`` for one already started)."""

    def __init__(self, layout: StoreLayout, source: str | None = None) -> None:
        self.layout = layout
        self.source = source
        """A ``postgresql://`` store URL when the runs live there (else ``layout``'s)."""

    @property
    def store(self) -> str | Path:
        return self.source if self.source is not None else self.layout.root

    def _has_run(self, run_id: str) -> bool:
        with open_store(self.source or self.layout) as store:
            return store.runs.has_run(run_id)

    def _branches(self, run_id: str) -> set[str]:
        with open_store(self.source or self.layout) as store:
            return {b.id for b in store.runs.load_record(run_id).branches}

    def execute(self, job: Job, events: EventSink, *, resumed: bool) -> None:
        request = job.request
        latency = float(request.get("offline_latency") or 0.0)
        if job.kind == "batch":
            execute_batch(self.layout, job, events, self.source)
            return
        if job.kind == "branch":
            if request.get("branch_id") in self._branches(job.run_id):  # an earlier attempt made it
                return
            runs.branch(
                job.run_id, at=str(request["at"]), intervention=str(request["intervention"]),
                branch_id=request.get("branch_id"), store=self.store, progress=events,
                offline_latency=latency, wait=True,
            )
            return
        if self._has_run(job.run_id):  # an earlier attempt created the run: continue it
            runs.resume(
                job.run_id, store=self.store, progress=events, offline_latency=latency,
                wait=True,
            )
            return
        runs.run(
            scenario_of(request), model=request.get("model"), seed=int(request.get("seed", 0)),
            store=self.store, budget=request.get("budget_usd"),
            budget_mode=request.get("budget_mode"), offline_latency=latency, progress=events,
            run_id=job.run_id,
        )


class Worker:
    """Claims jobs from the queue of ``layout``'s store and executes them one at a time."""

    def __init__(
        self,
        layout: StoreLayout,
        executor: Executor | None = None,
        *,
        poll_s: float = 0.2,
        queue: JobQueue | None = None,
        source: str | None = None,
    ) -> None:
        self.layout = layout
        self.executor: Executor = executor or LocalExecutor(layout, source)
        self.queue = queue or JobQueue(service_db(layout.root, source))
        self.poll_s = poll_s
        self.owner = new_owner()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Claim and carry out one job; False when the queue had none."""
        claimed = self.queue.claim(self.owner)
        if claimed is None:
            return False
        job, taken_over = claimed
        resumed = taken_over or job.attempts > 1 or bool(job.request.get("resume"))
        self._record(job, {"event": "resumed" if resumed else "started", "attempt": job.attempts})
        beat_stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, beat_stop), daemon=True)
        beat.start()
        error: str | None = None
        try:
            self.executor.execute(job, lambda data: self._record(job, data), resumed=resumed)
        except DaedalusError as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not end the worker: the job fails, the loop goes on
            log.exception("job failed", job=job.id, run=job.run_id)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            beat_stop.set()
            beat.join()
        self.queue.finish(job.id, self.owner, error=error)
        if error is None:
            self._record(job, {"event": "completed", "kind": job.kind})
        else:
            self._record(job, {"event": "failed", "kind": job.kind, "error": error})
        return True

    def serve(self) -> None:
        """Work until ``stop`` is called, polling the queue when it is empty."""
        while not self._stop.is_set():
            if not self.run_once():
                self._stop.wait(self.poll_s)

    def start(self) -> Worker:
        """Work in a background thread of this process."""
        self._thread = threading.Thread(target=self.serve, name="daedalus-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait_s: float = 5.0) -> None:
        """Stop after the current job; a job still running after ``wait_s`` is left to be
        taken over (and resumed) by the next worker."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait_s)

    def _record(self, job: Job, data: Mapping[str, Any]) -> None:
        self.queue.append_event(job.run_id, {**data, "job": job.id})

    def _beat(self, job: Job, stop: threading.Event) -> None:
        while not stop.wait(self.queue.stale_s / 3):
            self.queue.heartbeat(job.id, self.owner)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a worker process on a store until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m daedalus.service.worker")
    parser.add_argument("--store", default=None, help="store directory (default $DAEDALUS_HOME)")
    parser.add_argument("--poll", type=float, default=0.2, help="seconds between polls")
    args = parser.parse_args(argv)
    source = args.store if args.store and is_postgres_url(args.store) else None
    worker = Worker(StoreLayout.at(args.store).create(), poll_s=args.poll, source=source)
    try:
        worker.serve()
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``run_batch`` and ``resume_batch``: many runs, one record, one budget, any backend.

Everything is checked before the first run starts (every spec's scenario and overrides, the
store, the backend and its address): bad input raises a ``ConfigError`` and leaves nothing
behind. The batch record is saved with every run id first, then after every state change.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from daedalus.batch._place import BatchPlace, open_run_store
from daedalus.batch._record import BatchEntry, BatchOptions, BatchRecord, batch_dir, new_batch_id
from daedalus.batch._spec import RunSpec
from daedalus.batch._worker import Job, RunUpdate, UpdateSink
from daedalus.errors import ConfigError
from daedalus.runs import Run
from daedalus.runs._api import new_run_id
from daedalus.store import StoreLayout
from daedalus.store._url import is_postgres_url, mask_url

__all__ = ["BatchResult", "resume_batch", "run_batch"]

PathLike = str | os.PathLike[str]


class BatchResult:
    """A finished (or partly finished) batch: its record and its runs, read from the store
    (``source``: a PostgreSQL URL; else the store is the directory of ``layout``)."""

    def __init__(
        self, record: BatchRecord, layout: StoreLayout, source: str | None = None
    ) -> None:
        self.record, self.layout = record, layout
        self.source = source if source is not None else str(layout.root)

    def __repr__(self) -> str:
        counts = self.record.counts()
        return (
            f"BatchResult({self.id!r}, completed={counts['completed']}, "
            f"failed={counts['failed']}, cost_usd={self.record.cost_usd:.6f})"
        )

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def path(self) -> Path | str:
        """The batch record's file (on PostgreSQL: the store, password masked)."""
        if is_postgres_url(self.source):
            return f"{mask_url(self.source)} (table batches, id {self.id})"
        return batch_dir(self.layout, self.id) / "batch.json"

    @property
    def completed(self) -> bool:
        return all(entry.status == "completed" for entry in self.record.entries)

    def runs(self, *, include_failed: bool = False) -> list[Run]:
        """The batch's runs in spec order (completed ones only, unless ``include_failed``)."""
        found: list[Run] = []
        with open_run_store(self.source) as store:
            if store is None:
                return found
            for entry in self.record.entries:
                if entry.status != "completed" and not include_failed:
                    continue
                try:
                    record = store.runs.load_record(entry.run_id)
                except Exception:  # never started: nothing to read
                    continue
                found.append(Run(record, store))
        return found


def _specs(specs: Sequence[RunSpec | Mapping[str, Any] | str]) -> list[RunSpec]:
    found = []
    for index, spec in enumerate(specs):
        if isinstance(spec, RunSpec):
            found.append(spec)
        elif isinstance(spec, str):
            found.append(RunSpec(template=spec))
        else:
            try:
                found.append(RunSpec.model_validate(dict(spec)))
            except ValueError as exc:
                first = str(exc).splitlines()
                raise ConfigError(f"run spec {index}: {' '.join(first[1:3]).strip()}") from None
    if not found:
        raise ConfigError("a batch needs at least one run spec")
    for spec in found:
        spec.scenario()  # unknown template, bad override, what-if on PORTAL: fail before any run
    return found


def _check_backend(options: BatchOptions) -> None:
    if options.backend == "ray":
        from daedalus.batch._ray import check_address

        check_address(options.address)
    elif options.address is not None:
        raise ConfigError("--address names a Ray cluster; use it with --backend ray")


def run_batch(
    specs: Sequence[RunSpec | Mapping[str, Any] | str],
    *,
    store: PathLike | None = None,
    model: str | None = None,
    base_url: str | None = None,
    workers: int = 4,
    concurrency: int = 8,
    budget: float | None = None,
    run_budget: float | None = None,
    retries: int = 2,
    backoff: float = 1.0,
    backend: str = "local",
    address: str | None = None,
    offline_latency: float = 0.0,
    on_update: UpdateSink | None = None,
    batch_id: str | None = None,
) -> BatchResult:
    """Run every spec (a ``RunSpec``, a mapping of its fields, or a template id) and return
    the batch.

    ``workers`` runs at once on ``backend``: ``local`` (one event loop, ``concurrency`` model
    calls in flight over all runs), ``process`` (a process pool) or ``ray`` (tasks on the
    cluster at ``address``, else a local one). ``budget`` caps the whole batch and
    ``run_budget`` each run, both hard: every call is checked against what all workers spent
    and hold in flight before it is sent. A failed run is retried ``retries`` times with
    exponential backoff from ``backoff`` seconds. ``on_update`` hears every run's state
    changes. An interrupted batch continues with ``resume_batch(result.id)``.
    """
    checked = _specs(specs)
    try:
        options = BatchOptions(
            model=model, base_url=base_url, workers=workers, concurrency=concurrency,
            budget_usd=budget, run_budget_usd=run_budget, retries=retries, backoff_s=backoff,
            backend=backend, address=address, offline_latency=offline_latency,
        )
    except ValueError as exc:
        lines = str(exc).splitlines()
        raise ConfigError(f"batch option {lines[1].strip()}: {lines[2].strip()}") from None
    _check_backend(options)
    place = BatchPlace.open(store)
    now = datetime.now(UTC)
    record = BatchRecord(
        id=batch_id or new_batch_id(), created_at=now, updated_at=now, options=options,
        entries=[
            BatchEntry(index=i, spec=spec, run_id=new_run_id()) for i, spec in enumerate(checked)
        ],
    )
    with place:
        place.save(record)
        return _dispatch(place, record, on_update)


def resume_batch(
    batch_id: str,
    *,
    store: PathLike | None = None,
    on_update: UpdateSink | None = None,
    budget: float | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Continue an interrupted batch: completed runs are kept as they are, the others resume
    from their checkpoints (or start, if they never did). ``budget`` sets a new batch cap and
    ``workers`` a new parallelism; every other option is the batch's own."""
    with BatchPlace.open(store) as place:
        return _resume(place, batch_id, on_update, budget, workers)


def _resume(
    place: BatchPlace,
    batch_id: str,
    on_update: UpdateSink | None,
    budget: float | None,
    workers: int | None,
) -> BatchResult:
    record = place.load(batch_id)
    changes: dict[str, Any] = {}
    if budget is not None:
        changes["budget_usd"] = budget
    if workers is not None:
        changes["workers"] = workers
    if changes:
        record.options = BatchOptions.model_validate({**record.options.model_dump(), **changes})
    _check_backend(record.options)
    for entry in record.entries:
        if entry.status != "completed":
            entry.status, entry.error = "pending", None
    place.save(record)
    return _dispatch(place, record, on_update)


def _dispatch(
    place: BatchPlace, record: BatchRecord, on_update: UpdateSink | None
) -> BatchResult:
    jobs = [
        Job(batch_id=record.id, store=place.source, entry=entry, options=record.options)
        for entry in record.entries
        if entry.status != "completed"
    ]
    lock = threading.Lock()

    def update(change: RunUpdate) -> None:
        with lock:  # a backend may report from several threads
            entry = record.entries[change.index]
            entry.status = "pending" if change.state == "retrying" else change.state
            entry.attempts = max(entry.attempts, change.attempts)
            if change.state in ("completed", "failed"):
                entry.cost_usd, entry.calls, entry.error = (
                    change.cost_usd, change.calls, change.error
                )
                entry.cache_hits = change.cache_hits
                if change.state == "completed":
                    entry.status = "completed"
            place.save(record)
        if on_update is not None:
            on_update(change)

    _backend(record.options.backend)(jobs, update)
    return BatchResult(record, place.files, place.source)


def _backend(name: str) -> Callable[[Sequence[Job], UpdateSink], None]:
    if name == "ray":
        from daedalus.batch._ray import dispatch_ray

        return dispatch_ray
    from daedalus.batch._local import dispatch_local, dispatch_processes

    return dispatch_processes if name == "process" else dispatch_local

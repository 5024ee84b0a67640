"""A batch job carried out by a worker through the batch runner (``daedalus.batch``).

A submitted batch is one job whose id is the batch's: the worker calls ``run_batch`` with the
batch's run specs and options (every run of it is then a run of the store, with the batch's
record beside it, as ``daedalus batch run`` would leave them), and each run's state change is
logged as an event of the batch. A batch job taken over from a dead worker continues with
``resume_batch``: completed runs are kept, the others resume from their checkpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from daedalus.batch import BatchRecord, RunSpec, RunUpdate, load_batch, resume_batch, run_batch
from daedalus.errors import DaedalusError
from daedalus.service.jobs import EventSink, Job
from daedalus.store import StoreLayout

__all__ = ["batch_record", "batch_run_ids", "execute_batch", "specs_of"]


def _folder(layout: StoreLayout, batch_id: str) -> Path:
    return layout.root / "batches" / batch_id


def batch_record(layout: StoreLayout, batch_id: str) -> BatchRecord | None:
    """The batch's record once a worker has started it; None before."""
    if not (_folder(layout, batch_id) / "batch.json").is_file():
        return None
    return load_batch(layout, batch_id)


def batch_run_ids(root: Path, batch_id: str) -> list[str]:
    """The ids of the batch's runs (none before a worker has started it)."""
    try:
        record = batch_record(StoreLayout(root), batch_id)
    except DaedalusError:  # an unreadable record names no run
        return []
    return [] if record is None else record.run_ids


def specs_of(layout: StoreLayout, batch_id: str, request: Mapping[str, Any]) -> list[RunSpec]:
    """The run specs of a batch request; template YAML sent as text is written beside the
    batch's record (``<store>/batches/<id>/templates/run-<n>.yaml``), where its runs read it."""
    specs = []
    for index, run in enumerate(request["runs"]):
        source = run.get("template")
        if run.get("yaml") is not None:
            path = _folder(layout, batch_id) / "templates" / f"run-{index}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(run["yaml"]), encoding="utf-8")
            source = str(path)
        specs.append(
            RunSpec(
                template=str(source), seed=int(run.get("seed", 0)),
                overrides=dict(run.get("overrides") or {}),
            )
        )
    return specs


def execute_batch(
    layout: StoreLayout, job: Job, events: EventSink, source: str | None = None
) -> None:
    """Carry out (or, when its record exists, continue) the batch of ``job`` (its runs in the
    store ``source`` names, else in ``layout``'s directory)."""
    batch_id = job.run_id
    root: str | Path = layout.root.resolve() if source is None else source

    def update(change: RunUpdate) -> None:
        events({"event": "run", **change.model_dump(mode="json")})

    if batch_record(layout, batch_id) is not None:
        result = resume_batch(batch_id, store=root, on_update=update)
    else:
        request = job.request
        result = run_batch(
            specs_of(layout, batch_id, request), store=root, model=request.get("model"),
            workers=int(request.get("workers", 2)), budget=request.get("budget_usd"),
            run_budget=request.get("run_budget_usd"),
            offline_latency=float(request.get("offline_latency") or 0.0), backend="local",
            batch_id=batch_id, on_update=update,
        )
    events({"event": "batch", **result.record.counts(), "cost_usd": result.record.cost_usd})

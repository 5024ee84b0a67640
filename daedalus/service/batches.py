"""``/api/v1/batches``: several runs submitted at once, and what came out of them.

A batch is queued whole or not at all (every run is checked first); its summary counts the
runs by status and gives the distribution of each outcome (moments, dialogs, calls, tokens,
dollars) and of each mechanism's count over the completed runs.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from statistics import fmean
from typing import Any

from fastapi import APIRouter

from daedalus.runs._api import new_run_id
from daedalus.service._problems import ProblemError
from daedalus.service._schemas import BatchRequest, BatchSummary, Distribution, RunItem
from daedalus.service._state import Reader, ServiceDep, Writer, checked_id
from daedalus.service._views import item_of, queued_item
from daedalus.service.jobs import JobKind
from daedalus.service.runs import run_request
from daedalus.store import RunSummary

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["batches"])

_OUTCOMES = ("timepoints", "dialogs", "calls", "tokens", "cost_usd")


def _distribution(values: list[float]) -> Distribution:
    return Distribution(
        values=values, min=min(values) if values else None, max=max(values) if values else None,
        mean=fmean(values) if values else None,
    )


@router.post("/batches", status_code=202, summary="Submit a batch of runs")
def submit_batch(body: BatchRequest, key: Writer, service: ServiceDep) -> dict[str, Any]:
    requests = [run_request(run, service, key, runs=len(body.runs)) for run in body.runs]
    batch_id = f"batch_{datetime.now(UTC):%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:8]}"
    items: list[tuple[JobKind, str, dict[str, Any]]] = [
        ("run", new_run_id(), request) for request in requests
    ]
    jobs = service.queue.submit_many(items, key_id=key.id, batch_id=batch_id)
    return {
        "batch_id": batch_id,
        "status": "queued",
        "runs": [{"run_id": job.run_id, "job_id": job.id} for job in jobs],
        "links": {"self": f"/api/v1/batches/{batch_id}",
                  "dashboard": f"/dashboard/#/batches/{batch_id}"},
    }


@router.get("/batches", summary="List batches")
def list_batches(_: Reader, service: ServiceDep) -> list[dict[str, Any]]:
    return [
        {"id": batch_id, "created_at": created.isoformat(), "size": size}
        for batch_id, created, size in service.queue.batches()
    ]


@router.get("/batches/{batch_id}", summary="A batch's runs and outcome distributions")
def get_batch(batch_id: str, _: Reader, service: ServiceDep) -> BatchSummary:
    checked_id(batch_id, "batch")
    if not service.queue.has_batch(batch_id):
        raise ProblemError(404, "not-found", f"no batch {batch_id!r}")
    jobs = service.queue.jobs(batch_id=batch_id)
    items: list[RunItem] = []
    mechanisms: dict[str, list[float]] = {}
    for job in jobs:
        if not service.runs.has_run(job.run_id):
            items.append(queued_item(job))
            continue
        record = service.runs.load_record(job.run_id)
        item = item_of(RunSummary.of(record, service.runs.lease_of(job.run_id)))
        items.append(item)
        if item.status == "completed":
            for mechanism, count in record.mechanism_counts().items():
                mechanisms.setdefault(mechanism, []).append(float(count))
    done = [item for item in items if item.status == "completed"]
    created = min(job.created_at for job in jobs)
    return BatchSummary(
        id=batch_id, created_at=created, size=len(jobs),
        status=dict(Counter(item.status for item in items)), runs=items,
        outcomes={
            name: _distribution([float(getattr(item, name)) for item in done])
            for name in _OUTCOMES
        },
        mechanisms={name: _distribution(values) for name, values in mechanisms.items()},
    )

"""``/api/v1/batches``: several runs submitted at once, carried out by the batch runner.

A batch is checked whole (every run's scenario and overrides, the model, the key's quota) and
queued as one job, or refused whole with nothing written; a worker carries it out with
``daedalus.batch.run_batch``. Its events (each run's state changes) stream as SSE; its summary
counts the runs by status and gives the distribution of each outcome (moments, dialogs, calls,
tokens, dollars) and of each mechanism's count over the completed runs.
"""

from __future__ import annotations

from collections import Counter
from statistics import fmean
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from daedalus.batch import RunSpec
from daedalus.batch._record import new_batch_id
from daedalus.batch._spec import apply_overrides
from daedalus.errors import DaedalusError
from daedalus.llm.registry import ModelRegistry
from daedalus.service._batch_jobs import batch_record
from daedalus.service._problems import ProblemError
from daedalus.service._schemas import (
    BatchRequest,
    BatchSubmitted,
    BatchSummary,
    Distribution,
    RunItem,
)
from daedalus.service._state import Reader, Service, ServiceDep, Writer, checked_id
from daedalus.service._views import item_of
from daedalus.service.keys import ApiKey
from daedalus.service.runs import event_stream, shipped_templates
from daedalus.service.worker import scenario_of
from daedalus.store import RunSummary
from daedalus.templates import MAX_TEMPLATE_BYTES

__all__ = ["batch_request", "router"]

router = APIRouter(prefix="/api/v1", tags=["batches"])

_OUTCOMES = ("timepoints", "dialogs", "calls", "tokens", "cost_usd")


def _distribution(values: list[float]) -> Distribution:
    return Distribution(
        values=values, min=min(values) if values else None, max=max(values) if values else None,
        mean=fmean(values) if values else None,
    )


def batch_request(body: BatchRequest, service: Service, key: ApiKey) -> dict[str, Any]:
    """The job request of ``body``, every run checked the way the batch runner will read it
    (422 naming ``runs[i]`` on bad input, 413 on oversized YAML, 429 on a spent quota)."""
    for index, run in enumerate(body.runs):
        where = f"runs[{index}]"
        if run.yaml is not None and len(run.yaml.encode("utf-8")) > MAX_TEMPLATE_BYTES:
            raise ProblemError(
                413, "too-large", f"{where}.yaml is larger than {MAX_TEMPLATE_BYTES:,} bytes"
            )
        if run.template is not None and run.template not in shipped_templates():
            raise ProblemError(
                422, "invalid-input",
                f"{where}.template: no shipped template {run.template!r}; GET /api/v1/templates "
                "lists them, or send 'yaml'",
            )
        try:
            scenario = scenario_of(run.model_dump(exclude_none=True))
            if run.template is not None:
                RunSpec(template=run.template, seed=run.seed, overrides=run.overrides).scenario()
            else:
                apply_overrides(scenario, run.overrides)
        except (DaedalusError, ValueError) as exc:
            raise ProblemError(422, "invalid-input", f"{where}: {exc}") from None
    if body.model not in (None, "offline", "auto") and body.model not in ModelRegistry.default():
        raise ProblemError(
            422, "invalid-input",
            f"model: unknown model {body.model!r}; GET /api/v1/models lists them",
        )
    request = body.model_dump(exclude_none=True)
    size = len(body.runs)
    allowance = service.guard.budget_for(key, service.layout.root, size)
    if allowance is not None:  # each run gets its share of what is left today, hard
        wanted = body.run_budget_usd
        request["run_budget_usd"] = allowance if wanted is None else min(wanted, allowance)
        total = allowance * size
        request["budget_usd"] = total if body.budget_usd is None else min(body.budget_usd, total)
    return request


@router.post("/batches", status_code=202, summary="Submit a batch of runs")
def submit_batch(body: BatchRequest, key: Writer, service: ServiceDep) -> BatchSubmitted:
    """Queue a batch; a worker carries it out with the batch runner, ``workers`` runs at a
    time, under the batch's budget."""
    request = batch_request(body, service, key)
    batch_id = new_batch_id()
    job = service.queue.submit(
        "batch", batch_id, request, key_id=key.id, batch_id=batch_id, size=len(body.runs)
    )
    return BatchSubmitted(
        batch_id=batch_id, job_id=job.id, size=len(body.runs),
        links={
            "self": f"/api/v1/batches/{batch_id}", "events": f"/api/v1/batches/{batch_id}/events",
            "dashboard": f"/dashboard/#/batches/{batch_id}",
        },
    )


@router.get("/batches", summary="List batches")
def list_batches(_: Reader, service: ServiceDep) -> list[dict[str, Any]]:
    return [
        {"id": batch_id, "created_at": created.isoformat(), "size": size}
        for batch_id, created, size in service.queue.batches()
    ]


def _known(batch_id: str, service: Service) -> None:
    checked_id(batch_id, "batch")
    if not service.queue.has_batch(batch_id):
        raise ProblemError(404, "not-found", f"no batch {batch_id!r}")


@router.get("/batches/{batch_id}", summary="A batch's runs and outcome distributions")
def get_batch(batch_id: str, _: Reader, service: ServiceDep) -> BatchSummary:
    _known(batch_id, service)
    jobs = service.queue.jobs(batch_id=batch_id)
    size = int(len(jobs[0].request.get("runs", ())) if jobs else 0)
    record = batch_record(service.layout, batch_id)
    items: list[RunItem] = []
    mechanisms: dict[str, list[float]] = {}
    for run_id in [] if record is None else record.run_ids:
        if not service.runs.has_run(run_id):
            continue
        stored = service.runs.load_record(run_id)
        item = item_of(RunSummary.of(stored, service.runs.lease_of(run_id)))
        items.append(item)
        if item.status == "completed":
            for mechanism, count in stored.mechanism_counts().items():
                mechanisms.setdefault(mechanism, []).append(float(count))
    counts = Counter(item.status for item in items)
    failed = any(job.status == "failed" for job in jobs)
    if len(items) < size:  # not started yet (or never, if the batch job failed)
        counts["failed" if failed else "queued"] += size - len(items)
    done = [item for item in items if item.status == "completed"]
    return BatchSummary(
        id=batch_id, created_at=min(job.created_at for job in jobs), size=size,
        status=dict(counts), error=next((job.error for job in jobs if job.error), None),
        runs=items,
        outcomes={
            name: _distribution([float(getattr(item, name)) for item in done])
            for name in _OUTCOMES
        },
        mechanisms={name: _distribution(values) for name, values in mechanisms.items()},
    )


@router.get(
    "/batches/{batch_id}/events",
    summary="Follow a batch (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def batch_events(
    batch_id: str,
    request: Request,
    _: Reader,
    service: ServiceDep,
    follow: bool = True,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The batch's events as SSE (``queued``, ``started``/``resumed``, a ``run`` event for
    each run's state change, ``batch`` with the counts, ``completed``/``failed``), from the
    start or after ``Last-Event-ID``; the stream ends when the batch job is over."""
    _known(batch_id, service)
    return event_stream(service, batch_id, request, follow, last_event_id)

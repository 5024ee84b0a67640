"""``/api/v1/runs``: submit runs and branches, list and read runs, follow them, download them.

Submitting only enqueues (202): a worker runs the job. Nothing is written for a request that
is refused: the body, the scenario, the model and the key's quota are all checked first.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from daedalus.exports import write_exports
from daedalus.exports.fountain import render_fountain
from daedalus.exports.narrative import render_narrative
from daedalus.exports.run_json import run_document
from daedalus.llm.registry import ModelRegistry
from daedalus.runs._api import new_run_id
from daedalus.service._problems import ProblemError
from daedalus.service._schemas import (
    BranchRequest,
    JobView,
    RunItem,
    RunPage,
    RunRequest,
    RunView,
    Submitted,
)
from daedalus.service._state import Reader, Service, ServiceDep, Writer, checked_id
from daedalus.service._views import dialogs_view, item_of, queued_item
from daedalus.service.keys import ApiKey
from daedalus.service.worker import scenario_of
from daedalus.store import RunSummary
from daedalus.templates import MAX_TEMPLATE_BYTES, list_templates

__all__ = ["EXPORTS", "event_stream", "router", "run_request", "shipped_templates"]

router = APIRouter(prefix="/api/v1", tags=["runs"])

EXPORTS: dict[str, tuple[str, str]] = {
    "json": ("json", "application/json"),
    "markdown": ("markdown", "text/markdown; charset=utf-8"),
    "fountain": ("fountain", "text/plain; charset=utf-8"),
    "jsonl": ("jsonl", "application/jsonl"),
    "graphml-timeline": ("graphml.timeline", "application/graphml+xml"),
    "graphml-exposures": ("graphml.exposures", "application/graphml+xml"),
}
"""Download name -> (the ``write_exports`` key, media type)."""

_POLL_S = 0.25
_KEEP_ALIVE_POLLS = 60
"""Polls (of ``_POLL_S``) without news after which a comment line keeps the stream open."""


@cache
def shipped_templates() -> frozenset[str]:
    root = resources.files("daedalus.templates")
    return frozenset(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


@cache
def _titles() -> dict[str, str]:
    """Shipped template id -> scenario name, so a search finds runs by their title too."""
    return {info.id: info.name for info in list_templates()}


def run_request(body: RunRequest, service: Service, key: ApiKey, runs: int = 1) -> dict[str, Any]:
    """The job request of ``body``, checked the way the worker will read it (422 on bad
    input, 413 on oversized YAML, 429 on a spent quota)."""
    if body.yaml is not None and len(body.yaml.encode("utf-8")) > MAX_TEMPLATE_BYTES:
        raise ProblemError(
            413, "too-large", f"yaml is larger than {MAX_TEMPLATE_BYTES:,} bytes; a template "
            "is a few kB",
        )
    if body.template is not None and body.template not in shipped_templates():
        raise ProblemError(
            422, "invalid-input",
            f"no shipped template {body.template!r}; GET /api/v1/templates lists them, or send "
            "'yaml'",
        )
    if body.model not in (None, "offline", "auto") and body.model not in ModelRegistry.default():
        raise ProblemError(
            422, "invalid-input", f"unknown model {body.model!r}; GET /api/v1/models lists them"
        )
    request = body.model_dump(exclude_none=True)
    scenario_of(request)  # a TemplateError here is a 422 before anything is queued
    allowance = service.guard.budget_for(key, service.layout.root, runs)
    if allowance is not None:
        wanted = body.budget_usd
        request["budget_usd"] = allowance if wanted is None else min(wanted, allowance)
        request["budget_mode"] = "hard"
    return request


def _links(run_id: str) -> dict[str, str]:
    base = f"/api/v1/runs/{run_id}"
    return {
        "self": base, "events": f"{base}/events", "record": f"{base}/record",
        "narrative": f"{base}/narrative", "dashboard": f"/dashboard/#/runs/{run_id}",
    }


@router.post("/runs", status_code=202, summary="Submit a run")
def submit_run(body: RunRequest, key: Writer, service: ServiceDep) -> Submitted:
    """Queue a run of a shipped template or of template YAML; a worker runs it."""
    request = run_request(body, service, key)
    run_id = new_run_id()
    job = service.queue.submit("run", run_id, request, key_id=key.id)
    return Submitted(run_id=run_id, job_id=job.id, links=_links(run_id))


def _matches(item: RunItem, text: str | None) -> bool:
    if not text:
        return True
    title = _titles().get(item.template, "")
    haystack = " ".join((item.id, item.template, title, item.model, item.mode, item.status))
    haystack = haystack.lower()
    return all(word in haystack for word in text.lower().split())


@router.get("/runs", summary="List runs")
def list_runs(
    _: Reader,
    service: ServiceDep,
    mode: Annotated[str | None, Query(max_length=32)] = None,
    template: Annotated[str | None, Query(max_length=128)] = None,
    status: Annotated[
        Literal["queued", "running", "completed", "failed", "interrupted"] | None, Query()
    ] = None,
    min_cost: Annotated[float | None, Query(ge=0)] = None,
    max_cost: Annotated[float | None, Query(ge=0)] = None,
    since: Annotated[datetime | None, Query(description="Started at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Started before.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in id, template, title or model.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RunPage:
    """Runs newest first, with queued ones on top, filtered by every parameter given."""
    stored: list[RunSummary] = service.runs.list_runs(template=template, limit=100_000)
    known = {s.id for s in stored}
    waiting = [
        queued_item(job) for job in reversed(service.queue.jobs(status="queued"))
        if job.kind == "run" and job.run_id not in known
    ]
    items = [*waiting, *(item_of(s) for s in stored)]

    def keep(item: RunItem) -> bool:
        started = item.started_at
        return (
            (mode is None or item.mode == mode)
            and (template is None or item.template == template)
            and (status is None or item.status == status)
            and (min_cost is None or item.cost_usd >= min_cost)
            and (max_cost is None or item.cost_usd <= max_cost)
            and (since is None or (started is not None and _aware(started) >= _aware(since)))
            and (until is None or (started is not None and _aware(started) < _aware(until)))
            and _matches(item, q)
        )

    chosen = [item for item in items if keep(item)]
    return RunPage(
        items=chosen[offset : offset + limit], total=len(chosen), limit=limit, offset=offset
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@router.get("/runs/{run_id}", summary="A run's status and progress")
def get_run(run_id: str, _: Reader, service: ServiceDep) -> RunView:
    checked_id(run_id, "run")
    jobs = [job for job in service.queue.jobs_of_run(run_id) if job.kind != "batch"]
    latest = service.queue.last_event(run_id)
    last = latest.data if latest is not None else None
    job_views = [
        JobView(id=j.id, kind=j.kind, status=j.status, attempts=j.attempts, error=j.error)
        for j in jobs
    ]
    if not service.runs.has_run(run_id):
        if not jobs:
            raise ProblemError(404, "not-found", f"no run {run_id!r}")
        item = queued_item(jobs[0])
        return RunView(
            **item.model_dump(), title=None, seed=jobs[0].request.get("seed"), jobs=job_views,
            last_event=last, branches=[], links=_links(run_id),
        )
    record = service.runs.load_record(run_id)
    summary = RunSummary.of(record, service.runs.lease_of(run_id))
    return RunView(
        **item_of(summary).model_dump(), title=record.title, seed=record.run.seed,
        jobs=job_views, last_event=last,
        branches=[b.model_dump(mode="json") for b in record.branches], links=_links(run_id),
    )


@router.get(
    "/runs/{run_id}/events",
    summary="Follow a run (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def run_events(
    run_id: str,
    request: Request,
    _: Reader,
    service: ServiceDep,
    follow: bool = True,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The run's events as SSE (``queued``, ``started``/``resumed``, the graph's progress
    events, ``completed``/``failed``), from the start or after ``Last-Event-ID``; the stream
    ends when no job of the run is left to do (or at once with ``follow=false``)."""
    checked_id(run_id, "run")
    has_run = await asyncio.to_thread(service.runs.has_run, run_id)
    jobs = await asyncio.to_thread(service.queue.jobs_of_run, run_id)
    if not has_run and not [j for j in jobs if j.kind != "batch"]:
        raise ProblemError(404, "not-found", f"no run {run_id!r}")
    return event_stream(service, run_id, request, follow, last_event_id)


def event_stream(
    service: Service, stream_id: str, request: Request, follow: bool, last_event_id: str | None
) -> StreamingResponse:
    """The events of a run (or of a batch) as Server-Sent Events, after ``last_event_id``;
    the stream ends when no job of it is left to do (at once when ``follow`` is False)."""
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0

    async def stream() -> AsyncIterator[str]:
        seen, quiet = after, 0
        while True:
            events = await asyncio.to_thread(service.queue.events, stream_id, seen)
            for event in events:
                seen = event.seq
                name = str(event.data.get("event", "message"))
                payload = json.dumps({**event.data, "at": event.at.isoformat()})
                yield f"id: {event.seq}\nevent: {name}\ndata: {payload}\n\n"
            pending = await asyncio.to_thread(service.queue.jobs_of_run, stream_id)
            busy = any(j.status in ("queued", "running") for j in pending)
            if not follow or (not busy and not events):
                yield "event: end\ndata: {}\n\n"
                return
            if await request.is_disconnected():
                return
            quiet = 0 if events else quiet + 1
            if quiet >= _KEEP_ALIVE_POLLS:
                quiet = 0
                yield ": keep-alive\n\n"
            await asyncio.sleep(_POLL_S)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@router.get("/runs/{run_id}/record", summary="A run's whole record (run.json)")
def get_record(run_id: str, _: Reader, service: ServiceDep) -> dict[str, Any]:
    return run_document(service.record(run_id))


@router.get(
    "/runs/{run_id}/narrative",
    summary="A run's narrative (Markdown)",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}}},
)
def get_narrative(run_id: str, _: Reader, service: ServiceDep) -> Response:
    text = render_narrative(service.record(run_id))
    return Response(text, media_type="text/markdown; charset=utf-8")


@router.get(
    "/runs/{run_id}/screenplay",
    summary="A run's dialogs as a Fountain screenplay",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def get_screenplay(run_id: str, _: Reader, service: ServiceDep) -> Response:
    text = render_fountain(service.record(run_id))
    return Response(text, media_type="text/plain; charset=utf-8")


@router.get("/runs/{run_id}/dialogs", summary="A run's dialogs")
def get_dialogs(run_id: str, _: Reader, service: ServiceDep) -> list[dict[str, Any]]:
    return dialogs_view(service.record(run_id))


@router.get(
    "/runs/{run_id}/exports/{export}",
    summary="Download an export",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_export(
    run_id: str,
    export: Literal[
        "json", "markdown", "fountain", "jsonl", "graphml-timeline", "graphml-exposures"
    ],
    _: Reader,
    service: ServiceDep,
) -> Response:
    """One export file of the run, rendered now (nothing is written to the store)."""
    record = service.record(run_id)
    key, media = EXPORTS[export]
    with tempfile.TemporaryDirectory(prefix="daedalus-export-") as folder:
        written = write_exports(record, folder, formats=[key.split(".")[0]])
        path = Path(written[key])
        data, name = path.read_bytes(), path.name
    return Response(
        data, media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{run_id}-{name}"'},
    )


@router.post("/runs/{run_id}/branches", status_code=202, summary="Branch a run")
def branch_run(
    run_id: str, body: BranchRequest, key: Writer, service: ServiceDep
) -> Submitted:
    """Queue a counterfactual branch of a finished forward-mode run after moment ``at``."""
    record = service.record(run_id)
    if record.run.mode.value == "portal":
        raise ProblemError(422, "invalid-input", "a PORTAL run cannot be branched")
    if record.run.status != "completed":
        raise ProblemError(409, "run-conflict", f"run {run_id!r} is {record.run.status}")
    if body.at not in {tp.id for tp in record.timepoints}:
        raise ProblemError(422, "invalid-input", f"run {run_id!r} has no timepoint {body.at!r}")
    if body.branch_id is not None and body.branch_id in {b.id for b in record.branches}:
        raise ProblemError(409, "run-conflict", f"branch {body.branch_id!r} already exists")
    service.guard.budget_for(key, service.layout.root)  # a spent quota refuses branches too
    taken = {b.id for b in record.branches} | {
        str(j.request.get("branch_id")) for j in service.queue.jobs_of_run(run_id)
        if j.kind == "branch" and j.status in ("queued", "running")
    }
    if body.branch_id in taken:
        raise ProblemError(409, "run-conflict", f"branch {body.branch_id!r} is already queued")
    # Named now, so a job taken over after a worker died continues this branch, not a new one.
    name = body.branch_id or next(f"w{n}" for n in range(1, 10_000) if f"w{n}" not in taken)
    request = {**body.model_dump(exclude_none=True), "branch_id": name}
    job = service.queue.submit("branch", run_id, request, key_id=key.id)
    return Submitted(run_id=run_id, job_id=job.id, links=_links(run_id))


@router.post("/runs/{run_id}/resume", status_code=202, summary="Resume a stopped run")
def resume_run(run_id: str, key: Writer, service: ServiceDep) -> Submitted:
    """Queue the continuation of an interrupted or failed run from its last checkpoint (paid
    calls are not paid again). A completed run, or one with a job still to do, is a 409."""
    record = service.record(run_id)
    pending = [j for j in service.queue.jobs_of_run(run_id) if j.status in ("queued", "running")]
    if record.run.status == "completed" or pending:
        state = "completed" if not pending else f"already {pending[0].status} in a worker"
        raise ProblemError(409, "run-conflict", f"run {run_id!r} is {state}; nothing to resume")
    service.guard.budget_for(key, service.layout.root)
    job = service.queue.submit("run", run_id, {"resume": True}, key_id=key.id)
    return Submitted(run_id=run_id, job_id=job.id, links=_links(run_id))

"""The FastAPI app: the REST API under ``/api/v1`` and the dashboard under ``/dashboard/``.

``create_app(store)`` builds an app serving one store directory; with ``worker=True`` (the
default) ``workers`` worker threads beside it run the queued jobs. ``app`` is the app of
``$DAEDALUS_HOME`` (else ``./daedalus_runs``), the one ``langgraph.json`` mounts next to the
mode graphs (``http.app``) so a single LangGraph server process serves both.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from daedalus.service import batches, catalog, provenance, runs, worlds
from daedalus.service._auth import RateLimiter
from daedalus.service._problems import install_problem_handlers, problem
from daedalus.service._state import Service
from daedalus.service.dashboard import mount_dashboard
from daedalus.service.worker import Worker
from daedalus.store import StoreLayout
from daedalus.store._url import is_postgres_url
from daedalus.templates import MAX_TEMPLATE_BYTES

__all__ = ["MAX_BODY_BYTES", "app", "create_app"]

MAX_BODY_BYTES = MAX_TEMPLATE_BYTES + 64_000
"""The largest request body read: one template's YAML and the fields around it."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse (413) a request whose body is larger than ``limit`` bytes, before any handler
    sees it; bodies within the limit are passed on unchanged."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[Message] = []
        size = 0
        more = scope.get("method") in ("POST", "PUT", "PATCH")
        while more:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            more = message.get("type") == "http.request" and message.get("more_body", False)

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, "too-large", f"the request body is larger than {self.limit:,} bytes",
            scope.get("path"),
        )
        await response(scope, receive, send)


def create_app(
    store: str | os.PathLike[str] | None = None,
    *,
    worker: bool = True,
    workers: int = 1,
    limiter: RateLimiter | None = None,
) -> FastAPI:
    """The API and dashboard of the store directory ``store`` (default ``$DAEDALUS_HOME``),
    with ``workers`` worker threads running the queued jobs (none when ``worker`` is False)."""
    source = str(store) if store is not None and is_postgres_url(str(store)) else None
    layout = StoreLayout.at(store)
    service = Service(layout, limiter or RateLimiter(), source)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        layout.create()
        running = [
            Worker(layout, queue=service.queue, source=source).start()
            for _ in range(workers if worker else 0)
        ]
        try:
            yield
        finally:
            for each in running:
                each.stop()
            service.close()

    api = FastAPI(
        title="Daedalus",
        version="1",
        summary="Submit, follow and explore temporal simulations.",
        lifespan=lifespan,
        # Under /api/v1, so the LangGraph server's own /docs and /openapi.json stay its own.
        docs_url="/api/v1/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url="/api/v1/docs/oauth2-redirect",
    )
    api.state.service = service
    install_problem_handlers(api)
    for module in (runs, provenance, batches, catalog):
        api.include_router(module.router)
    api.include_router(worlds.router)

    @api.get("/api/v1/health", tags=["service"], summary="Liveness")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    mount_dashboard(api)
    api.add_middleware(BodyLimit)
    return api


app = create_app()
"""The app of the default store (``$DAEDALUS_HOME``), for ``langgraph.json`` and uvicorn."""

"""Helpers shared by the service tests: an app on a temporary store, keys, and running jobs."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from daedalus.service import Worker, create_app
from daedalus.service._auth import RateLimiter
from daedalus.store import StoreLayout

PROBLEM = "application/problem+json"


@dataclass
class Served:
    """A test client of an app on ``root``, a write key and a read key."""

    client: TestClient
    root: Path
    write: str
    read: str

    @property
    def service(self) -> Any:
        return self.client.app.state.service  # type: ignore[attr-defined]

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.write}"}

    def get(self, path: str, token: str | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(token), **kw)

    def post(self, path: str, body: Any = None, token: str | None = None, **kw: Any) -> Any:
        return self.client.post(path, json=body, headers=self.headers(token), **kw)

    def drain(self) -> int:
        """Run every queued job in this thread; returns how many ran."""
        worker = Worker(StoreLayout(self.root), queue=self.service.queue)
        count = 0
        while worker.run_once():
            count += 1
        return count


@contextmanager
def served(root: Path, limiter: RateLimiter | None = None) -> Iterator[Served]:
    """An app without a worker thread (tests run the jobs with ``Served.drain``)."""
    app = create_app(root, worker=False, limiter=limiter)
    with TestClient(app) as client:
        service = app.state.service
        _, write = service.keys.create("write", name="tests")
        _, read = service.keys.create("read", name="tests")
        yield Served(client, root, write, read)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The problem document of ``response``, checked to be RFC 9457 with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:daedalus:problem:")
    assert body["title"] and body["detail"]
    return dict(body)


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(1000):  # until it listens (a hang guard, not a timing)
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.02)
        assert server.started, "the server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()

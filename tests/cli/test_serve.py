"""``daedalus serve`` runs the app on uvicorn; ``daedalus worker`` drains the queue."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from daedalus.service import JobQueue, ServiceDb, Worker
from tests.cli.support import invoke


def test_serve_runs_the_app_of_the_store_on_uvicorn(tmp_path, monkeypatch: pytest.MonkeyPatch):
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    result = invoke("serve", "--store", tmp_path, "--port", "8123", "--no-worker")
    assert result.exit_code == 0, result.output
    assert isinstance(seen["app"], FastAPI) and seen["port"] == 8123 and seen["host"] == "127.0.0.1"
    assert seen["app"].state.service.layout.root == tmp_path
    assert "http://127.0.0.1:8123/dashboard/" in result.stderr


def test_worker_runs_queued_jobs(tmp_path, monkeypatch: pytest.MonkeyPatch):
    queue = JobQueue(ServiceDb(tmp_path / "service.sqlite"))
    job = queue.submit("run", "run_cli", {"template": "board_meeting"})

    def serve_once(self: Worker) -> None:
        while self.run_once():
            pass

    monkeypatch.setattr(Worker, "serve", serve_once)
    result = invoke("worker", "--store", tmp_path)
    assert result.exit_code == 0, result.output
    assert queue.get(job.id).status == "done"


def test_serve_refuses_a_store_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = invoke("serve", "--store", target)
    assert result.exit_code == 2 and "is a file" in result.stderr


def test_serve_starts_the_worker_threads_asked_for(tmp_path, monkeypatch: pytest.MonkeyPatch):
    started: list[Worker] = []
    monkeypatch.setattr(Worker, "start", lambda self: started.append(self) or self)
    monkeypatch.setattr(Worker, "stop", lambda self, wait_s=5.0: None)

    def run(app: FastAPI, **kw: Any) -> None:
        with TestClient(app):  # runs the lifespan: the workers start, then stop
            pass

    monkeypatch.setattr(uvicorn, "run", run)
    assert invoke("serve", "--store", tmp_path, "--workers", "3").exit_code == 0
    assert len(started) == 3
    started.clear()
    assert invoke("serve", "--store", tmp_path, "--no-worker").exit_code == 0
    assert started == []
    assert invoke("serve", "--store", tmp_path, "--workers", "0").exit_code == 2

"""The app: its OpenAPI schema is pinned, langgraph.json mounts it, every error is a problem
document, and generated requests against the schema never get a 5xx."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from daedalus.service import create_app
from tests.service.support import assert_problem, served

ROOT = Path(__file__).resolve().parents[2]
PINNED = Path(__file__).with_name("openapi.json")
UPDATE_ENV = "DAEDALUS_UPDATE_OPENAPI"


def test_the_openapi_schema_is_pinned(tmp_path):
    schema = create_app(tmp_path, worker=False).openapi()
    if os.environ.get(UPDATE_ENV):
        PINNED.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert schema == pinned, (
        f"the API changed; review it, then rewrite {PINNED.name} with {UPDATE_ENV}=1"
    )
    paths = set(schema["paths"])
    assert {
        "/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/runs/{run_id}/events",
        "/api/v1/runs/{run_id}/record", "/api/v1/runs/{run_id}/narrative",
        "/api/v1/runs/{run_id}/screenplay", "/api/v1/runs/{run_id}/dialogs",
        "/api/v1/runs/{run_id}/exports/{export}", "/api/v1/runs/{run_id}/knowledge",
        "/api/v1/runs/{run_id}/branches", "/api/v1/batches", "/api/v1/batches/{batch_id}",
        "/api/v1/batches/{batch_id}/events",
        "/api/v1/templates", "/api/v1/models", "/api/v1/estimate",
    } <= paths
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schema["components"]["securitySchemes"])


def test_langgraph_json_mounts_the_app_by_path(tmp_path):
    config = json.loads((ROOT / "langgraph.json").read_text())
    path, _, attribute = config["http"]["app"].partition(":")
    spec = importlib.util.spec_from_file_location("served_app", ROOT / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = getattr(module, attribute)
    assert isinstance(app, FastAPI)
    routes = {getattr(route, "path", "") for route in app.routes}
    assert {"/api/v1/openapi.json", "/api/v1/docs", "/dashboard"} <= routes
    assert "/api/v1/runs/{run_id}/events" in app.openapi()["paths"]
    # The LangGraph server keeps its own /docs, /openapi.json and /ok.
    assert not any(route in ("/docs", "/openapi.json", "/ok") or route.startswith("/docs/")
                   for route in routes)
    with TestClient(create_app(tmp_path, worker=False)) as client:
        assert client.get("/api/v1/health").json() == {"status": "ok"}


def test_unknown_paths_and_methods_are_problems(fresh):
    assert_problem(fresh.get("/api/v1/nothing-here"), 404)
    assert_problem(fresh.client.delete("/api/v1/runs", headers=fresh.headers()), 405)
    assert fresh.client.get("/", follow_redirects=False).headers["location"] == "/dashboard/"


FUZZ_EXAMPLES = 3
"""Generated requests per operation here (a bounded run); ``python -m bench`` runs longer."""


def test_generated_requests_never_get_a_server_error(tmp_path):
    with served(tmp_path) as app:
        loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app.client.app)
        # Following a queued run's events waits for a worker this app does not have.
        operations = [
            result.ok() for result in loaded.get_all_operations()
            if not result.ok().path.endswith("/events")
        ]
        assert len(operations) >= 18
        failures: list[str] = []
        statuses: list[int] = []
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck),
            )
            def one(case) -> None:  # type: ignore[no-untyped-def]
                response = case.call(headers=app.headers())
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

            one()
        assert failures == []
        assert any(status < 300 for status in statuses)  # the key is accepted: not all refused


def test_an_unexpected_failure_is_a_500_problem_that_tells_nothing(tmp_path, monkeypatch, capsys):
    app = create_app(tmp_path, worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        _, key = app.state.service.keys.create("read")

        def broken(*args, **kwargs):
            raise RuntimeError("internal detail /secret/path")

        monkeypatch.setattr(app.state.service.runs, "list_runs", broken)
        response = client.get("/api/v1/runs", headers={"Authorization": f"Bearer {key}"})
    problem = assert_problem(response, 500)
    assert "secret" not in response.text and problem["detail"] == "the server failed; see its log"
    logged = capsys.readouterr()
    assert "request failed" in logged.out + logged.err  # logged: the path and the error type
    assert key not in logged.out + logged.err

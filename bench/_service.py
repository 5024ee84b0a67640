"""The service under load on loopback: read latency while runs execute, and no 5xx when fuzzed.

A store is seeded with finished runs; ``daedalus serve --no-worker`` serves it from one process
and ``daedalus worker`` runs freshly submitted runs in another, so runs execute while ``clients``
concurrent clients (threads with their own HTTP connection) each make a bounded number of reads:
list runs (filtered), a run's status, record, timeline, dialogs and a provenance query. The
target is MILESTONES' p95 read latency of at most 500 ms. Then schemathesis generates requests
against the OpenAPI schema (in process) and counts server errors (target 0). The smoke version
serves from threads of this process instead (seconds, for the test suite; never timed there).
"""

from __future__ import annotations

import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench._measure import Report, at_most, exactly, figure
from daedalus.runs import run
from daedalus.service import JobQueue, KeyStore, ServiceDb, Worker, create_app
from daedalus.store import StoreLayout

__all__ = ["fuzz_server_errors", "service"]

P95_TARGET_MS = 500.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _daedalus(*args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    code = "from daedalus.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(3000):
        if process.poll() is not None:
            raise RuntimeError("the server exited before it listened")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not start")


@contextmanager
def _processes(store: Path) -> Iterator[str]:
    """``daedalus serve --no-worker`` and ``daedalus worker`` processes on ``store``."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _daedalus("serve", "--no-worker", "--store", str(store), "--port", str(port))
    worker = _daedalus("worker", "--store", str(store), "--poll", "0.05")
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait()


@contextmanager
def _threads(store: Path) -> Iterator[str]:
    """The app on uvicorn and a worker, each in a thread of this process."""
    import uvicorn

    port = _free_port()
    app = create_app(store, worker=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    worker = Worker(StoreLayout(store), poll_s=0.05).start()
    try:
        for _ in range(3000):
            if server.started:
                break
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        worker.stop(wait_s=60.0)
        server.should_exit = True
        serving.join()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def _client_loop(
    base: str, token: str, paths: list[str], count: int, out: list[tuple[float, int]]
) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=60.0) as client:
        for path in itertools.islice(itertools.cycle(paths), count):
            started = time.perf_counter()
            status = client.get(path).status_code
            out.append(((time.perf_counter() - started) * 1000.0, status))


def _read_paths(run_ids: list[str], entity: str, moment: str) -> list[str]:
    paths = ["/api/v1/runs?limit=50", "/api/v1/runs?mode=pearl&q=board"]
    for run_id in run_ids:
        base = f"/api/v1/runs/{run_id}"
        paths += [base, f"{base}/record", f"{base}/timeline", f"{base}/dialogs",
                  f"{base}/knowledge?entity={entity}&at={moment}"]
    return paths


def fuzz_server_errors(examples: int) -> dict[str, Any]:
    """Requests schemathesis generated for every operation and the 5xx among them."""
    import schemathesis
    from fastapi.testclient import TestClient
    from hypothesis import HealthCheck, given, settings

    with tempfile.TemporaryDirectory(prefix="daedalus-fuzz-") as folder:
        app = create_app(folder, worker=False)
        with TestClient(app):
            _, token = app.state.service.keys.create("write", rate_per_minute=10**6)
            schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
            statuses: Counter[int] = Counter()
            errors: list[str] = []
            for result in schema.get_all_operations():
                operation = result.ok()
                if operation.path.endswith("/events"):
                    continue  # follows a queued run until a worker (absent here) ends it

                @given(case=operation.as_strategy())
                @settings(max_examples=examples, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                def one(case: Any) -> None:
                    response = case.call(headers={"Authorization": f"Bearer {token}"})
                    statuses[response.status_code] += 1
                    if response.status_code >= 500:
                        errors.append(f"{case.method} {case.formatted_path}")

                one()
    return {"requests": sum(statuses.values()), "statuses": dict(statuses), "errors": errors}


def service(smoke: bool = False) -> Report:
    clients, per_client, seeded, background = (2, 6, 1, 1) if smoke else (16, 60, 6, 6)
    latency = 0.0 if smoke else 0.01
    with tempfile.TemporaryDirectory(prefix="daedalus-service-") as folder:
        store = Path(folder)
        finished = [run("board_meeting", store=store, seed=seed).id for seed in range(seeded)]
        db = ServiceDb(store / "service.sqlite")
        _, token = KeyStore(db).create("write", rate_per_minute=10**6)
        queue = JobQueue(db)
        with (_threads if smoke else _processes)(store) as base:
            submitted = [
                httpx.post(
                    f"{base}/api/v1/runs", headers={"Authorization": f"Bearer {token}"},
                    json={"template": "board_meeting", "seed": 100 + n, "offline_latency": latency},
                ).json()["run_id"]
                for n in range(background)
            ]
            paths = _read_paths(finished, "maya_okonkwo", "tp-001")
            samples: list[list[tuple[float, int]]] = [[] for _ in range(clients)]
            threads = [
                threading.Thread(target=_client_loop, args=(base, token, paths, per_client, out))
                for out in samples
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            events = {
                run_id: [e.data["event"] for e in queue.events(run_id)] for run_id in submitted
            }
        db.close()
    fuzz = fuzz_server_errors(1 if smoke else 25)
    flat = [sample for out in samples for sample in out]
    millis = [ms for ms, _ in flat]
    failed = sum(1 for _, status in flat if status != 200)
    executing = sum(1 for names in events.values() if "started" in names)
    return Report(
        benchmark="service",
        measurements=(
            at_most("read_p95_ms", _percentile(millis, 0.95), "ms", P95_TARGET_MS,
                    note="reads while runs execute in a worker process"),
            figure("read_median_ms", statistics.median(millis), "ms"),
            figure("read_p99_ms", _percentile(millis, 0.99), "ms"),
            figure("reads_per_second", len(flat) / wall, "req/s"),
            exactly("read_errors", failed, "responses", 0),
            figure("runs_started_during_load", executing, "runs"),
            exactly("fuzz_server_errors", len(fuzz["errors"]), "responses", 0),
            figure("fuzz_requests", fuzz["requests"], "requests"),
        ),
        parameters={"smoke": smoke, "clients": clients, "reads_per_client": per_client,
                    "seeded_runs": seeded, "background_runs": background,
                    "offline_latency_s": latency},
        details={"fuzz_statuses": fuzz["statuses"], "fuzz_errors": fuzz["errors"][:20],
                 "background_events": events},
    )

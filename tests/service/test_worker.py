"""The worker: jobs run outside requests, a failure fails the job (the run stays resumable),
and a worker killed mid-run leaves a job the next worker takes over and resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from daedalus.service import Job, Worker
from daedalus.service._batch_jobs import batch_record
from daedalus.service.jobs import EventSink
from daedalus.store import StoreLayout
from tests.service.support import Served

HANG_GUARD_S = 120.0
"""Only a hang fails on this: the test waits for events, it never measures how fast they come."""


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_a_worker_killed_mid_run_is_taken_over_and_the_run_resumes(fresh: Served, tmp_path: Path):
    submitted = fresh.post(
        "/api/v1/runs", {"template": "board_meeting", "seed": 4, "offline_latency": 0.02}
    ).json()
    run_id = submitted["run_id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "daedalus.service.worker", "--store", str(fresh.root),
         "--poll", "0.02"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    queue = fresh.service.queue
    try:
        _wait_for(
            lambda: any(e.data["event"] == "timepoint" for e in queue.events(run_id)),
            "the first moment of the run",
        )
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    cut = fresh.get(f"/api/v1/runs/{run_id}").json()
    assert cut["status"] == "interrupted"  # its worker is gone: the API says so at once
    assert cut["jobs"][0]["status"] == "running" and cut["last_event"]["event"] != "completed"

    assert fresh.drain() == 1  # the next worker takes the orphaned job over
    view = fresh.get(f"/api/v1/runs/{run_id}").json()
    assert view["status"] == "completed" and view["jobs"][0]["attempts"] == 2
    names = [e.data["event"] for e in queue.events(run_id)]
    assert names.count("started") == 1 and names.count("resumed") == 1
    assert names[-1] == "completed"
    assert view["timepoints"] > 0


class Exploding:
    def execute(self, job: Job, events: EventSink, *, resumed: bool) -> None:
        events({"event": "timepoint", "index": 0, "of": 1, "id": "tp-000"})
        raise RuntimeError("boom")


def test_a_failing_job_is_recorded_as_failed_and_the_worker_goes_on(fresh: Served):
    first = fresh.post("/api/v1/runs", {"template": "board_meeting"}).json()
    second = fresh.post("/api/v1/runs", {"template": "board_meeting"}).json()
    worker = Worker(StoreLayout(fresh.root), Exploding(), queue=fresh.service.queue)
    assert worker.run_once() and worker.run_once() and not worker.run_once()
    for submitted in (first, second):
        view = fresh.get(f"/api/v1/runs/{submitted['run_id']}").json()
        assert view["status"] == "failed"
        assert view["jobs"][0]["error"] == "RuntimeError: boom"
        assert view["last_event"]["event"] == "failed"


def test_a_worker_thread_runs_jobs_in_the_background(fresh: Served):
    run_id = fresh.post("/api/v1/runs", {"template": "board_meeting"}).json()["run_id"]
    worker = Worker(StoreLayout(fresh.root), queue=fresh.service.queue, poll_s=0.02).start()
    try:
        events = fresh.get(f"/api/v1/runs/{run_id}/events").text  # follows until the job ends
    finally:
        worker.stop()
    assert "event: completed" in events
    assert fresh.get(f"/api/v1/runs/{run_id}").json()["status"] == "completed"


def test_a_branch_job_retried_after_its_branch_was_saved_does_not_branch_again(fresh: Served):
    run_id = fresh.post("/api/v1/runs", {"template": "board_meeting"}).json()["run_id"]
    fresh.drain()
    fresh.post(f"/api/v1/runs/{run_id}/branches", {"at": "tp-000", "intervention": "A walkout."})
    fresh.drain()
    before = fresh.get(f"/api/v1/runs/{run_id}/timeline").json()["nodes"]
    # As if the worker died after saving the branch, before marking its job done.
    fresh.service.queue.submit(
        "branch", run_id, {"at": "tp-000", "intervention": "A walkout.", "branch_id": "w1"}
    )
    assert fresh.drain() == 1
    view = fresh.get(f"/api/v1/runs/{run_id}").json()
    assert [b["id"] for b in view["branches"] if b["id"] != "main"] == ["w1"]
    assert [j["status"] for j in view["jobs"]] == ["done", "done", "done"]
    assert fresh.get(f"/api/v1/runs/{run_id}/timeline").json()["nodes"] == before


def test_a_worker_killed_mid_batch_is_taken_over_and_the_batch_resumes(fresh: Served):
    runs = [{"template": "board_meeting", "seed": seed} for seed in (1, 2)]
    body = {"runs": runs, "workers": 1}
    batch_id = fresh.post("/api/v1/batches", body).json()["batch_id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "daedalus.service.worker", "--store", str(fresh.root),
         "--poll", "0.02"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    queue = fresh.service.queue

    def second_started() -> bool:
        record = batch_record(StoreLayout(fresh.root), batch_id)
        return record is not None and fresh.service.runs.has_run(record.run_ids[1])

    try:
        _wait_for(second_started, "the batch's second run")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    cut = fresh.get(f"/api/v1/batches/{batch_id}").json()
    assert cut["status"] == {"completed": 1, "interrupted": 1}  # its worker is gone

    assert fresh.drain() == 1  # the next worker continues the batch with resume_batch
    done = fresh.get(f"/api/v1/batches/{batch_id}").json()
    assert done["status"] == {"completed": 2}
    names = [e.data["event"] for e in queue.events(batch_id)]
    assert names.count("started") == 1 and names.count("resumed") == 1
    assert names[-1] == "completed"
    reran = [
        e.data["index"] for e in queue.events(batch_id)[names.index("resumed"):]
        if e.data["event"] == "run" and e.data["state"] == "running"
    ]
    assert reran == [1]  # the completed run is kept, only the cut one continues
    assert queue.jobs(batch_id=batch_id)[0].attempts == 2

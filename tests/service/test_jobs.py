"""The job queue: order, take-over of jobs whose worker died, events, whole batches."""

from __future__ import annotations

import pytest

from daedalus.service import JobQueue, ServiceDb


@pytest.fixture
def queue(tmp_path) -> JobQueue:
    return JobQueue(ServiceDb(tmp_path / "service.sqlite"), stale_s=30.0)


def test_jobs_are_claimed_oldest_first_and_once(queue: JobQueue):
    a = queue.submit("run", "run_a", {"template": "board_meeting"})
    b = queue.submit("run", "run_b", {"template": "board_meeting"})
    claimed = queue.claim("host:1:x")
    assert claimed is not None and claimed[0].id == a.id and claimed[1] is False
    assert claimed[0].status == "running" and claimed[0].attempts == 1
    second = queue.claim("host:1:y")
    assert second is not None and second[0].id == b.id
    assert queue.claim("host:1:z") is None  # both held by live workers
    queue.finish(a.id, "host:1:x")
    queue.finish(b.id, "host:1:y", error="it broke")
    assert queue.get(a.id).status == "done" and queue.get(b.id).status == "failed"
    assert queue.get(b.id).error == "it broke"


def test_a_job_whose_worker_stopped_beating_is_taken_over(tmp_path):
    queue = JobQueue(ServiceDb(tmp_path / "service.sqlite"), stale_s=0.0)
    job = queue.submit("run", "run_a", {})
    assert queue.claim("host:1:first") is not None
    taken = queue.claim("host:1:second")
    assert taken is not None and taken[0].id == job.id and taken[1] is True
    assert taken[0].owner == "host:1:second" and taken[0].attempts == 2
    queue.finish(job.id, "host:1:first")  # the old owner no longer holds it: nothing changes
    assert queue.get(job.id).status == "running"


def test_events_are_numbered_per_run_and_read_after_a_number(queue: JobQueue):
    queue.submit("run", "run_a", {})
    queue.append_event("run_a", {"event": "timepoint", "index": 0})
    queue.append_event("run_b", {"event": "timepoint", "index": 0})
    events = queue.events("run_a")
    assert [e.seq for e in events] == [1, 2] and events[0].data["event"] == "queued"
    assert [e.data["event"] for e in queue.events("run_a", after=1)] == ["timepoint"]
    assert [e.seq for e in queue.events("run_b")] == [1]


def test_a_batch_is_queued_whole(queue: JobQueue):
    jobs = queue.submit_many([("run", "r1", {}), ("run", "r2", {})], batch_id="batch_1")
    assert {j.batch_id for j in jobs} == {"batch_1"} and queue.has_batch("batch_1")
    with pytest.raises(Exception, match="UNIQUE"):
        queue.submit_many([("run", "r3", {})], batch_id="batch_1")
    assert [j.run_id for j in queue.jobs()] == ["r1", "r2"]  # the refused batch left nothing

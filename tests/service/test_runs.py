"""``/api/v1/runs``: submit, follow, list with filters, read, download and branch a run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from daedalus.exports.narrative import render_narrative
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.templates import MAX_TEMPLATE_BYTES
from tests.service.support import Served, assert_problem


def sse_events(text: str) -> list[tuple[str, dict]]:
    """(event name, data) of every event of a Server-Sent Events body."""
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        found.append((fields.get("event", "message"), json.loads(fields.get("data", "{}"))))
    return found


def shipped_yaml(template_id: str) -> str:
    return (resources.files("daedalus.templates") / f"{template_id}.yaml").read_text("utf-8")


def test_a_submitted_run_is_queued_then_run_by_a_worker_and_its_events_stream(fresh: Served):
    response = fresh.post("/api/v1/runs", {"template": "board_meeting", "seed": 1})
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    queued = fresh.get(f"/api/v1/runs/{run_id}").json()
    assert queued["status"] == "queued" and queued["jobs"][0]["status"] == "queued"
    assert fresh.get("/api/v1/runs").json()["items"][0]["status"] == "queued"
    assert_problem(fresh.get(f"/api/v1/runs/{run_id}/narrative"), 404)  # not started yet

    assert fresh.drain() == 1
    view = fresh.get(f"/api/v1/runs/{run_id}").json()
    assert view["status"] == "completed" and view["timepoints"] > 0 and view["offline"]
    assert view["jobs"][0]["status"] == "done" and view["last_event"]["event"] == "completed"

    body = fresh.get(f"/api/v1/runs/{run_id}/events").text  # ends: no job is left to do
    names = [name for name, _ in sse_events(body)]
    assert names[:2] == ["queued", "started"] and names[-2:] == ["completed", "end"]
    timepoints = [data for name, data in sse_events(body) if name == "timepoint"]
    assert timepoints and len(timepoints) == timepoints[-1]["of"]  # one per planned moment
    moments = {node["id"] for node in fresh.get(f"/api/v1/runs/{run_id}/timeline").json()["nodes"]}
    assert {data["id"] for data in timepoints} <= moments
    resumed = fresh.client.get(
        f"/api/v1/runs/{run_id}/events",
        headers={**fresh.headers(), "Last-Event-ID": str(len(names) - 2)},
    )
    assert [name for name, _ in sse_events(resumed.text)] == ["completed", "end"]


def test_reads_of_a_finished_run(finished: tuple[Served, str]):
    app, run_id = finished
    record = app.get(f"/api/v1/runs/{run_id}/record").json()
    assert record["run"]["id"] == run_id and record["timepoints"]
    with SqliteRunStore(StoreLayout(app.root).runs_db) as runs:
        stored = runs.load_record(run_id)
    narrative = app.get(f"/api/v1/runs/{run_id}/narrative")
    assert narrative.headers["content-type"].startswith("text/markdown")
    assert narrative.text == render_narrative(stored)
    screenplay = app.get(f"/api/v1/runs/{run_id}/screenplay").text
    assert screenplay.startswith("Title:")
    dialogs = app.get(f"/api/v1/runs/{run_id}/dialogs").json()
    assert len(dialogs) == len(stored.dialogs) and dialogs[0]["turns"][0]["content"]
    names = {e.name for e in stored.entities}
    assert set(dialogs[0]["participants"]) <= names


@pytest.mark.parametrize(
    ("export", "starts"),
    [("json", b"{"), ("markdown", b"# "), ("fountain", b"Title:"), ("jsonl", b'{"messages"'),
     ("graphml-timeline", b"<?xml"), ("graphml-exposures", b"<?xml")],
)
def test_each_export_downloads_as_an_attachment(finished: tuple[Served, str], export, starts):
    app, run_id = finished
    response = app.get(f"/api/v1/runs/{run_id}/exports/{export}")
    assert response.status_code == 200
    assert response.content.startswith(starts)
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{run_id}-')
    assert not (app.root / "exports").exists()  # rendered for the response, not kept


def test_listing_filters_by_every_field(finished: tuple[Served, str]):
    app, run_id = finished

    def ids(**params) -> list[str]:
        response = app.get("/api/v1/runs", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [run_id]
    assert ids(mode="pearl", template="board_meeting", status="completed") == [run_id]
    assert ids(mode="portal") == [] and ids(template="heist_reverse") == []
    assert ids(status="failed") == []
    assert ids(min_cost=0, max_cost=0) == [run_id] and ids(min_cost=0.01) == []
    now = datetime.now(UTC)
    assert ids(since=(now - timedelta(hours=1)).isoformat()) == [run_id]
    assert ids(until=(now - timedelta(hours=1)).isoformat()) == []
    assert ids(q="board") == [run_id] and ids(q="board nothing") == []
    assert ids(q="quarterly MEETING") == [run_id]  # words of the scenario's title
    page = app.get("/api/v1/runs", params={"limit": 1, "offset": 1}).json()
    assert page["items"] == [] and page["total"] == 1


def test_a_run_from_yaml_text_and_a_branch_of_it(fresh: Served):
    response = fresh.post("/api/v1/runs", {"yaml": shipped_yaml("board_meeting"), "seed": 2})
    run_id = response.json()["run_id"]
    fresh.drain()
    timeline = fresh.get(f"/api/v1/runs/{run_id}/timeline").json()
    fork = timeline["nodes"][0]["id"]
    branch = fresh.post(
        f"/api/v1/runs/{run_id}/branches",
        {"at": fork, "intervention": "The chair resigns on the spot.", "branch_id": "quit"},
    )
    assert branch.status_code == 202, branch.text
    fresh.drain()
    view = fresh.get(f"/api/v1/runs/{run_id}").json()
    assert [j["kind"] for j in view["jobs"]] == ["run", "branch"]
    assert {"quit"} <= {b["id"] for b in view["branches"]}
    moments = fresh.get(f"/api/v1/runs/{run_id}/timeline").json()["nodes"]
    assert any(node["branch"] == "quit" for node in moments)
    again = fresh.post(
        f"/api/v1/runs/{run_id}/branches", {"at": fork, "intervention": "x", "branch_id": "quit"}
    )
    assert_problem(again, 409)
    unnamed = fresh.post(f"/api/v1/runs/{run_id}/branches", {"at": fork, "intervention": "y"})
    queued = fresh.service.queue.get(unnamed.json()["job_id"])
    assert queued.request["branch_id"] == "w1"  # named at submission: a retry continues it
    twice = fresh.post(
        f"/api/v1/runs/{run_id}/branches", {"at": fork, "intervention": "z", "branch_id": "w1"}
    )
    assert "already queued" in assert_problem(twice, 409)["detail"]


def _nothing_written(app: Served) -> None:
    assert app.service.queue.jobs() == []
    with SqliteRunStore(StoreLayout(app.root).runs_db) as runs:
        assert runs.list_runs() == []


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"template": "board_meeting", "yaml": "id: x"}, 422, "exactly one"),
        ({}, 422, "exactly one"),
        ({"template": "no_such_template"}, 422, "no shipped template"),
        ({"template": "../../etc/passwd"}, 422, "template"),
        ({"yaml": "id: [unclosed"}, 422, "not valid YAML"),
        ({"yaml": "id: x\nmode: pearl\n"}, 422, "required field"),
        ({"yaml": "x: " + "a" * (MAX_TEMPLATE_BYTES + 10)}, 413, "larger than"),
        ({"template": "board_meeting", "seed": -1}, 422, "seed"),
        ({"template": "board_meeting", "model": "no/such-model"}, 422, "unknown model"),
        ({"template": "board_meeting", "extra": 1}, 422, "extra"),
        ({"template": "board_meeting", "offline_latency": 50}, 422, "offline_latency"),
    ],
)
def test_bad_submissions_are_problems_and_write_nothing(fresh: Served, body, status, words):
    problem = assert_problem(fresh.post("/api/v1/runs", body), status)
    assert words.lower() in problem["detail"].lower()
    _nothing_written(fresh)


def test_malformed_and_oversized_bodies_are_refused_before_any_handler(fresh: Served):
    raw = fresh.client.post(
        "/api/v1/runs", content=b"{not json", headers={**fresh.headers(), "content-type": "application/json"}
    )
    assert_problem(raw, 422)
    huge = b'{"yaml": "' + b"a" * (2 * MAX_TEMPLATE_BYTES) + b'"}'
    too_big = fresh.client.post(
        "/api/v1/runs", content=huge, headers={**fresh.headers(), "content-type": "application/json"}
    )
    assert "larger than" in assert_problem(too_big, 413)["detail"]
    _nothing_written(fresh)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/runs/run_nope",
        "/api/v1/runs/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/runs/%2E%2E/record",
        "/api/v1/runs/run_nope/narrative",
        "/api/v1/runs/run_nope/events",
        "/api/v1/runs/" + "a" * 300,
        "/api/v1/runs/run_nope/exports/json",
    ],
)
def test_unknown_and_path_like_ids_are_404_problems(fresh: Served, path):
    assert_problem(fresh.get(path), 404)


def test_an_unknown_export_and_a_bad_branch_are_problems(finished: tuple[Served, str]):
    app, run_id = finished
    assert_problem(app.get(f"/api/v1/runs/{run_id}/exports/pdf"), 422)
    bad_at = app.post(f"/api/v1/runs/{run_id}/branches", {"at": "tp-999", "intervention": "x"})
    assert "no timepoint" in assert_problem(bad_at, 422)["detail"]
    bad_id = app.post(
        f"/api/v1/runs/{run_id}/branches", {"at": "tp-000", "intervention": "x", "branch_id": "../x"}
    )
    assert_problem(bad_id, 422)
    assert app.service.queue.jobs(status="queued") == []


def test_a_stopped_run_is_resumed_by_a_worker_once(fresh: Served):
    run_id = fresh.post("/api/v1/runs", {"template": "board_meeting"}).json()["run_id"]
    fresh.drain()
    assert "completed" in assert_problem(fresh.post(f"/api/v1/runs/{run_id}/resume"), 409)["detail"]
    with SqliteRunStore(StoreLayout(fresh.root).runs_db) as runs:
        runs.update_status(run_id, "interrupted")  # as a failed model call would leave it
    assert fresh.post(f"/api/v1/runs/{run_id}/resume").status_code == 202
    again = fresh.post(f"/api/v1/runs/{run_id}/resume")
    assert "already queued" in assert_problem(again, 409)["detail"]
    assert fresh.drain() == 1
    view = fresh.get(f"/api/v1/runs/{run_id}").json()
    assert view["status"] == "completed" and [j["status"] for j in view["jobs"]] == ["done", "done"]
    events = [e.data["event"] for e in fresh.service.queue.events(run_id)]
    assert events[-2:] == ["resumed", "completed"]
    assert_problem(fresh.post("/api/v1/runs/run_nope/resume"), 404)
    assert_problem(fresh.post(f"/api/v1/runs/{run_id}/resume", token=fresh.read), 403)

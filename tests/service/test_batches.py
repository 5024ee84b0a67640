"""``/api/v1/batches``: a batch is checked whole, queued as one job, carried out by the batch
runner in a worker, followed as SSE and summarized."""

from __future__ import annotations

import json

from daedalus.batch import load_batch
from daedalus.store import StoreLayout
from tests.service.support import Served, assert_problem

BOARD = "board_meeting"


def _events(text: str) -> list[tuple[str, dict]]:
    found = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_a_batch_runs_through_the_batch_runner_and_its_summary_gives_distributions(fresh: Served):
    runs = [{"template": BOARD, "seed": seed} for seed in (1, 2)]
    body = {"runs": [*runs, {"template": BOARD, "seed": 3, "overrides": {"dialog.max_turns": 2}}]}
    submitted = fresh.post("/api/v1/batches", {**body, "model": "offline"})
    assert submitted.status_code == 202, submitted.text
    batch = submitted.json()
    batch_id = batch["batch_id"]
    assert batch["size"] == 3 and batch["links"]["events"] == f"/api/v1/batches/{batch_id}/events"
    before = fresh.get(f"/api/v1/batches/{batch_id}").json()
    assert before["status"] == {"queued": 3} and before["runs"] == []
    assert before["outcomes"]["timepoints"]["values"] == []
    assert fresh.drain() == 1  # one job: the whole batch
    record = load_batch(StoreLayout(fresh.root), batch_id)  # the batch runner's own record
    assert record.counts()["completed"] == 3
    assert [e.spec.overrides for e in record.entries][2] == {"dialog.max_turns": 2}
    summary = fresh.get(f"/api/v1/batches/{batch_id}").json()
    assert summary["size"] == 3 and summary["status"] == {"completed": 3}
    assert {r["id"] for r in summary["runs"]} == set(record.run_ids)
    timepoints = summary["outcomes"]["timepoints"]
    assert len(timepoints["values"]) == 3 and timepoints["min"] <= timepoints["mean"] <= timepoints["max"]
    assert set(summary["mechanisms"]) >= {"M3", "M11"}
    assert len(summary["mechanisms"]["M11"]["values"]) == 3
    assert [b["id"] for b in fresh.get("/api/v1/batches").json()] == [batch_id]
    run_id = record.run_ids[0]
    assert fresh.get(f"/api/v1/runs/{run_id}").json()["status"] == "completed"
    assert_problem(fresh.get(f"/api/v1/runs/{batch_id}"), 404)  # a batch is not a run

    stream = fresh.get(f"/api/v1/batches/{batch_id}/events")
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = _events(stream.text)
    names = [name for name, _ in events]
    assert names[:2] == ["queued", "started"] and names[-2:] == ["completed", "end"]
    states = [(data["index"], data["state"]) for name, data in events if name == "run"]
    assert {(i, "running") for i in range(3)} <= set(states)
    assert {(i, "completed") for i in range(3)} <= set(states)
    assert next(d for n, d in events if n == "batch")["completed"] == 3
    later = _events(fresh.client.get(
        f"/api/v1/batches/{batch_id}/events", headers={**fresh.headers(), "Last-Event-ID": "2"}
    ).text)
    assert later[0][0] != "queued" and len(later) == len(events) - 2


def test_a_batch_of_yaml_text_is_run_from_the_submitted_text(fresh: Served):
    from daedalus.templates import load_template

    text = load_template(BOARD).model_dump_json()  # JSON is YAML
    submitted = fresh.post("/api/v1/batches", {"runs": [{"yaml": text, "seed": 4}]})
    assert submitted.status_code == 202, submitted.text
    assert fresh.drain() == 1
    summary = fresh.get(f"/api/v1/batches/{submitted.json()['batch_id']}").json()
    assert summary["status"] == {"completed": 1}, summary


def test_a_batch_with_one_bad_run_is_refused_whole(fresh: Served):
    runs = [{"template": BOARD}, {"template": "no_such_template"}]
    detail = assert_problem(fresh.post("/api/v1/batches", {"runs": runs}), 422)["detail"]
    assert "runs[1].template" in detail and "no shipped template" in detail
    bad_override = [{"template": BOARD}, {"template": BOARD, "overrides": {"nope.field": 1}}]
    detail = assert_problem(fresh.post("/api/v1/batches", {"runs": bad_override}), 422)["detail"]
    assert detail.startswith("runs[1]: ") and "nope.field" in detail
    bad_yaml = [{"yaml": "mode: [unclosed"}]
    assert "runs[0]" in assert_problem(fresh.post("/api/v1/batches", {"runs": bad_yaml}), 422)["detail"]
    huge = [{"yaml": "x" * 1_000_001}]
    assert_problem(fresh.post("/api/v1/batches", {"runs": huge}), 413)
    unknown_model = {"runs": [{"template": BOARD}], "model": "nobody/none"}
    assert "model" in assert_problem(fresh.post("/api/v1/batches", unknown_model), 422)["detail"]
    assert_problem(fresh.post("/api/v1/batches", {"runs": []}), 422)
    assert_problem(fresh.post("/api/v1/batches", {"runs": [{"template": BOARD}] * 101}), 422)
    assert_problem(fresh.post("/api/v1/batches", {"runs": [{"template": BOARD}], "workers": 0}), 422)
    assert_problem(fresh.post("/api/v1/batches", {"runs": [{"template": BOARD}]}, fresh.read), 403)
    assert fresh.service.queue.jobs() == [] and fresh.get("/api/v1/batches").json() == []
    assert not (fresh.root / "batches").exists()
    assert_problem(fresh.get("/api/v1/batches/batch_nope"), 404)
    assert_problem(fresh.get("/api/v1/batches/batch_nope/events"), 404)
    assert_problem(fresh.get("/api/v1/batches/..%2Fbatch"), 404)

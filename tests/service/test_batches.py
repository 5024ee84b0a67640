"""``/api/v1/batches``: a batch is queued whole or refused whole, and summarized."""

from __future__ import annotations

from tests.service.support import Served, assert_problem


def test_a_batch_runs_and_its_summary_gives_status_counts_and_distributions(fresh: Served):
    runs = [{"template": "board_meeting", "seed": seed} for seed in (1, 2)]
    submitted = fresh.post("/api/v1/batches", {"runs": runs})
    assert submitted.status_code == 202, submitted.text
    batch = submitted.json()
    before = fresh.get(f"/api/v1/batches/{batch['batch_id']}").json()
    assert before["status"] == {"queued": 2} and before["outcomes"]["timepoints"]["values"] == []
    assert fresh.drain() == 2
    summary = fresh.get(f"/api/v1/batches/{batch['batch_id']}").json()
    assert summary["size"] == 2 and summary["status"] == {"completed": 2}
    assert {r["id"] for r in summary["runs"]} == {r["run_id"] for r in batch["runs"]}
    timepoints = summary["outcomes"]["timepoints"]
    assert len(timepoints["values"]) == 2 and timepoints["min"] <= timepoints["mean"] <= timepoints["max"]
    assert set(summary["mechanisms"]) >= {"M3", "M11"}
    assert len(summary["mechanisms"]["M11"]["values"]) == 2
    assert [b["id"] for b in fresh.get("/api/v1/batches").json()] == [batch["batch_id"]]


def test_a_batch_with_one_bad_run_is_refused_whole(fresh: Served):
    runs = [{"template": "board_meeting"}, {"template": "no_such_template"}]
    assert "no shipped template" in assert_problem(
        fresh.post("/api/v1/batches", {"runs": runs}), 422
    )["detail"]
    assert_problem(fresh.post("/api/v1/batches", {"runs": []}), 422)
    assert_problem(fresh.post("/api/v1/batches", {"runs": [{"template": "board_meeting"}] * 101}), 422)
    assert fresh.service.queue.jobs() == [] and fresh.get("/api/v1/batches").json() == []
    assert_problem(fresh.get("/api/v1/batches/batch_nope"), 404)
    assert_problem(fresh.get("/api/v1/batches/..%2Fbatch"), 404)

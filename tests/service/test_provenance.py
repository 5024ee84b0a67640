"""Views of a finished run: knowledge provenance (M3, M7), the timeline graph with branches
and the PORTAL search, relationships over time (M13), costs by node and model."""

from __future__ import annotations

import pytest

from daedalus.store import SqliteRunStore, StoreLayout
from tests.service.support import Served, assert_problem, served


def _record(app: Served, run_id: str):
    with SqliteRunStore(StoreLayout(app.root).runs_db) as runs:
        return runs.load_record(run_id)


def test_knowledge_is_what_the_record_says_an_entity_could_know(finished):
    app, run_id = finished
    record = _record(app, run_id)
    last = record.causal_order()[-1].id
    for entity in record.entities:
        answer = app.get(
            f"/api/v1/runs/{run_id}/knowledge", params={"entity": entity.id, "at": last}
        ).json()
        expected = record.knowledge_at(entity.id, last)
        assert [item["id"] for item in answer["known"]] == [e.id for e in expected]
        assert answer["entity_name"] == entity.name
    first = record.causal_order()[0].id
    someone = record.entities[0].id
    early = app.get(f"/api/v1/runs/{run_id}/knowledge", params={"entity": someone, "at": first})
    late = app.get(f"/api/v1/runs/{run_id}/knowledge", params={"entity": someone, "at": last})
    assert len(early.json()["known"]) <= len(late.json()["known"])  # knowledge only grows


@pytest.mark.parametrize(
    ("params", "status"),
    [({"entity": "nobody", "at": "tp-000"}, 404), ({"entity": "{first}", "at": "tp-999"}, 404),
     ({"entity": "../x", "at": "tp-000"}, 422), ({"at": "tp-000"}, 422)],
)
def test_bad_provenance_queries_are_problems(finished, params, status):
    app, run_id = finished
    first = _record(app, run_id).entities[0].id
    query = {k: v.replace("{first}", first) for k, v in params.items()}
    assert_problem(app.get(f"/api/v1/runs/{run_id}/knowledge", params=query), status)


def test_the_timeline_relationships_and_costs_of_a_forward_run(finished):
    app, run_id = finished
    record = _record(app, run_id)
    timeline = app.get(f"/api/v1/runs/{run_id}/timeline").json()
    assert {n["id"] for n in timeline["nodes"]} == {tp.id for tp in record.timepoints}
    assert all(e["source"] in {tp.id for tp in record.timepoints} for e in timeline["edges"])
    assert timeline["portal"]["slots"] == []
    relations = app.get(f"/api/v1/runs/{run_id}/relationships").json()
    assert {e["id"] for e in relations["entities"]} == {e.id for e in record.entities}
    assert len(relations["final"]) == len(record.relationships)
    costs = app.get(f"/api/v1/runs/{run_id}/costs").json()
    assert costs["offline"] and costs["total"]["calls"] == len(record.ledger)
    assert sum(row["calls"] for row in costs["by_node"]) == len(record.ledger)
    assert sum(row["calls"] for row in costs["by_model"]) == len(record.ledger)


def test_a_portal_timeline_holds_every_slot_with_its_candidates_and_the_chosen_one(tmp_path):
    with served(tmp_path) as app:
        run_id = app.post("/api/v1/runs", {"template": "election_upset_portal"}).json()["run_id"]
        app.drain()
        timeline = app.get(f"/api/v1/runs/{run_id}/timeline").json()
        record = _record(app, run_id)
        fork = {"at": timeline["nodes"][0]["id"], "intervention": "x"}
        refused = app.post(f"/api/v1/runs/{run_id}/branches", fork)
        assert "cannot be branched" in assert_problem(refused, 422)["detail"]
    assert timeline["mode"] == "portal" and timeline["portal"]["slots"]
    for slot in timeline["portal"]["slots"]:
        chosen = [c for c in slot["candidates"] if c["chosen"]]
        assert len(slot["candidates"]) >= 2 and len(chosen) == 1
        assert chosen[0]["id"] == slot["chosen"]
    assert len(timeline["nodes"]) == len(record.timepoints)

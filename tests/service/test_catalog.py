"""``/api/v1``: templates, models, estimates and the calling key."""

from __future__ import annotations

from daedalus.runs import estimate
from daedalus.templates import list_templates, load_template
from tests.service.support import Served, assert_problem


def test_templates_models_and_the_calling_key(fresh: Served):
    templates = fresh.get("/api/v1/templates", token=fresh.read).json()
    assert [t["id"] for t in templates] == [t.id for t in list_templates()]
    models = fresh.get("/api/v1/models").json()
    assert models and {"id", "prompt_price", "capabilities"} <= set(models[0])
    me = fresh.get("/api/v1/me", token=fresh.read).json()
    assert me["scope"] == "read" and fresh.read not in str(me)


def test_an_estimate_matches_the_library_and_queues_nothing(fresh: Served):
    answer = fresh.post("/api/v1/estimate", {"template": "board_meeting"}, token=fresh.read)
    assert answer.status_code == 200, answer.text
    expected = estimate(load_template("board_meeting"), model=None)
    assert answer.json()["calls"] == expected.calls and answer.json()["offline"]
    assert fresh.service.queue.jobs() == []
    assert_problem(fresh.post("/api/v1/estimate", {"yaml": "id: ["}), 422)

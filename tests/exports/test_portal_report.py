"""The PORTAL search in run.json and in the narrative: per slot, candidates, outcomes, why."""

from daedalus.exports.narrative import render_narrative
from daedalus.exports.run_json import run_document
from daedalus.portal import apply_decision, decide, start_record
from tests.portal.test_evidence import MISSED, REACHED, judged, scenario
from tests.store.records import sample_record


def portal_run():
    spec = scenario(steps=1)
    record = start_record(spec.portal, spec)
    record = judged(record, [(0.95, MISSED, ()), (0.8, REACHED, ())])
    record = apply_decision(record, decide(record))
    return sample_record().model_copy(update={"portal": record.model_dump(mode="json")})


def test_run_json_reports_each_slot_with_its_candidates_and_the_winners_reason():
    doc = run_document(portal_run())
    (slot,) = doc["portal"]["report"]
    assert slot["chosen"] == "s000-r0-c1" and slot["why"].startswith("accept: won: s000-r0-c1")
    assert [(c["id"], c["verdict"], c["total"]) for c in slot["candidates"]] == [
        ("s000-r0-c0", "missed", 0.95), ("s000-r0-c1", "reached", 0.8),
    ]
    assert doc["portal"]["decisions"][0]["kind"] == "accept"


def test_narrative_has_a_backward_search_section_only_for_portal_runs():
    text = render_narrative(portal_run())
    section = text[text.index("## Backward search"):]
    assert "### Slot 0 (2026-01-01)" in section
    assert "Why: accept: won: s000-r0-c1 reached" in section
    assert "| **s000-r0-c1** |" in section and "| s000-r0-c0 |" in section
    assert "## Backward search" not in render_narrative(sample_record())

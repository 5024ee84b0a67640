import asyncio

from daedalus.agents.extraction import extraction, told_exposures
from daedalus.domain import DialogTurn, ExposureKind
from daedalus.testing import ScriptedModel
from tests.builders import dialog_input, runtime

TURNS = [
    DialogTurn(speaker="daniel_reyes", content="Cash covers seven months.", confidence=1.0),
    DialogTurn(speaker="maya_okonkwo", content="(stays silent)"),
    DialogTurn(speaker="helen_park", content="We vote on Friday.", confidence=0.5),
]


def test_told_events_go_to_listeners_only(scripted_router):
    state = {**dialog_input(), "turns": TURNS}
    facts = {"facts": [
        {"turn_index": 0, "information": "Cash covers seven months of operations", "confidence": 0.9},
        {"turn_index": 1, "information": "Maya said nothing", "confidence": 0.9},
        {"turn_index": 2, "information": "The board votes on Friday", "confidence": 1.0},
    ]}
    model = ScriptedModel({"extraction": [facts]})
    update = asyncio.run(extraction(state, runtime(scripted_router(model))))
    told = update["told"]
    by_info = {}
    for event in told:
        assert event.kind is ExposureKind.TOLD and event.timepoint_id == state["timepoint"].id
        by_info.setdefault(event.information, set()).add((event.entity_id, event.source))
    assert by_info["Cash covers seven months of operations"] == {
        ("maya_okonkwo", "daniel_reyes"), ("helen_park", "daniel_reyes")}
    assert by_info["The board votes on Friday"] == {
        ("maya_okonkwo", "helen_park"), ("daniel_reyes", "helen_park")}
    assert "Maya said nothing" not in by_info  # a silent turn states nothing
    vote = next(e for e in told if e.information.startswith("The board"))
    assert vote.confidence == 0.5  # fact confidence x turn confidence
    assert "mechanisms" not in update  # the dialog counts told exposures (M19) once


def test_no_call_when_nothing_was_said(scripted_router):
    model = ScriptedModel({})
    state = {**dialog_input(), "turns": [TURNS[1]]}
    update = asyncio.run(extraction(state, runtime(scripted_router(model))))
    assert update["told"] == [] and model.calls == []


def test_told_exposures_ignore_out_of_range_and_duplicates():
    state = dialog_input()
    from daedalus.agents.extraction import StatedFact

    facts = [StatedFact(turn_index=0, information="Cash lasts"), StatedFact(turn_index=0, information="Cash lasts"),
             StatedFact(turn_index=9, information="ghost")]
    events = told_exposures("d1", state["timepoint"], TURNS, state["participants"], facts)
    assert len(events) == 2 and {e.information for e in events} == {"Cash lasts"}

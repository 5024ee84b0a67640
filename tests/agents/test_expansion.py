import asyncio
from datetime import datetime, timedelta

import pytest
from langgraph.runtime import Runtime
from pydantic import ValidationError

from daedalus.agents.expansion import (
    EXPANSION_IMPORTANCE,
    EXPANSION_SOURCE,
    NODE,
    Beat,
    beat_exposures,
    beat_timepoints,
    expansion_schema,
    vertical_expansion,
    wants_expansion,
)
from daedalus.context import RunContext
from daedalus.domain import (
    Dialog,
    DialogTurn,
    Entity,
    ExposureKind,
    ResolutionLevel,
    TemporalMode,
    Timepoint,
)
from daedalus.kernel.strategy import FidelityTemplate, plan_fidelity
from daedalus.provenance import Provenance
from daedalus.state import ValidationRecord
from daedalus.testing import ScriptedModel

START = datetime(2026, 3, 12, 9, 0)
PEOPLE = ("ada", "ben", "cy")
BEATS = {"beats": [
    {"label": "Arrival", "description": "Ada arrives late, soaked from the rain.",
     "minutes_after": 0, "present": ["ada", "ben"]},
    {"label": "Key exchange", "description": "Ben slides the cash forecast across the table.",
     "minutes_after": 25, "present": ["ada", "ben", "cy"]},
    {"label": "Decision", "description": "Cy calls the vote and the room goes quiet.",
     "minutes_after": 10, "present": ["cy", "ben"]},
]}


def state(importance=0.9, plan=None, refused=()):
    moment = Timepoint(id="tp0", timestamp=START, event_description="The board meets",
                       entities_present=PEOPLE, importance=importance, branch_id="main")
    validation = [ValidationRecord(id=f"val-tp0-circadian-{e}", validator="circadian",
                                   entity_id=e, timepoint_id="tp0", message="asleep",
                                   action="rejected") for e in refused]
    return {
        "entities": {e: Entity(id=e, name=e.title(), role="director") for e in PEOPLE},
        "timepoints": [moment],
        "exposures": [],
        "dialogs": [Dialog(id="dlg-tp0", timepoint_id="tp0", participants=PEOPLE,
                           turns=(DialogTurn(speaker="ben", content="Seven months of cash."),))],
        "validation": validation,
        "plan": plan,
        "cursor": "tp0",
    }


def run(current, model, scripted_router):
    runtime = Runtime(context=RunContext(router=scripted_router(model)))
    return asyncio.run(vertical_expansion(current, runtime))


def test_scripted_beats_become_chained_sub_moments(scripted_router):
    model = ScriptedModel({NODE: [BEATS]})
    update = run(state(), model, scripted_router)
    assert len(model.calls) == 1
    assert "Seven months of cash." in model.prompts_for(NODE)[0]
    subs = update["timepoints"]
    assert [s.id for s in subs] == ["tp0.m1", "tp0.m2", "tp0.m3"]
    assert [s.causal_parent for s in subs] == ["tp0", "tp0.m1", "tp0.m2"]
    assert {s.moment_of for s in subs} == {"tp0"} and {s.branch_id for s in subs} == {"main"}
    # a beat is never earlier than the one before it
    assert [s.timestamp - START for s in subs] == [timedelta(0), timedelta(minutes=25),
                                                   timedelta(minutes=25)]
    assert subs[2].entities_present == ("ben", "cy")
    assert update["mechanisms"] == {"M8": len(update["timepoints"]), "M3": len(update["exposures"])}
    witnessed = update["exposures"]
    assert {e.kind for e in witnessed} == {ExposureKind.WITNESSED}
    assert {e.source for e in witnessed} == {EXPANSION_SOURCE}
    assert len(witnessed) == 2 + 3 + 2
    assert next(e.information for e in witnessed if e.timepoint_id == "tp0.m2").startswith("Ben")


def test_a_later_moment_knows_the_details_through_provenance(scripted_router):
    current = state()
    update = run(current, ScriptedModel({NODE: [BEATS]}), scripted_router)
    later = Timepoint(id="tp1", timestamp=START + timedelta(days=1), causal_parent="tp0",
                      entities_present=PEOPLE)
    prov = Provenance([*current["timepoints"], *update["timepoints"], later], update["exposures"])
    known = {e.information for e in prov.knowledge_at("ada", "tp1")}
    assert known == {"Ada arrives late, soaked from the rain.",
                     "Ben slides the cash forecast across the table."}
    # inside the moment, a beat knows only the beats before it
    assert {e.timepoint_id for e in prov.knowledge_at("ben", "tp0.m2")} == {"tp0.m1", "tp0.m2"}
    # the moment's own view does not include details that come after it began
    assert prov.knowledge_at("ada", "tp0") == ()


def test_refused_entities_witness_nothing(scripted_router):
    update = run(state(refused=("cy",)), ScriptedModel({NODE: [BEATS]}), scripted_router)
    assert all("cy" not in s.entities_present for s in update["timepoints"])
    assert all(e.entity_id != "cy" for e in update["exposures"])


def test_no_call_when_the_plan_does_not_ask(scripted_router):
    model = ScriptedModel()
    assert run(state(importance=EXPANSION_IMPORTANCE - 0.1), model, scripted_router) == {}
    assert model.calls == []


def test_a_plan_scheduling_the_moment_at_trained_asks_for_detail():
    plan = plan_fidelity(TemporalMode.PEARL, FidelityTemplate.MAXIMUM, {"tp0": 0.6}, {"ada": 0.5})
    assert plan.timepoint_resolution["tp0"] == ResolutionLevel.TRAINED
    current = state(importance=0.6, plan=plan)
    assert wants_expansion(current["timepoints"][0], current["timepoints"], plan)
    low = plan_fidelity(TemporalMode.PEARL, FidelityTemplate.MINIMAL, {"tp0": 0.6}, {"ada": 0.5})
    assert not wants_expansion(current["timepoints"][0], current["timepoints"], low)


def test_a_moment_is_expanded_once_and_details_are_not_expanded_again():
    moment = state()["timepoints"][0]
    subs = beat_timepoints(moment, [Beat.model_validate(b) for b in BEATS["beats"]], PEOPLE)
    assert not wants_expansion(moment, [moment, *subs], None)
    assert not wants_expansion(subs[0], [moment, *subs], None)
    Provenance([moment, *subs]).timeline.validate()


def test_beat_exposures_follow_the_sub_moments():
    moment = state()["timepoints"][0]
    beats = [Beat.model_validate(b) for b in BEATS["beats"]]
    subs = beat_timepoints(moment, beats, {"ada"})
    events = beat_exposures(subs, beats)
    assert [(e.entity_id, e.timepoint_id) for e in events] == [("ada", "tp0.m1"),
                                                               ("ada", "tp0.m2")]


def test_schema_bounds_beats_and_names():
    schema = expansion_schema(list(PEOPLE))
    assert schema.model_validate(BEATS)
    with pytest.raises(ValidationError):
        schema.model_validate({"beats": BEATS["beats"][:2]})
    stranger = {**BEATS["beats"][0], "present": ["zed"]}
    with pytest.raises(ValidationError):
        schema.model_validate({"beats": [stranger, *BEATS["beats"][1:]]})
    late = {**BEATS["beats"][0], "minutes_after": 500}
    with pytest.raises(ValidationError):
        schema.model_validate({"beats": [late, *BEATS["beats"][1:]]})


def test_beats_never_outlast_half_the_step_to_the_next_moment():
    from daedalus.agents.expansion import MAX_BEAT_MINUTES, moment_span
    from daedalus.templates import load_template

    hospital = load_template("hospital_crisis")  # 15-minute steps
    assert moment_span(hospital) == 7
    assert moment_span(load_template("mars_mission_portal")) == MAX_BEAT_MINUTES
    assert moment_span(None) == MAX_BEAT_MINUTES

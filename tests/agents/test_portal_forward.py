import asyncio

import pytest
from langgraph.runtime import Runtime

from daedalus.agents.portal_forward import ACTION, NODE, forward_schema, portal_forward
from daedalus.context import RunContext
from daedalus.llm.actions import ActionType
from daedalus.portal import (
    TrialVerdict,
    add_round,
    new_candidates,
    open_round,
    start_record,
    trial_requests,
)
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel


def requests(forward_steps=2):
    scenario = Scenario.model_validate(
        {
            "id": "probe",
            "name": "Probe loss",
            "description": "A deep-space probe team works against a launch deadline.",
            "mode": "portal",
            "start": "2026-01-01",
            "entities": [
                {"id": "ada", "name": "Ada Ruiz", "role": "flight director"},
                {"id": "bo", "name": "Bo Tan", "role": "propulsion engineer"},
            ],
            "timeline": {"steps": 3},
            "portal": {
                "endpoint": "The probe goes silent during its orbital burn.",
                "endpoint_time": "2029-01-01",
                "candidates": 2,
                "forward_steps": forward_steps,
            },
        }
    )
    record = start_record(scenario.portal, scenario)
    frame = open_round(record)
    drafts = [
        ("Bo signs off a seal test he did not watch.", ["bo"], 0.7, "a bad seal flies"),
        ("Ada moves the burn up a week.", ["ada"], 0.5, "less margin"),
    ]
    record = add_round(record, new_candidates(frame, drafts))
    cast = {"ada": "Ada Ruiz, flight director", "bo": "Bo Tan, propulsion engineer"}
    knows = {"bo": ("The seal test rig is booked twice",), "ada": ("The burn window is fixed",)}
    return trial_requests(record, cast, "Probe loss: a team against a deadline", knows)


def run(task, router):
    return asyncio.run(portal_forward(task, Runtime(context=RunContext(router=router))))


def test_node_declares_its_action():
    assert NODE == "portal_forward" and ACTION is ActionType.COUNTERFACTUAL_PREDICTION


def arrival(entity="bo", knows=("The seal is aboard",)):
    return {"entity": entity, "knows": list(knows), "valence": -0.2, "arousal": 0.7,
            "energy": 0.6, "fatigue": 0.3}


def test_scripted_trial_is_a_typed_outcome_keyed_by_candidate(scripted_router):
    first, second = requests()
    answer = {
        "beats": [" The seal passes review on paper. ", "Launch proceeds on schedule."],
        "people": [arrival()],
        "explains": ["f1"],
        "contradicts": [],
        "verdict": "reached",
        "outcome": "The faulty seal is aboard when the burn begins.",
    }
    model = ScriptedModel({"portal_forward": [answer]})
    out = run({"portal_trial": first}, scripted_router(model))
    trial = out["portal_trials"]["s002-r0-c0"]
    assert trial.beats == ("The seal passes review on paper.", "Launch proceeds on schedule.")
    assert trial.verdict is TrialVerdict.REACHED and trial.reaches_target
    assert trial.explains == ("The probe goes silent during its orbital burn",)
    assert trial.forecast("bo").knows == ("The seal is aboard",)
    assert trial.forecast("bo").fatigue == 0.3 and "faulty seal" in trial.outcome
    assert out["mechanisms"] == {"M17": 1}
    prompt = model.prompts_for("portal_forward")[0]
    assert first.sheet.event in prompt and "The seal test rig is booked twice" in prompt
    assert "The probe goes silent during its orbital burn" in prompt
    assert "exactly 2 beats" in prompt and "Bo Tan" in prompt
    # lean: the other candidate and other people stay out of this trial's prompt
    assert second.sheet.event not in prompt and "Ada Ruiz" not in prompt
    assert "The burn window is fixed" not in prompt


def test_schema_demands_beats_people_and_known_fact_labels():
    schema = forward_schema(2, ("bo",), ("f1",))
    good = {"beats": ["a", "b"], "people": [arrival()], "explains": ["f1"], "contradicts": [],
            "verdict": "partly", "outcome": "x"}
    schema.model_validate(good)
    for bad in ({"beats": ["only one"]}, {"explains": ["f9"]}, {"people": [arrival("ada")]},
                {"verdict": "maybe"}):
        with pytest.raises(ValueError):
            schema.model_validate({**good, **bad})


def test_offline_trial_is_schema_valid_and_carries_its_people(offline_router):
    request = requests(forward_steps=3)[1]
    trial = run({"portal_trial": request}, offline_router)["portal_trials"]["s002-r0-c1"]
    assert len(trial.beats) == 3 and trial.outcome
    assert [f.entity for f in trial.forecasts] == ["ada"]
    assert request.sheet.event in trial.forecast("ada").knows

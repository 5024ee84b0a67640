import asyncio
from datetime import date, datetime, timedelta

import pytest
from langgraph.runtime import Runtime
from pydantic import ValidationError

from daedalus.agents.event_writer import (
    ACTION,
    NODE,
    WITNESS_SOURCE,
    event_schema,
    next_event,
    write_event,
)
from daedalus.context import RunContext
from daedalus.domain import (
    Dialog,
    DialogTurn,
    Entity,
    Expectation,
    ExposureKind,
    ProspectiveState,
    Timepoint,
)
from daedalus.errors import ConfigError
from daedalus.kernel.dialog import Contradiction
from daedalus.kernel.narrative import DecisionPoint, EventGuidance
from daedalus.llm.actions import ActionType
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel

START = datetime(2031, 3, 1, 10)


def scenario(**extra) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "harbour",
            "name": "Harbour board",
            "description": "The harbour board must decide whether to close the old pier.",
            "mode": "pearl",
            "start": date(2031, 3, 1),
            "entities": [
                {"id": "ada", "name": "Ada Lin", "role": "chair"},
                {"id": "bo", "name": "Bo Park", "role": "engineer"},
                {"id": "cy", "name": "Cy Moss", "role": "treasurer"},
            ],
            "timeline": {"steps": 3, "step": "6 hours"},
            "scene": {"goals": ["decide on the pier"]},
        }
        | extra
    )


def event(text: str, present: list[str], importance: float = 0.6, **extra) -> dict:
    return {"description": text, "entities_present": present, "importance": importance, **extra}


def runtime(router, sink: list | None = None) -> Runtime[RunContext]:
    writer = sink.append if sink is not None else (lambda _: None)
    return Runtime(context=RunContext(router=router), stream_writer=writer)


def test_node_declares_its_name_and_action():
    assert NODE == "next_event"
    assert ACTION is ActionType.TEMPORAL_REASONING


def test_first_event_opens_the_line_from_the_model(scripted_router):
    answer = event(
        "Bo shows Ada the cracked pilings under the old pier at low tide.",
        ["bo", "ada"],
        0.7,
        focus="the cracked pilings",
        decision={"question": "Close the pier now?", "options": ["close it", "wait"]},
    )
    router = scripted_router({"next_event": [answer]})
    streamed: list = []
    delta = asyncio.run(next_event({"scenario": scenario(), "timepoints": []}, runtime(router, streamed)))
    (tp,) = delta["timepoints"]
    assert tp.id == "tp-000" and delta["cursor"] == "tp-000"
    assert tp.causal_parent is None
    assert tp.timestamp == START
    assert tp.event_description == answer["description"]
    assert tp.entities_present == ("bo", "ada")
    assert tp.importance == 0.7
    assert [(e.id, e.entity_id, e.kind) for e in delta["exposures"]] == [
        ("tp-000-witnessed-bo", "bo", ExposureKind.WITNESSED),
        ("tp-000-witnessed-ada", "ada", ExposureKind.WITNESSED),
    ]
    assert all(e.information == answer["description"] for e in delta["exposures"])
    assert all(e.timepoint_id == "tp-000" and e.source == WITNESS_SOURCE for e in delta["exposures"])
    assert delta["focus"] == {"tp-000": "the cracked pilings"}
    assert delta["decision_points"] == {
        "tp-000": DecisionPoint(question="Close the pier now?", options=("close it", "wait"))
    }
    assert streamed == [{"event": "timepoint", "index": 0, "of": 3, "id": "tp-000"}]
    assert "M7" not in delta["mechanisms"]  # the opening moment links to nothing
    assert delta["mechanisms"]["M3"] == len(delta["exposures"]) > 0


def opened_state() -> dict:
    first = Timepoint(
        id="tp-000",
        timestamp=START,
        event_description="Bo shows Ada the cracked pilings.",
        entities_present=("ada", "bo"),
    )
    detail = Timepoint(
        id="tp-000-d0", timestamp=START, causal_parent="tp-000", moment_of="tp-000",
        event_description="Ada kneels at the edge.",
    )
    return {
        "scenario": scenario(),
        "entities": {
            "ada": Entity(id="ada", name="Ada Lin", role="chair"),
            "bo": Entity(id="bo", name="Bo Park", role="engineer"),
            "cy": Entity(id="cy", name="Cy Moss", role="treasurer"),
        },
        "timepoints": [first, detail],
        "dialogs": [
            Dialog(
                id="dlg-tp-000",
                timepoint_id="tp-000",
                participants=("ada", "bo"),
                turns=(
                    DialogTurn(speaker="bo", content="Two pilings are split to the waterline."),
                    DialogTurn(speaker="ada", content="Then we vote on closure tomorrow."),
                ),
            )
        ],
        "contradictions": [
            Contradiction(
                id="c0", dialog_id="dlg-tp-000", timepoint_id="tp-000", first_speaker="bo",
                second_speaker="ada", first_turn=0, second_turn=1, topic="how urgent the repair is",
            )
        ],
        "prospection": {
            "ada": ProspectiveState(
                entity_id="ada",
                expectations=(Expectation(description="the board backs closure", probability=0.7),),
            )
        },
    }


def test_next_event_chains_to_the_previous_moment_and_reads_the_last_dialog(scripted_router):
    model = ScriptedModel({"next_event": [event("Cy objects to the cost of closure.", ["cy", "ada"])]})
    delta = asyncio.run(next_event(opened_state(), runtime(scripted_router(model))))
    (tp,) = delta["timepoints"]
    assert tp.id == "tp-001"
    assert tp.causal_parent == "tp-000"  # the detail inside tp-000 is not the line's moment
    assert tp.timestamp == START + timedelta(hours=6)
    (prompt,) = model.prompts_for("next_event")
    assert "The harbour board must decide" in prompt
    assert "- decide on the pier" in prompt
    assert "tp-000 (2031-03-01 10:00; Ada Lin, Bo Park): Bo shows Ada the cracked pilings." in prompt
    assert "Ada kneels at the edge." not in prompt
    assert "Bo Park said: Two pilings are split to the waterline." in prompt
    assert "Bo Park and Ada Lin contradicted each other about how urgent the repair is" in prompt
    assert "Ada Lin expects: the board backs closure (likelihood 0.7)" in prompt
    assert "moment 2 of 3" in prompt


def test_required_entities_are_present_and_guidance_reaches_the_prompt(scripted_router):
    model = ScriptedModel({"next_event": [event("Bo walks the pier at dusk with Ada.", ["bo", "ada"])]})
    guidance = EventGuidance(notes=("Act 3 of 5: the climax.",), required=("cy",))
    delta = asyncio.run(
        write_event(opened_state(), runtime(scripted_router(model)), guidance, total=9)
    )
    (tp,) = delta["timepoints"]
    assert tp.entities_present == ("cy", "bo", "ada")
    assert {e.entity_id for e in delta["exposures"]} == {"cy", "bo", "ada"}
    (prompt,) = model.prompts_for("next_event")
    assert "- Act 3 of 5: the climax." in prompt
    assert "These must take part in the moment: Cy Moss (cy)." in prompt
    assert "moment 2 of 9" in prompt
    assert "decision_points" not in delta


def test_required_entity_must_exist(offline_router):
    with pytest.raises(ConfigError, match="unknown entities \\['zed'\\]"):
        asyncio.run(
            write_event(
                {"scenario": scenario(), "timepoints": []},
                runtime(offline_router),
                EventGuidance(required=("zed",)),
            )
        )


def test_schema_offers_only_known_entities_and_at_least_two_of_them():
    schema = event_schema(["ada", "bo"])
    schema.model_validate(event("Ada calls the vote to order.", ["ada", "bo"]))
    with pytest.raises(ValidationError):
        schema.model_validate(event("Ada alone.", ["ada"]))
    event_schema(["ada"]).model_validate(event("Ada calls the vote to order.", ["ada"]))
    with pytest.raises(ValidationError):
        schema.model_validate(event("Zed arrives uninvited.", ["zed"]))
    with pytest.raises(ValidationError):
        schema.model_validate(event("Nobody is there at all.", []))
    with pytest.raises(ValidationError):
        schema.model_validate(
            event("A choice with one option.", ["bo", "ada"], decision={"question": "Go?", "options": ["go"]})
        )


def test_long_histories_are_summarised(scripted_router):
    model = ScriptedModel({"next_event": [event("The storm reaches the harbour mouth.", ["ada", "bo"])]})
    moments = [
        Timepoint(
            id=f"tp-{i:03d}", timestamp=START + timedelta(hours=6 * i),
            causal_parent=f"tp-{i - 1:03d}" if i else None, event_description=f"Moment number {i}.",
        )
        for i in range(15)
    ]
    state = {"scenario": scenario(), "timepoints": moments}
    delta = asyncio.run(next_event(state, runtime(scripted_router(model))))
    assert delta["timepoints"][0].id == "tp-015"
    (prompt,) = model.prompts_for("next_event")
    assert "(3 earlier moments not shown)" in prompt
    assert "Moment number 2." not in prompt and "Moment number 14." in prompt


def test_offline_model_writes_a_valid_moment(offline_router):
    delta = asyncio.run(next_event({"scenario": scenario(), "timepoints": []}, runtime(offline_router)))
    (tp,) = delta["timepoints"]
    assert tp.event_description
    assert tp.entities_present and set(tp.entities_present) <= {"ada", "bo", "cy"}
    assert 0.0 <= tp.importance <= 1.0
    assert len(delta["exposures"]) == len(tp.entities_present)


def test_month_steps_keep_to_the_calendar(scripted_router):
    sc = scenario(start=date(2031, 1, 31), timeline={"steps": 3, "step": "1 month"})
    first = Timepoint(id="tp-000", timestamp=sc.start_time, event_description="Budget day.")
    model = ScriptedModel({"next_event": [event("The February accounts close short.", ["cy", "ada"])]})
    delta = asyncio.run(
        next_event({"scenario": sc, "timepoints": [first]}, runtime(scripted_router(model)))
    )
    assert delta["timepoints"][0].timestamp == datetime(2031, 2, 28, 10)

"""Entity generator (M9): scripted and offline generation, one call, no call when nothing lacks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from daedalus.agents.entity_generator import (
    NODE,
    generate_entities,
    generate_missing,
    generation_schema,
    mentions_for,
)
from daedalus.context import RunContext
from daedalus.domain import EntityKind, ExposureKind
from daedalus.kernel.entity_gap import Mention
from daedalus.kernel.roster import build_roster
from daedalus.llm.router import Router
from daedalus.scenario import Scenario
from daedalus.state import SimState
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel


def crowded_scenario() -> Scenario:
    data = load_template("board_meeting").model_dump(mode="json")
    data["description"] = "The board meets behind a closed door; guard_2 keeps it."
    data["extras"] = ["the night nurse", "Lin Zhang"]
    return Scenario.model_validate(data)


def initial_state(scenario: Scenario) -> SimState:
    return SimState(scenario=scenario, **build_roster(scenario, {}).state_update())  # type: ignore[typeddict-item]


def runtime(router: Router) -> Any:
    return SimpleNamespace(context=RunContext(router=router))


def made(name: str, kind: str = "human", knowledge: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "role": f"role of {name}",
        "traits": ["Watchful", " ", "watchful", "tired"],
        "knowledge": knowledge if knowledge is not None else [f"{name} knows the building"],
    }


def test_the_node_generates_every_missing_entity_in_one_call(
    scripted_router: Callable[..., Router],
) -> None:
    answer = {
        "night_nurse": made("Ruth Adeyemi", knowledge=["Visitors sign in after eight", "Ward B is short of staff"]),
        "lin_zhang": made("Somebody Else"),
        "guard_2": made("Piotr Nowak"),
    }
    model = ScriptedModel({NODE: [answer]})
    scenario = crowded_scenario()
    update = asyncio.run(generate_entities(initial_state(scenario), runtime(scripted_router(model))))
    assert len(model.calls_for(NODE)) == 1
    prompt = model.prompts_for(NODE)[0]
    assert "night_nurse: mentioned as 'the night nurse'" in prompt
    assert "guard_2: mentioned as 'guard_2'" in prompt
    assert "Maya Okonkwo (id maya_okonkwo)" in prompt  # the known cast is context
    entities = update["entities"]
    assert list(entities) == ["night_nurse", "lin_zhang", "guard_2"]
    # a handle or a description gets the model's name; a proper name is kept as written
    assert entities["night_nurse"].name == "Ruth Adeyemi"
    assert entities["guard_2"].name == "Piotr Nowak"
    assert entities["lin_zhang"].name == "Lin Zhang"
    assert entities["guard_2"].traits == ("watchful", "tired")
    assert entities["guard_2"].kind is EntityKind.HUMAN
    nurse = [e for e in update["exposures"] if e.entity_id == "night_nurse"]
    assert [(e.id, e.information) for e in nurse] == [
        ("init-night_nurse-0", "Visitors sign in after eight"),
        ("init-night_nurse-1", "Ward B is short of staff"),
    ]
    assert all(e.kind is ExposureKind.INITIAL and e.timepoint_id is None for e in nurse)
    assert all(e.source == "generated" for e in update["exposures"])
    assert update["withheld"] == {"night_nurse": [], "lin_zhang": [], "guard_2": []}
    assert set(update["cognitive"]) == set(update["physical"]) == set(entities)
    assert update["physical"]["guard_2"].location == scenario.scene.location
    assert update["mechanisms"] == {"M9": len(update["entities"])} and len(update["entities"]) > 1


def test_no_call_when_nothing_is_missing(scripted_router: Callable[..., Router]) -> None:
    model = ScriptedModel({})
    scenario = load_template("board_meeting")
    update = asyncio.run(generate_entities(initial_state(scenario), runtime(scripted_router(model))))
    assert update == {}
    assert model.calls == []


def test_already_generated_entities_are_not_asked_for_again(
    scripted_router: Callable[..., Router],
) -> None:
    model = ScriptedModel({NODE: [{"guard_2": made("Piotr Nowak")}]})
    state = initial_state(crowded_scenario())
    update = asyncio.run(
        generate_missing(["guard 2", "Maya Okonkwo", "maya_okonkwo"], state, scripted_router(model))
    )
    assert list(update["entities"]) == ["guard_2"]
    assert "maya_okonkwo" not in model.prompts_for(NODE)[0].split("Describe these entities:")[1]
    state["entities"] = {**state["entities"], **update["entities"]}
    again = asyncio.run(generate_missing(["guard_2"], state, scripted_router(ScriptedModel({}))))
    assert again == {}


def test_offline_generation_gives_valid_entities(offline_router: Router) -> None:
    update = asyncio.run(generate_entities(initial_state(crowded_scenario()), runtime(offline_router)))
    assert sorted(update["entities"]) == ["guard_2", "lin_zhang", "night_nurse"]
    for entity_id, entity in update["entities"].items():
        assert entity.id == entity_id and entity.name
    assert {e.entity_id for e in update["exposures"]} <= set(update["entities"])


def test_the_schema_requires_every_id_and_nothing_else() -> None:
    schema = generation_schema([Mention(id="guard_2", text="guard 2"), Mention(id="a", text="A")])
    assert schema.model_json_schema()["required"] == ["guard_2", "a"]
    with pytest.raises(ValidationError):
        schema.model_validate({"guard_2": made("P")})
    with pytest.raises(ValidationError):
        schema.model_validate({"guard_2": made("P"), "a": {**made("A"), "kind": "ghost"}})
    with pytest.raises(ValidationError):
        schema.model_validate({"guard_2": made("P"), "a": made("A", knowledge=["a", "b", "c", "d"])})


def test_mentions_keep_handles_canonical_and_slug_names() -> None:
    found = mentions_for(["Guard #2", "the Night Nurse", "guard_2", "Ada"], ["ada"])
    assert found == [
        Mention(id="guard_2", text="Guard #2"),
        Mention(id="night_nurse", text="the Night Nurse"),
    ]

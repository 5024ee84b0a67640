"""Scenario generation from a description: outline + cast sheet, validated, re-asked when bad."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from daedalus.agents.config_generator import (
    NODE,
    Member,
    Outline,
    Tie,
    build_scenario,
    cast_schema,
    generate_scenario,
    outline_schema,
)
from daedalus.domain import EntityKind, TemporalMode
from daedalus.errors import ConfigError
from daedalus.llm.router import Router
from daedalus.testing import ScriptedModel

LEASE = (
    "Ines Moreau, a baker, argues with her landlord Gerald Haines over a 22 percent rent rise; "
    "a chain cafe waits in the wings."
)


def outline(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "The lease renewal",
        "premise": "A bakery's lease ends in a month and the landlord wants much more rent.",
        "mode": "pearl",
        "start": "2026-04-06",
        "steps": 3,
        "step_amount": 1,
        "step_unit": "weeks",
        "location": "The bakery counter",
        "tension": 0.4,
        "goals": ["Agree a rent for five years"],
        "ending": "The baker signs a five-year lease at a compromise rent.",
        "what_ifs": ["The baker walks out and takes the unit two streets away"],
        "cast": ["Ines Moreau", "Gerald Haines"],
    }
    data.update(changes)
    return data


def member(role: str, kind: str = "human", secret: str = "") -> dict[str, Any]:
    return {
        "kind": kind,
        "role": role,
        "traits": ["Stubborn", "warm", "stubborn"],
        "knowledge": [f"The {role} has run the numbers twice"],
        "secret": secret,
        "voice": "plain and friendly",
    }


def sheet(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ines_moreau": member("baker", secret="She found a cheaper unit"),
        "gerald_haines": member("landlord"),
        "ines_moreau__gerald_haines": {
            "kind": "tenant", "trust": 0.55, "alignment": -0.3, "power": -0.4
        },
    }
    data.update(changes)
    return data


def test_scripted_answers_become_the_scenario(scripted_router: Callable[..., Router]) -> None:
    router = scripted_router([outline(), sheet()])
    scenario = asyncio.run(generate_scenario(LEASE, router))
    assert scenario.id == "lease_renewal"  # slug of the title, leading article dropped
    assert scenario.mode is TemporalMode.PEARL and scenario.start == date(2026, 4, 6)
    assert scenario.timeline.steps == 3 and scenario.timeline.step == "1 week"
    ines, gerald = scenario.entities
    assert (ines.id, ines.name, ines.role) == ("ines_moreau", "Ines Moreau", "baker")
    assert ines.traits == ("stubborn", "warm")
    assert [(k.text, k.private) for k in ines.knowledge] == [
        ("The baker has run the numbers twice", False),
        ("She found a cheaper unit", True),
    ]
    assert all(not item.private for item in gerald.knowledge)  # an empty secret adds nothing
    (rel,) = scenario.relationships
    assert (rel.a, rel.b, rel.kind, rel.power) == ("ines_moreau", "gerald_haines", "tenant", -0.4)
    assert scenario.scene.location == "The bakery counter" and scenario.animism == 0
    assert scenario.dialog.participants == 2 and scenario.branching is None


def test_a_cast_sheet_that_cannot_become_a_scenario_is_re_asked(
    scripted_router: Callable[..., Router],
) -> None:
    model = ScriptedModel({NODE: [outline(), sheet(ines_moreau=member("baker") | {"kind": "x"}), sheet()]})
    router = scripted_router(model)
    scenario = asyncio.run(generate_scenario(LEASE, router))
    assert scenario.entities[0].kind is EntityKind.HUMAN
    assert len(model.calls) == 3
    assert "cannot be used" in str(model.calls[-1].messages[-1].content)


def test_duplicate_cast_names_are_re_asked(scripted_router: Callable[..., Router]) -> None:
    twins = outline(cast=["Ines Moreau", "ines  moreau"])
    model = ScriptedModel({NODE: [twins, outline(), sheet()]})
    scenario = asyncio.run(generate_scenario(LEASE, scripted_router(model)))
    assert [e.id for e in scenario.entities] == ["ines_moreau", "gerald_haines"]
    assert "repeated: ines_moreau" in str(model.calls[1].messages[-1].content)


def test_outline_rules() -> None:
    assert Outline.model_validate(outline()).step == "1 week"
    assert Outline.model_validate(outline(step_amount=3, step_unit="days")).step == "3 days"
    with pytest.raises(ValidationError, match="what_ifs"):
        Outline.model_validate(outline(mode="branching", what_ifs=[]))
    with pytest.raises(ValidationError, match="at least 2"):
        Outline.model_validate(outline(cast=["Ines Moreau"]))
    with pytest.raises(ValidationError, match="cannot make an entity id"):
        Outline.model_validate(outline(cast=["Ines Moreau", "!!"]))
    pinned = outline_schema(TemporalMode.PORTAL)
    assert pinned.model_json_schema()["properties"]["mode"]["const"] == "portal"
    with pytest.raises(ValidationError):
        pinned.model_validate(outline(mode="pearl"))
    assert outline_schema(None) is Outline


def test_the_cast_sheet_has_one_required_slot_per_member_and_pair() -> None:
    drafted = Outline.model_validate(outline(cast=["Ada", "Bo Chen", "Cy"]))
    schema = cast_schema(drafted).model_json_schema()
    expected = {"ada", "bo_chen", "cy", "ada__bo_chen", "ada__cy", "bo_chen__cy"}
    assert set(schema["required"]) == expected == set(schema["properties"])


def test_each_mode_gets_its_section() -> None:
    members = {"ines_moreau": Member.model_validate(member("baker")),
               "gerald_haines": Member.model_validate(member("landlord", kind="institution"))}
    ties = {("ines_moreau", "gerald_haines"): Tie(kind="tenant", trust=0.5, alignment=0, power=0)}

    def built(mode: str) -> Any:
        return build_scenario(Outline.model_validate(outline(mode=mode)), members, ties)

    portal = built("portal").portal
    assert portal is not None and portal.endpoint.startswith("The baker signs")
    assert portal.endpoint_time == datetime(2026, 4, 27, 10, 0)  # start + 3 weeks, start hour
    branching = built("branching").branching
    assert branching is not None and branching.branches == 1
    assert branching.branch_points == ("The baker walks out and takes the unit two streets away",)
    cyclical = built("cyclical").cyclical
    assert cyclical is not None and cyclical.prophecy.startswith("The baker signs")
    directorial = built("directorial").directorial
    assert directorial is not None and directorial.acts == 3
    assert built("nonlinear").nonlinear is not None
    assert built("pearl").animism == 3  # an institution speaks from animism level 3 (M16)
    with pytest.raises(ValueError, match="lacks gerald_haines"):
        build_scenario(Outline.model_validate(outline()), {"ines_moreau": members["ines_moreau"]}, {})


@pytest.mark.parametrize("mode", [None, *TemporalMode])
def test_the_offline_model_writes_a_valid_scenario_from_the_description(
    mode: TemporalMode | None,
) -> None:
    scenario = asyncio.run(generate_scenario(LEASE, Router.offline(seed=3), mode=mode))
    if mode is not None:
        assert scenario.mode is mode
    names = {entity.name for entity in scenario.entities}
    assert names <= {"Ines Moreau", "Gerald Haines"} and len(names) == 2
    words = set(re.findall(r"[a-z0-9]+", LEASE.lower()))
    for entity in scenario.entities:  # written from the description's own words
        assert set(re.findall(r"[a-z0-9]+", entity.role.lower())) <= words


def test_empty_description_and_bad_id_are_refused() -> None:
    with pytest.raises(ConfigError, match="description is empty"):
        asyncio.run(generate_scenario("  ", Router.offline()))
    with pytest.raises(ConfigError, match="scenario id 'Bad Id'"):
        asyncio.run(generate_scenario(LEASE, Router.offline(), scenario_id="Bad Id"))
    made = asyncio.run(generate_scenario(LEASE, Router.offline(), scenario_id="my_lease"))
    assert made.id == "my_lease"

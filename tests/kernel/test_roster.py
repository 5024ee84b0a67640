"""Roster (M1 profile loading, M3 prior knowledge, M10 scene) and planned slot importance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import Entity, ExposureKind, relationship_key
from daedalus.errors import ConfigError
from daedalus.kernel.roster import (
    build_roster,
    initial_cognitive,
    load_archetypes,
    load_profile,
    planned_importance,
    scene_state,
)
from daedalus.kernel.tensors import BEHAVIOR_AXES
from daedalus.scenario import Scenario, SceneSection
from daedalus.templates import load_template

LEXICON_TRAITS = ["calm", "anxious", "outgoing", "reserved", "kind", "hostile", "meticulous",
                  "careless", "cautious", "bold", "curious", "volatile"]


def scenario_with(**changes: Any) -> Scenario:
    data = load_template("board_meeting").model_dump(mode="json")
    data.update(changes)
    return Scenario.model_validate(data)


def profiled_scenario() -> Scenario:
    data = load_template("board_meeting").model_dump(mode="json")
    data["entities"].append(
        {
            "id": "lin_zhang",
            "name": "Lin Zhang",
            "role": "Head of Engineering",
            "traits": ["loyal"],
            "profile": "lin_zhang",
            "knowledge": [
                "Field units in cold warehouses report slower arm calibration",
                {"text": "The prototype overheated in last week's demo", "private": True},
            ],
            "voice": {"style": "short answers under pressure"},
            "location": "Engineering lab",
        }
    )
    return Scenario.model_validate(data)


def test_board_meeting_roster_golden() -> None:
    roster = build_roster(load_template("board_meeting"), {})
    assert [(e.id, e.source) for e in roster.exposures] == [
        ("init-maya_okonkwo-0", "scenario"),
        ("init-maya_okonkwo-1", "scenario"),
        ("init-maya_okonkwo-2", "scenario"),
        ("init-daniel_reyes-0", "scenario"),
        ("init-daniel_reyes-1", "scenario"),
        ("init-helen_park-0", "scenario"),
    ]
    assert all(e.kind is ExposureKind.INITIAL and e.timepoint_id is None for e in roster.exposures)
    assert roster.exposures[2].information == "A rival has made an informal acquisition approach"
    assert roster.withheld == {
        "maya_okonkwo": ("init-maya_okonkwo-2",),
        "daniel_reyes": (),
        "helen_park": (),
    }
    assert sorted(roster.relationships) == [
        "daniel_reyes|helen_park",
        "daniel_reyes|maya_okonkwo",
        "helen_park|maya_okonkwo",
    ]
    boss = roster.relationships[relationship_key("helen_park", "maya_okonkwo")]
    assert (boss.kind, boss.trust, boss.alignment, boss.power) == ("board", 0.4, -0.1, -0.2)
    assert roster.entities["helen_park"].traits == ("skeptical", "principled", "calm")
    assert roster.entities["helen_park"].profile is None
    assert roster.physical["daniel_reyes"].location == "Boardroom, fourth floor"
    assert roster.environment.location == "Boardroom, fourth floor"
    assert (roster.atmosphere.tension, roster.atmosphere.formality) == (0.55, 0.8)
    assert roster.crowd.size == 0
    assert roster.profiled == ()
    update = roster.state_update()
    assert update["mechanisms"] == {"M10": 1}
    assert update["withheld"]["maya_okonkwo"] == ["init-maya_okonkwo-2"]


def test_calm_lowers_arousal_and_anxious_raises_it() -> None:
    roster = build_roster(load_template("board_meeting"), {})
    # helen is "calm": neuroticism 0.275 -> arousal 0.5 + 0.4 * (0.275 - 0.5) = 0.41
    assert roster.cognitive["helen_park"].arousal == pytest.approx(0.41)
    anxious = initial_cognitive(Entity(id="a", name="A", traits=("anxious", "nervous")))
    calm = initial_cognitive(Entity(id="c", name="C", traits=("calm", "composed")))
    neutral = initial_cognitive(Entity(id="n", name="N"))
    assert calm.arousal < neutral.arousal == 0.5 < anxious.arousal
    assert calm.valence > neutral.valence > anxious.valence
    diligent = initial_cognitive(Entity(id="d", name="D", traits=("diligent",)))
    assert diligent.focus > neutral.focus


@settings(max_examples=40)
@given(st.lists(st.sampled_from(LEXICON_TRAITS), max_size=6))
def test_initial_minds_stay_in_range(traits: list[str]) -> None:
    mind = initial_cognitive(Entity(id="x", name="X", traits=tuple(traits)))
    assert 0.05 <= mind.arousal <= 0.95
    assert -1.0 <= mind.valence <= 1.0
    assert 0.0 <= mind.focus <= 1.0


def test_profile_merges_archetype_then_file_then_scenario() -> None:
    scenario = profiled_scenario()
    stored = load_profile("lin_zhang")
    roster = build_roster(scenario, {"lin_zhang": stored})
    lin = roster.entities["lin_zhang"]
    assert lin.profile is not None
    assert lin.profile.archetype_id == "cautious_engineer"
    # the file's caution (0.9) overrides the archetype's (0.85); extraversion comes from it
    assert lin.profile.trait_scores["caution"] == 0.9
    assert lin.profile.trait_scores["extraversion"] == 0.3
    assert lin.traits == ("loyal", "methodical", "cautious", "reserved", "precise", "stubborn")
    # the scenario's voice style wins; the profile's examples stay
    assert lin.profile.voice_style == "short answers under pressure"
    assert lin.profile.voice_examples == (
        "One in four hundred. In a warehouse that is every afternoon.",
    )
    mine = [e for e in roster.exposures if e.entity_id == "lin_zhang"]
    assert [(e.id, e.source) for e in mine] == [
        ("init-lin_zhang-0", "scenario"),
        ("init-lin_zhang-1", "scenario"),
        ("init-lin_zhang-2", "profile"),
    ]
    assert mine[2].information.startswith("The gripper firmware fails")
    assert roster.withheld["lin_zhang"] == ("init-lin_zhang-1",)
    assert roster.physical["lin_zhang"].location == "Engineering lab"
    assert roster.profiled == ("lin_zhang",)
    assert roster.state_update()["mechanisms"] == {"M10": 1, "M1": 1}
    # the profile's scores shape the starting mind: reserved lowers arousal below neutral
    assert roster.cognitive["lin_zhang"].arousal < 0.5


def test_every_shipped_profile_loads_with_a_known_archetype() -> None:
    archetypes = load_archetypes()
    assert {"skeptical_regulator", "cautious_engineer"} <= set(archetypes)
    for name in ("lin_zhang", "marta_vance", "priya_raman", "tomas_reid"):
        stored = load_profile(name, archetypes=archetypes)
        assert stored.archetype_id in archetypes
        assert stored.initial_knowledge
        assert set(stored.trait_scores) <= set(BEHAVIOR_AXES)


def test_profiles_and_archetypes_load_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "archetypes.yaml").write_text(
        "archetypes:\n  night_owl:\n    traits: [quiet]\n    trait_scores: {extraversion: 0.1}\n"
    )
    (tmp_path / "ada.json").write_text(
        json.dumps({"name": "Ada", "archetype_id": "night_owl", "initial_knowledge": ["x is y"]})
    )
    stored = load_profile("ada", directory=tmp_path)
    assert stored.traits == ("quiet",)
    assert stored.trait_scores == {"extraversion": 0.1}
    # shipped archetypes stay available next to the directory's own
    assert "cautious_engineer" in load_archetypes(tmp_path)


def test_profile_errors_name_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no entity profile named 'nobody'.*lin_zhang"):
        load_profile("nobody")
    with pytest.raises(ConfigError, match="must be lower-case"):
        load_profile("../secrets")
    (tmp_path / "bad.json").write_text(json.dumps({"name": "B", "trait_scores": {"caution": 3}}))
    with pytest.raises(ConfigError, match=r"entity profile 'bad': trait_scores\.caution"):
        load_profile("bad", directory=tmp_path)
    (tmp_path / "odd.json").write_text(json.dumps({"name": "O", "archetype_id": "ghost"}))
    with pytest.raises(ConfigError, match="unknown archetype 'ghost'"):
        load_profile("odd", directory=tmp_path)


def test_a_named_profile_must_be_loaded() -> None:
    with pytest.raises(ConfigError, match="names profile 'lin_zhang', not loaded"):
        build_roster(profiled_scenario(), {})


def test_a_pair_listed_twice_is_refused() -> None:
    data = load_template("board_meeting").model_dump(mode="json")
    data["relationships"].append({"a": "daniel_reyes", "b": "maya_okonkwo", "trust": 0.1})
    with pytest.raises(ConfigError, match=r"repeats the pair 'daniel_reyes\|maya_okonkwo'"):
        build_roster(Scenario.model_validate(data), {})


def test_knowledge_already_in_the_scenario_is_not_repeated_from_the_profile() -> None:
    roster = build_roster(profiled_scenario(), {"lin_zhang": load_profile("lin_zhang")})
    texts = [e.information for e in roster.exposures if e.entity_id == "lin_zhang"]
    assert texts.count("Field units in cold warehouses report slower arm calibration") == 1


def test_crowd_follows_the_scene() -> None:
    _, _, crowd = scene_state(SceneSection(crowd_size=25, tension=0.7, formality=0.8))
    assert (crowd.size, crowd.density, crowd.movement_pattern) == (25, 0.5, "seated")
    assert crowd.mood_distribution == {"tense": 0.7, "at ease": 0.3}
    _, _, loose = scene_state(SceneSection(crowd_size=75, formality=0.2))
    assert (loose.density, loose.movement_pattern) == (0.75, "milling")


def test_planned_importance_ramps_toward_the_last_slot() -> None:
    ramp = planned_importance(scenario_with(timeline={"steps": 4, "step": "1 day"}))
    assert ramp == {"slot-000": 0.3, "slot-001": 0.5, "slot-002": 0.7, "slot-003": 0.9}
    assert planned_importance(scenario_with(timeline={"steps": 1, "step": "1 day"})) == {
        "slot-000": 0.9
    }


def test_mode_sections_reshape_the_importance() -> None:
    timeline = {"steps": 5, "step": "1 day"}
    directed = planned_importance(
        scenario_with(
            mode="directorial", timeline=timeline, directorial={"tension_targets": [0.2, 1.0, 0.4]}
        )
    )
    assert list(directed.values()) == pytest.approx([0.2, 0.6, 1.0, 0.7, 0.4])
    forked = planned_importance(
        scenario_with(mode="branching", timeline=timeline, branching={"fork_step": 1})
    )
    assert forked["slot-001"] == 0.9 and forked["slot-002"] == 0.6
    cycles = planned_importance(
        scenario_with(mode="cyclical", timeline=timeline, cyclical={"cycle_length": 2})
    )
    assert cycles["slot-001"] == 0.8 and cycles["slot-003"] == 0.8 and cycles["slot-002"] == 0.6

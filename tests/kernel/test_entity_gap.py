"""Entity gap detection (M9): numbered handles, proper names, slugs, scenario mentions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.errors import ConfigError
from daedalus.kernel.entity_gap import (
    AGENT_NOUNS,
    NON_AGENT_NOUNS,
    Mention,
    detect_entity_gap,
    entity_slug,
    mentioned_names,
    numbered_mentions,
    scenario_gap,
)
from daedalus.templates import load_template


def ids(mentions: tuple[Mention, ...]) -> list[str]:
    return [m.id for m in mentions]


def test_numbered_handles_in_every_form_become_canonical_ids() -> None:
    text = "attendee_47 argued with Guard #3 while person 12, nurse no. 4 and guard_2 watched"
    assert ids(numbered_mentions(text)) == [
        "attendee_47",
        "guard_3",
        "person_12",
        "nurse_4",
        "guard_2",
    ]
    assert numbered_mentions("Person 12")[0] == Mention(id="person_12", text="Person 12")


def test_a_handle_named_twice_is_listed_once_at_its_first_place() -> None:
    assert ids(numbered_mentions("guard 2 saw guard_2, then attendee_5")) == [
        "guard_2",
        "attendee_5",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "what happened at step 3",
        "on day 2 of week 4",
        "see page 4 and chapter 7",
        "the 2026 budget for Q3",
        "floor 4, room 101",
        "step_3 and slot_2",
        "covid-19 and gpt-4",
        "version 2.0 shipped",
        "person 12.5 is not a handle",
        "board_meeting_2 is a file name",
        "a vote of 7 to 2",
        "Revenue missed the quarterly plan by eighteen percent",
    ],
)
def test_ordinary_numbers_and_words_are_not_entities(text: str) -> None:
    assert numbered_mentions(text) == ()


@settings(max_examples=60)
@given(st.sampled_from(sorted(AGENT_NOUNS)), st.integers(min_value=0, max_value=99999))
def test_every_agent_noun_with_a_number_is_a_handle(noun: str, number: int) -> None:
    for text in (f"{noun} {number}", f"{noun}_{number}", f"{noun.title()} #{number}"):
        assert ids(numbered_mentions(f"then {text} left")) == [f"{noun}_{number}"]


@settings(max_examples=60)
@given(st.sampled_from(sorted(NON_AGENT_NOUNS)), st.integers(min_value=0, max_value=99999))
def test_counting_nouns_never_make_a_handle(noun: str, number: int) -> None:
    for text in (f"{noun} {number}", f"{noun}_{number}", f"{noun} #{number}"):
        assert numbered_mentions(text) == ()


@settings(max_examples=60)
@given(st.text(alphabet=st.characters(categories=["L", "Zs", "P"]), max_size=80))
def test_text_without_digits_names_no_handle(text: str) -> None:
    assert numbered_mentions(text) == ()


def test_proper_names_skip_question_words_and_dates() -> None:
    assert mentioned_names("What did Lin Zhang know at step 3?") == ("Lin Zhang",)
    assert mentioned_names("Tell me what the Night Nurse knew on Monday") == ("Night Nurse",)
    assert mentioned_names("what did maya know") == ()
    assert mentioned_names("Did Ada tell Bo? Ada did.") == ("Ada", "Bo")


def test_slugs_fold_accents_and_drop_articles() -> None:
    assert entity_slug("the Night Nurse") == "night_nurse"
    assert entity_slug("José Álvarez-Ruiz") == "jose_alvarez_ruiz"
    assert entity_slug("  An Old Harbour ") == "old_harbour"
    with pytest.raises(ConfigError, match="cannot make an entity id from '!!!'"):
        entity_slug("!!!")


def test_gap_leaves_out_known_ids_case_insensitively() -> None:
    found = detect_entity_gap(["guard_2 and attendee_47", "Guard 2 again"], ["Attendee_47"])
    assert ids(found) == ["guard_2"]


def test_scenario_gap_reads_extras_description_goals_endpoint_and_branch_points() -> None:
    base = load_template("board_meeting").model_dump(mode="json")
    base.update(
        mode="portal",
        description="The board meets; guard_2 keeps the door.",
        extras=["the night nurse", "attendee_47"],
        scene={**base["scene"], "goals": ["Calm witness 4 down", "Ask maya_okonkwo_1 nothing"]},
        portal={"endpoint": "Courier 9 delivers the vote", "endpoint_time": "2026-06-01"},
        branching={"branch_points": ["If person 12 talks"]},
    )
    scenario = type(load_template("board_meeting")).model_validate(base)
    found = scenario_gap(scenario)
    assert ids(found) == [
        "night_nurse",
        "attendee_47",
        "guard_2",
        "witness_4",
        "courier_9",
        "person_12",
    ]
    assert found[0].text == "the night nurse"
    assert ids(scenario_gap(scenario, known_ids=["guard_2", "Night_Nurse"])) == [
        "attendee_47",
        "witness_4",
        "courier_9",
        "person_12",
    ]


def test_the_shipped_board_meeting_names_no_one_missing() -> None:
    assert scenario_gap(load_template("board_meeting")) == ()

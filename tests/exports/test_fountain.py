import re
from datetime import datetime

import pytest

from daedalus.domain import Dialog, DialogTurn, Entity, Timepoint
from daedalus.exports.fountain import render_fountain, scene_heading, time_of_day, write_fountain
from daedalus.store.record import RunRecord
from tests.store.records import sample_meta, sample_state

HEADING = re.compile(r"^INT\. [^a-z\n]+ - (MORNING|DAY|EVENING|NIGHT)$", re.M)


def test_title_page_then_a_blank_line(record):
    text = render_fountain(record)
    page, _, body = text.partition("\n\n")
    assert page.splitlines() == [
        "Title: The harbour vote",
        "Credit: A Daedalus simulation",
        "Source: template harbour_vote, run run-0001 (branching, seed 7)",
        "Draft date: 2026-03-12",
        "Notes: Model offline. OFFLINE MODEL: every line comes from the built-in offline model.",
    ]
    assert body.startswith("INT. HARBOUR OFFICE - MORNING\n")
    assert text.rstrip().endswith("> THE END <")


def test_a_paid_run_has_no_offline_label(priced):
    assert "OFFLINE" not in render_fountain(priced)


def test_one_scene_per_dialog_with_cues_tones_and_stage_directions(record):
    text = render_fountain(record)
    assert HEADING.findall(text) == ["MORNING"]
    assert "\n2026-03-19 09:00. The council meets about the pier.\n" in text
    assert "\n\nADA MOREAU\n(tense)\nTwo piles failed the load test. I want it closed.\n" in text
    assert "\n\nBEN OSEI\n(guarded)\nRepairs would cost two million we do not have.\n" in text
    assert "\n\nAda Moreau stays silent.\n" in text
    assert "(neutral)" not in text


def _with_branch_dialog():
    state = sample_state()
    state["dialogs"].append(Dialog(
        id="dlg-alt.tp-1", timepoint_id="alt.tp-1", participants=("ada", "ben"),
        turns=(DialogTurn(speaker="ben", content="Is anyone hurt?", emotional_tone="neutral"),),
    ))
    return RunRecord.from_state(state, meta=sample_meta())


def test_branch_scenes_follow_the_main_line_with_a_note():
    text = render_fountain(_with_branch_dialog())
    assert len(HEADING.findall(text)) == 2
    main, branch = text.split("INT. HARBOUR OFFICE")[1:]
    assert "ADA MOREAU" in main and "[[Branch" not in main
    assert "[[Branch alt, forked at tp-0: A storm hits the night before the meeting]]" in branch
    assert "\nBEN OSEI\nIs anyone hurt?\n" in branch


@pytest.mark.parametrize(("hour", "label"), [
    (0, "NIGHT"), (4, "NIGHT"), (5, "MORNING"), (11, "MORNING"), (12, "DAY"), (16, "DAY"),
    (17, "EVENING"), (20, "EVENING"), (21, "NIGHT"), (23, "NIGHT"),
])
def test_time_of_day(hour, label):
    assert time_of_day(Timepoint(id="t", timestamp=datetime(2026, 1, 1, hour))) == label


def test_scene_heading_capitalises_one_line():
    tp = Timepoint(id="t", timestamp=datetime(2026, 1, 1, 18))
    assert scene_heading("Old pier - east\nside", tp) == "INT. OLD PIER EAST SIDE - EVENING"


def test_a_name_without_letters_gets_a_forced_cue():
    state = sample_state()
    state["entities"]["ben"] = Entity(id="ben", name="42")
    text = render_fountain(RunRecord.from_state(state, meta=sample_meta()))
    assert "\n\n@42\n(guarded)\n" in text


def test_location_falls_back_to_the_scenario_then_the_title():
    state = sample_state()
    del state["environment"]
    assert "INT. HARBOUR OFFICE - MORNING" in render_fountain(RunRecord.from_state(state, meta=sample_meta()))
    del state["scenario"]
    assert "INT. HARBOUR_VOTE - MORNING" in render_fountain(RunRecord.from_state(state, meta=sample_meta()))


def test_writing_twice_gives_identical_bytes(record, tmp_path):
    assert (write_fountain(record, tmp_path / "a.fountain").read_bytes()
            == write_fountain(record, tmp_path / "b.fountain").read_bytes())

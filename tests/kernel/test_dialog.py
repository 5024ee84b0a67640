import pytest
from hypothesis import given
from hypothesis import strategies as st

from daedalus.domain import DialogTurn
from daedalus.kernel.dialog import (
    GateVerdict,
    SurfaceIssue,
    recursion_limit,
    surface_check,
    text_overlap,
    turn_budget,
    word_runs,
)


def turn(speaker, content):
    return DialogTurn(speaker=speaker, content=content)


PEOPLE = ["ana", "ben", "cy"]


def test_a_plain_turn_passes():
    report = surface_check([turn("ana", "The pump failed twice in March; I logged both.")], PEOPLE)
    assert report.passed


@pytest.mark.parametrize("opener", ["Certainly, we can do that.", "Well, the numbers are bad."])
def test_generic_openers_fail(opener):
    report = surface_check([turn("ana", opener)], PEOPLE)
    assert report.issues == (SurfaceIssue.GENERIC_OPENER,)


def test_empty_turn_fails():
    assert surface_check([turn("ana", "  ...  ")], PEOPLE).issues == (SurfaceIssue.EMPTY,)


def test_strict_rotation_is_flagged_and_needs_a_new_beat():
    lines = ["one two", "three four five", "six", "seven eight nine ten", "eleven", "twelve thirteen"]
    turns = [turn(PEOPLE[i % 3], text) for i, text in enumerate(lines)]
    report = surface_check(turns, PEOPLE)
    assert SurfaceIssue.ROUND_ROBIN in report.issues
    assert SurfaceIssue.ROUND_ROBIN.needs_new_beat
    shuffled = [turn(s, t) for s, t in zip(["ana", "ben", "ana", "cy", "ben", "cy"], lines, strict=True)]
    assert SurfaceIssue.ROUND_ROBIN not in surface_check(shuffled, PEOPLE).issues


def test_consensus_rate():
    turns = [
        turn("ana", "I agree with the plan to delay launch."),
        turn("ben", "You're right about the delay."),
        turn("cy", "Good point, I agree as well."),
    ]
    assert SurfaceIssue.CONSENSUS in surface_check(turns, PEOPLE).issues
    turns[-1] = turn("cy", "No. The launch window closes in nine days.")
    assert SurfaceIssue.CONSENSUS not in surface_check(turns, PEOPLE).issues


def test_monotone_lengths():
    same = [turn(PEOPLE[i % 3], "alpha beta gamma delta epsilon") for i in range(4)]
    assert SurfaceIssue.MONOTONE_LENGTH in surface_check(same, ["ana", "ben", "cy", "dee"]).issues


def test_voice_blur_between_speakers():
    line = "the reactor coolant margins remain dangerously thin tonight"
    turns = [turn("ana", line), turn("ben", line + " again"), turn("ana", line), turn("ben", line)]
    assert SurfaceIssue.VOICE_BLUR in surface_check(turns, ["ana", "ben"]).issues


def test_withheld_leak_is_detected_for_the_speaker_only():
    secret = "A rival has made an informal acquisition approach"
    leak = [turn("ana", "Between us, a rival made an informal acquisition approach last week.")]
    assert SurfaceIssue.WITHHELD_LEAK in surface_check(leak, PEOPLE, {"ana": [secret]}).issues
    assert surface_check(leak, PEOPLE, {"ben": [secret]}).passed


def test_text_overlap_bounds():
    assert text_overlap("the cat sat", "") == 0.0
    assert text_overlap("one two three", "one two three") == 1.0


def test_gate_verdict_threshold_ignores_the_models_own_flag():
    verdict = GateVerdict(
        narrative_advancement=0.9, specificity=0.4, voice_distinctiveness=0.8, naturalness=0.9,
        passed=True,
    )
    assert not verdict.meets(0.5)
    assert verdict.meets(0.4)


@given(st.integers(1, 12), st.floats(0, 1), st.integers(1, 40))
def test_turn_budget_is_bounded(people, tension, cap):
    budget = turn_budget(people, tension, cap)
    assert budget >= min(2, cap)
    assert budget <= cap
    assert turn_budget(people, min(1.0, tension + 0.2), cap) >= budget


@given(st.integers(2, 40), st.integers(0, 5))
def test_recursion_limit_covers_every_attempt(budget, retries):
    assert recursion_limit(budget, retries) >= 3 * budget * (retries + 1)


def test_a_line_that_is_only_names_or_carries_id_labels_is_refused():
    names = ["Ana Ruiz", "Ben Cole", "Cy Park"]
    listing = turn("ana", "Ana Ruiz, Ben Cole and Cy Park.")
    assert SurfaceIssue.NAME_LIST in surface_check([listing], PEOPLE, names=names).issues
    labelled = turn("ana", "Ben Cole, Mayor (id ben_cole) is here.")
    assert SurfaceIssue.NAME_LIST in surface_check([labelled], PEOPLE, names=names).issues
    speech = turn("ana", "Ben, the pump failed twice in March and Cy logged both.")
    assert surface_check([speech], PEOPLE, names=names).passed


def test_a_line_repeating_the_instructions_is_refused():
    from daedalus.agents._common import instruction_runs

    echo = turn("ana", "Propose exactly 5 candidate events for this moment, please, one each.")
    runs = instruction_runs()
    line = "write exactly one turn: one to four sentences of natural speech, no stage directions"
    assert word_runs(line) & runs, "the check reads the shipped prompts"
    echoed = turn("ana", line.capitalize() + ".")
    assert SurfaceIssue.INSTRUCTION_ECHO in surface_check([echoed], PEOPLE, instructions=runs).issues
    assert SurfaceIssue.INSTRUCTION_ECHO not in surface_check([echo], PEOPLE, instructions=runs).issues


def test_repeating_ones_own_line_and_holding_the_floor_are_refused():
    first = turn("ana", "The pump failed twice in March.")
    again = turn("ana", "The pump failed twice in March!")
    report = surface_check([first, again], PEOPLE)
    assert SurfaceIssue.SELF_REPEAT in report.issues and SurfaceIssue.MONOLOGUE in report.issues
    assert SurfaceIssue.MONOLOGUE.needs_new_beat and not SurfaceIssue.SELF_REPEAT.needs_new_beat
    # once everyone has spoken, a speaker may follow themselves
    heard = [turn("ben", "We need the logs."), turn("cy", "I have them."), first,
             turn("ana", "And the valve is worn through.")]
    assert SurfaceIssue.MONOLOGUE not in surface_check(heard, PEOPLE).issues

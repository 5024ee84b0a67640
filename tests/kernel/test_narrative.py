from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.narrative import (
    DEFAULT_TENSION_TARGETS,
    Act,
    act_schedule,
    arc,
    choose_pov,
    cycle_closures,
    cycle_position,
    forward_line,
    line_timepoint_id,
    presentation_order,
    steer_tension,
    whole_cycles,
    with_details,
)
from daedalus.kernel.temporal import TemporalRule, check_cyclical, check_nonlinear

T0 = datetime(2031, 1, 1, 9)
KINDS = ("reverse", "in_medias_res", "interleaved", "shuffled")


def line(count: int) -> list[Timepoint]:
    return [
        Timepoint(
            id=line_timepoint_id(i),
            timestamp=T0 + timedelta(days=i),
            causal_parent=line_timepoint_id(i - 1) if i else None,
            importance=0.5,
        )
        for i in range(count)
    ]


def ids(count: int) -> list[str]:
    return [line_timepoint_id(i) for i in range(count)]


# ---- the line ------------------------------------------------------------------------------


def test_line_ids_are_zero_padded_and_reject_negative_indices():
    assert [line_timepoint_id(i) for i in (0, 7, 123)] == ["tp-000", "tp-007", "tp-123"]
    with pytest.raises(ConfigError, match="0 or more, got -1"):
        line_timepoint_id(-1)


def test_forward_line_leaves_out_details_inside_a_moment():
    moments = line(2)
    detail = Timepoint(id="tp-000-d0", timestamp=T0, causal_parent="tp-000", moment_of="tp-000")
    assert [tp.id for tp in forward_line([moments[0], detail, moments[1]])] == ["tp-000", "tp-001"]


# ---- DIRECTORIAL ---------------------------------------------------------------------------


def test_arcs_for_three_four_and_five_acts():
    assert arc(5) == tuple(Act)
    assert arc(4) == (Act.SETUP, Act.RISING_ACTION, Act.CLIMAX, Act.RESOLUTION)
    assert arc(3) == (Act.SETUP, Act.CLIMAX, Act.RESOLUTION)
    with pytest.raises(ConfigError, match="must be 3, 4 or 5, got 2"):
        arc(2)


def acts_of(steps: int, acts: int = 5) -> list[str]:
    return [beat.act.value for beat in act_schedule(steps, acts)]


def test_schedule_golden_cases():
    assert acts_of(5) == [a.value for a in Act]
    assert acts_of(7) == [
        "setup", "rising_action", "rising_action", "climax", "climax", "falling_action",
        "resolution",
    ]
    assert acts_of(10) == ["setup"] * 2 + ["rising_action"] * 2 + ["climax"] * 2 + [
        "falling_action"
    ] * 2 + ["resolution"] * 2
    assert acts_of(1) == ["climax"]
    assert acts_of(2) == ["setup", "climax"]
    assert acts_of(3) == ["setup", "climax", "resolution"]
    assert acts_of(4) == ["setup", "rising_action", "climax", "resolution"]
    assert acts_of(4, acts=3) == ["setup", "climax", "climax", "resolution"]


def test_schedule_uses_default_or_given_tension_targets():
    beats = act_schedule(5)
    assert [b.target_tension for b in beats] == [DEFAULT_TENSION_TARGETS[a] for a in Act]
    assert max(beats, key=lambda b: b.target_tension).act is Act.CLIMAX
    custom = act_schedule(4, acts=4, tension_targets=(0.1, 0.4, 0.7, 0.2))
    assert [b.target_tension for b in custom] == [0.1, 0.4, 0.7, 0.2]
    assert [b.act_number for b in custom] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("targets", "message"),
    [((0.2, 0.9), "has 2 values; expected 5"), ((0.1, 0.2, 1.4, 0.3, 0.1), r"\[2\] is 1.4")],
)
def test_schedule_rejects_bad_tension_targets(targets, message):
    with pytest.raises(ConfigError, match=message):
        act_schedule(5, 5, targets)


def test_schedule_rejects_an_empty_timeline():
    with pytest.raises(ConfigError, match="at least 1, got 0"):
        act_schedule(0)


@settings(max_examples=60, deadline=None)
@given(steps=st.integers(1, 60), acts=st.sampled_from([3, 4, 5]))
def test_schedule_properties(steps, acts):
    beats = act_schedule(steps, acts)
    chosen = arc(acts)
    assert [b.index for b in beats] == list(range(steps))
    numbers = [b.act_number for b in beats]
    assert numbers == sorted(numbers)  # acts run in arc order, each contiguous
    assert [b.opens_act for b in beats] == [
        i == 0 or numbers[i] != numbers[i - 1] for i in range(steps)
    ]
    present = {b.act for b in beats}
    assert Act.CLIMAX in present
    if steps >= acts:
        assert present == set(chosen)
        counts = [numbers.count(n) for n in range(1, acts + 1)]
        assert max(counts) - min(counts) <= 1
    if steps >= 2:
        assert beats[0].act is Act.SETUP
    if steps >= 3:
        assert beats[-1].act is Act.RESOLUTION
    assert all(b.target_tension == DEFAULT_TENSION_TARGETS[b.act] for b in beats)


def test_steer_tension_moves_toward_the_target():
    assert steer_tension(0.2, 0.9) == pytest.approx(0.76)
    assert steer_tension(0.2, 0.9, weight=1.0) == 0.9
    assert steer_tension(0.8, 0.3, weight=0.0) == 0.8
    with pytest.raises(ConfigError, match="weight must be in"):
        steer_tension(0.5, 0.5, weight=1.5)


@settings(max_examples=80, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_steer_tension_never_overshoots(current, target, weight):
    steered = steer_tension(current, target, weight)
    assert 0.0 <= steered <= 1.0
    assert abs(steered - target) <= abs(current - target) + 1e-6


def test_pov_is_the_most_central_then_the_most_seen_then_the_first():
    assert choose_pov(["a", "b", "c"], {"a": 0.2, "b": 1.0, "c": 0.5}) == "b"
    assert choose_pov(["a", "b"], {"a": 1.0, "b": 1.0}, {"b": 3, "a": 1}) == "b"
    assert choose_pov(["c", "a"], {}, {}) == "c"
    with pytest.raises(ConfigError, match="no entity can hold the point of view"):
        choose_pov([], {})


# ---- NONLINEAR -----------------------------------------------------------------------------


def test_presentation_golden_orders():
    causal = ["a", "b", "c", "d", "e"]
    importance = {"a": 0.9, "b": 0.1, "c": 0.3, "d": 0.8, "e": 0.8}
    assert presentation_order(causal, "reverse") == ("e", "d", "c", "b", "a")
    # the first moment is the most important but opening there would be causal order
    assert presentation_order(causal, "in_medias_res", importance=importance) == (
        "d", "a", "b", "c", "e",
    )
    assert presentation_order(causal, "interleaved") == ("e", "a", "d", "b", "c")
    assert presentation_order(["a", "b"], "interleaved") == ("b", "a")
    assert presentation_order(["a"], "reverse") == ("a",)
    assert presentation_order([], "shuffled", rng=np.random.default_rng(0)) == ()


def test_shuffled_is_seeded():
    causal = ids(8)
    first = presentation_order(causal, "shuffled", rng=np.random.default_rng(11))
    again = presentation_order(causal, "shuffled", rng=np.random.default_rng(11))
    other = presentation_order(causal, "shuffled", rng=np.random.default_rng(12))
    assert first == again
    assert first != other


def test_presentation_rejects_bad_input():
    with pytest.raises(ConfigError, match="needs the importance"):
        presentation_order(["a", "b"], "in_medias_res")
    with pytest.raises(ConfigError, match="needs a seeded numpy Generator"):
        presentation_order(["a", "b"], "shuffled")
    with pytest.raises(ConfigError, match="repeats a timepoint id"):
        presentation_order(["a", "a"], "reverse")
    with pytest.raises(ConfigError, match="'sideways' is unknown"):
        presentation_order(["a", "b"], "sideways")  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(count=st.integers(2, 30), kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))
def test_every_presentation_is_a_different_permutation_that_checks(count, kind, seed):
    rng = np.random.default_rng(seed)
    weights = rng.random(count).tolist()
    causal = ids(count)
    order = presentation_order(
        causal, kind, importance=dict(zip(causal, weights, strict=True)), rng=rng
    )
    assert sorted(order) == sorted(causal)
    assert list(order) != causal
    assert check_nonlinear(line(count), order).valid


def test_nonlinear_check_refuses_a_corrupt_presentation():
    order = list(presentation_order(ids(4), "reverse"))
    corrupt = [*order[:-1], order[0]]
    report = check_nonlinear(line(4), corrupt)
    assert not report.valid
    assert report.rules() == {
        TemporalRule.PRESENTATION_DUPLICATE, TemporalRule.PRESENTATION_MISSING
    }


def test_details_travel_with_their_moment():
    moments = line(3)
    d1 = Timepoint(id="d1", timestamp=T0, causal_parent="tp-000", moment_of="tp-000")
    d2 = Timepoint(id="d2", timestamp=T0, causal_parent="d1", moment_of="d1")
    stray = Timepoint(id="x", timestamp=T0)
    order = with_details(("tp-002", "tp-000", "tp-001"), [*moments, d1, d2, stray])
    assert order == ("tp-002", "tp-000", "d1", "d2", "tp-001", "x")
    assert check_nonlinear([*moments, d1, d2, stray], order).valid


# ---- CYCLICAL ------------------------------------------------------------------------------


def test_cycle_positions_and_whole_cycles():
    positions = [cycle_position(i, 3) for i in range(7)]
    assert [(p.cycle, p.position) for p in positions] == [
        (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0),
    ]
    assert [p.opens for p in positions[:3]] == [True, False, False]
    assert [p.closes for p in positions[:3]] == [False, False, True]
    assert [whole_cycles(s, 3) for s in (1, 3, 4, 6, 7)] == [3, 3, 6, 6, 9]
    with pytest.raises(ConfigError, match="cycle_length must be at least 1, got 0"):
        cycle_position(0, 0)
    with pytest.raises(ConfigError, match="steps must be at least 1"):
        whole_cycles(0, 3)


def test_closures_make_the_cyclical_check_pass_and_their_absence_fails_it():
    timeline = line(6)
    closes = cycle_closures(ids(6), 3)
    assert closes == {"tp-002": "tp-000", "tp-005": "tp-003"}
    assert check_cyclical(timeline, 3, closes=closes).valid
    assert cycle_closures(ids(7), 3) == closes  # the trailing partial cycle stays open
    unclosed = check_cyclical(timeline, 3, closes={})
    assert TemporalRule.CYCLE_CLOSURE in unclosed.rules()


def test_a_shuffle_that_lands_on_causal_order_is_rotated():
    seed = next(
        s for s in range(500)
        if np.random.default_rng(s).permutation(3).tolist() == [0, 1, 2]
    )
    order = presentation_order(["a", "b", "c"], "shuffled", rng=np.random.default_rng(seed))
    assert order == ("b", "c", "a")

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from daedalus.domain import ResolutionLevel, Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.adprs import (
    BandPrediction,
    Envelope,
    ShadowReport,
    band,
    composite_phi,
    envelopes_for,
    gate,
    predict_bands,
    shadow_report,
)

T, S, G, D, TR = (
    ResolutionLevel.TENSOR_ONLY,
    ResolutionLevel.SCENE,
    ResolutionLevel.GRAPH,
    ResolutionLevel.DIALOG,
    ResolutionLevel.TRAINED,
)
START = datetime(2031, 1, 1)


def timeline(*steps):
    """Timepoints t0, t1, ... from (importance, present entity ids) pairs."""
    return [
        Timepoint(
            id=f"t{i}",
            timestamp=START + timedelta(days=i),
            importance=importance,
            entities_present=tuple(present),
        )
        for i, (importance, present) in enumerate(steps)
    ]


ENVELOPE = Envelope(onset=2, attack=2, decay=2, peak=1.0, sustain=0.5, length=8, release=4)


# Envelope shape


def test_envelope_shape_attack_decay_sustain_release():
    expected = {
        0: 0.0,
        1.9: 0.0,
        2: 0.0,
        3: 0.5,
        4: 1.0,
        5: 0.75,
        6: 0.5,
        9: 0.5,
        10: 0.5,
        12: 0.25,
        14: 0.0,
        20: 0.0,
    }
    for t, phi in expected.items():
        assert ENVELOPE.phi(t) == pytest.approx(phi), t


def test_zero_attack_jumps_to_peak_and_zero_release_drops_to_zero():
    env = Envelope(onset=0, attack=0, decay=0, peak=0.8, sustain=0.8, length=2, release=0)
    assert env.phi(0) == 0.8
    assert env.phi(2) == 0.8
    assert env.phi(2.001) == 0.0


def test_a_short_span_releases_from_where_the_attack_had_reached():
    env = Envelope(onset=0, attack=4, decay=1, peak=1.0, sustain=0.5, length=2, release=2)
    assert env.phi(2) == pytest.approx(0.5)
    assert env.phi(3) == pytest.approx(0.25)
    assert env.phi(4) == 0.0


def test_envelope_validation():
    with pytest.raises(ValidationError, match=r"sustain 0\.9 must not exceed peak 0\.5"):
        Envelope(attack=1, decay=1, peak=0.5, sustain=0.9, length=3, release=1)
    with pytest.raises(ValidationError):
        Envelope(attack=-1, decay=1, peak=0.5, sustain=0.1, length=3, release=1)
    with pytest.raises(ValidationError):
        Envelope(attack=1, decay=1, peak=1.5, sustain=0.1, length=3, release=1)
    with pytest.raises(ValidationError):
        Envelope(attack=float("inf"), decay=1, peak=0.5, sustain=0.1, length=3, release=1)
    with pytest.raises(ValidationError):
        ENVELOPE.peak = 0.2  # type: ignore[misc]


steps = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)
units = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def envelopes(draw):
    peak = draw(units)
    return Envelope(
        onset=draw(st.floats(-5, 5)),
        attack=draw(steps),
        decay=draw(steps),
        peak=peak,
        sustain=draw(st.floats(0.0, peak)),
        length=draw(steps),
        release=draw(steps),
    )


@settings(max_examples=150, deadline=None)
@given(envelopes(), st.floats(-20, 40))
def test_phi_stays_in_the_unit_interval_and_never_exceeds_peak(env, t):
    assert 0.0 <= env.phi(t) <= env.peak
    assert env.phi(env.onset - 0.5) == 0.0
    assert env.phi(env.onset + env.length + env.release + 0.5) == 0.0


# Bands and composition


def test_band_edges():
    cases = {
        0.0: T, 0.199: T, 0.2: S, 0.399: S, 0.4: G, 0.592: G, 0.6: D,
        0.692: D, 0.799: D, 0.8: TR, 1.0: TR,
    }  # fmt: skip
    for phi, level in cases.items():
        assert band(phi) is level, phi


def test_band_rejects_values_outside_the_unit_interval():
    for bad in (-0.01, 1.01, float("nan")):
        with pytest.raises(ConfigError, match=r"phi must be in \[0, 1\]"):
            band(bad)


@settings(max_examples=80, deadline=None)
@given(units, units)
def test_band_is_monotone(a, b):
    low, high = sorted((a, b))
    assert band(low) <= band(high)


def test_composite_is_the_max_over_envelopes():
    early = Envelope(onset=0, attack=0, decay=0, peak=0.7, sustain=0.7, length=1, release=0)
    late = Envelope(onset=3, attack=0, decay=0, peak=0.9, sustain=0.4, length=2, release=0)
    assert composite_phi([early, late], 0) == 0.7
    assert composite_phi([early, late], 3) == 0.9
    assert composite_phi([early, late], 2) == 0.0
    assert composite_phi([], 3) == 0.0


# Envelopes from a timeline


def test_envelopes_follow_presence_and_importance():
    tps = timeline(
        (0.3, "a"),
        (0.5, "a"),
        (0.9, "ab"),
        (0.5, "a"),
        (0.5, "a"),
        (0.2, ""),
    )
    env = envelopes_for(["a", "b", "c"], tps)
    assert env["c"] == ()
    phi_a = [composite_phi(env["a"], i) for i in range(7)]
    # Peak at the most important moment, never silent while present, gone after release.
    assert phi_a[2] == pytest.approx(0.9)
    assert max(phi_a) == phi_a[2]
    assert all(phi > 0.0 for phi in phi_a[:5])
    assert phi_a[6] == 0.0
    # Sustain at the run's mean importance.
    assert phi_a[4] == pytest.approx((0.3 + 0.5 + 0.9 + 0.5 + 0.5) / 5)
    phi_b = [composite_phi(env["b"], i) for i in range(6)]
    assert phi_b == pytest.approx([0.0, 0.0, 0.9, 0.0, 0.0, 0.0])


def test_a_peak_on_the_last_step_of_a_run_is_reached():
    tps = timeline((0.2, "a"), (0.4, "a"), (0.9, "a"), (0.1, ""))
    env = envelopes_for(["a"], tps)
    assert composite_phi(env["a"], 2) == pytest.approx(0.9)
    assert composite_phi(env["a"], 3) == 0.0


def test_an_absence_splits_presence_into_separate_runs():
    tps = timeline((0.8, "a"), (0.8, ""), (0.8, ""), (0.4, "a"))
    env = envelopes_for(["a"], tps)
    assert len(env["a"]) == 4
    assert [composite_phi(env["a"], i) for i in range(4)] == pytest.approx([0.8, 0.0, 0.0, 0.4])


def test_salience_scales_activation_and_is_validated():
    tps = timeline((1.0, "ab"), (1.0, "ab"))
    env = envelopes_for(["a", "b"], tps, salience={"b": 0.5})
    assert composite_phi(env["a"], 1) == 1.0
    assert composite_phi(env["b"], 1) == 0.5
    with pytest.raises(ConfigError, match="salience of 'a' must be in"):
        envelopes_for(["a"], tps, salience={"a": 2.0})
    with pytest.raises(ConfigError, match="release must be"):
        envelopes_for(["a"], tps, release=-1.0)


presence = st.lists(
    st.tuples(units, st.sets(st.sampled_from("abcd")).map(lambda s: "".join(sorted(s)))),
    max_size=10,
)


@settings(max_examples=80, deadline=None)
@given(presence)
def test_envelopes_are_deterministic_and_present_steps_match_their_band(steps_):
    tps = timeline(*steps_)
    first = envelopes_for("abcd", tps)
    assert first == envelopes_for("abcd", tps)
    for entity_id, envs in first.items():
        present = [tp.importance for tp in tps if entity_id in tp.entities_present]
        for i, tp in enumerate(tps):
            phi = composite_phi(envs, i)
            if entity_id not in tp.entities_present:
                assert phi == 0.0
            else:
                # Held between the quietest and the loudest moment of the entity's presence.
                assert min(present) - 1e-12 <= phi <= max(present) + 1e-12
        if present:
            top = max(present)
            peaks = [i for i, tp in enumerate(tps) if entity_id in tp.entities_present]
            assert max(composite_phi(envs, i) for i in peaks) == pytest.approx(top)


# Gating


def test_gate_admits_only_entities_at_or_above_the_level():
    tps = timeline((0.9, "abc"), (0.5, "abc"), (0.1, "abc"))
    env = envelopes_for("abc", tps, salience={"a": 1.0, "b": 0.7, "c": 0.3})
    assert gate("abc", 0, env) == ("a", "b")
    assert gate("abc", 0, env, min_level=TR) == ("a",)
    assert gate("cba", 0, env, min_level=T) == ("c", "b", "a")
    assert gate("abc", 2, env) == ()
    assert gate(["a", "ghost"], 0, env) == ("a",)


# Shadow evaluation


def test_shadow_report_counts_divergence_in_both_directions():
    predicted = {
        ("lin_zhang", "t0"): BandPrediction(phi=0.592),
        ("lin_zhang", "t1"): BandPrediction(phi=0.592),
        ("raj_mehta", "t0"): BandPrediction(phi=0.692),
        ("raj_mehta", "t1"): BandPrediction(phi=0.705),
        ("thomas_webb", "t0"): BandPrediction(phi=1.0),
        ("thomas_webb", "t1"): BandPrediction(phi=0.75),
        ("thomas_webb", "t2"): BandPrediction(phi=0.8),
    }
    actual = {key: D for key in predicted if key != ("thomas_webb", "t2")}
    actual[("sarah_okafor", "t0")] = D
    report = shadow_report(predicted, actual)
    assert isinstance(report, ShadowReport)
    assert report.evaluations == 6
    assert report.divergent == 3
    assert report.divergence_rate == pytest.approx(0.5)
    assert (report.actual_above, report.actual_below) == (2, 1)
    assert report.mean_divergence == pytest.approx(3 / (6 * 4))
    assert (report.predicted_only, report.actual_only) == (1, 1)
    rows = {row.entity_id: row for row in report.rows}
    assert list(rows) == ["lin_zhang", "raj_mehta", "thomas_webb"]
    zhang = rows["lin_zhang"]
    assert (zhang.evaluations, zhang.divergent) == (2, 2)
    assert (zhang.phi_min, zhang.phi_max) == (0.592, 0.592)
    assert (zhang.predicted_bands, zhang.actual_levels) == ((G,), (D,))
    assert rows["raj_mehta"].divergent == 0
    webb = rows["thomas_webb"]
    assert (webb.phi_min, webb.phi_max, webb.predicted_bands) == (0.75, 1.0, (D, TR))
    assert ShadowReport.model_validate_json(report.model_dump_json()) == report


def test_shadow_report_of_nothing_is_empty_not_an_error():
    report = shadow_report({}, {})
    assert (report.evaluations, report.divergent, report.divergence_rate) == (0, 0, 0.0)
    assert report.rows == ()


def test_predicted_bands_from_envelopes_feed_the_report():
    tps = timeline((0.9, "ab"), (0.3, "ab"))
    env = envelopes_for("ab", tps, salience={"b": 0.5})
    predicted = predict_bands("ab", [tp.id for tp in tps], env)
    assert predicted[("a", "t0")].level is TR
    assert predicted[("b", "t0")].level is G
    used = {key: guess.level for key, guess in predicted.items()}
    assert shadow_report(predicted, used).divergent == 0
    used[("a", "t0")] = D
    assert shadow_report(predicted, used).actual_below == 1


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abc"), st.sampled_from(["t0", "t1", "t2"])),
        st.tuples(units, st.sampled_from(list(ResolutionLevel))),
        max_size=9,
    )
)
def test_shadow_report_totals_are_consistent(cells):
    predicted = {key: BandPrediction(phi=phi) for key, (phi, _) in cells.items()}
    actual = {key: level for key, (_, level) in cells.items()}
    report = shadow_report(predicted, actual)
    assert report.evaluations == len(cells) == sum(row.evaluations for row in report.rows)
    assert report.divergent == sum(row.divergent for row in report.rows)
    assert report.divergent == report.actual_above + report.actual_below
    assert 0.0 <= report.mean_divergence <= report.divergence_rate <= 1.0

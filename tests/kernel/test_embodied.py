import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import CognitiveState, PhysicalState
from daedalus.kernel.embodied import (
    AT_EASE,
    DEFAULT_COUPLING,
    CouplingCoefficients,
    couple,
    describe,
)

units = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def minds(draw):
    capacity = draw(st.floats(min_value=1.0, max_value=500.0, allow_nan=False))
    return CognitiveState(
        valence=draw(st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)),
        arousal=draw(units),
        energy=draw(st.floats(min_value=0.0, max_value=capacity, allow_nan=False)),
        energy_capacity=capacity,
        focus=draw(units),
    )


@st.composite
def bodies(draw):
    return PhysicalState(
        fatigue=draw(units),
        pain=draw(units),
        illness=draw(units),
        mobility=draw(units),
        awake=draw(st.booleans()),
    )


coefficient_sets = st.builds(
    CouplingCoefficients, **{name: units for name in CouplingCoefficients.model_fields}
)


@settings(max_examples=150, deadline=None)
@given(bodies(), minds(), coefficient_sets)
def test_coupled_state_stays_in_range(body, mind, coefficients):
    coupled = couple(body, mind, coefficients)
    revalidated = CognitiveState.model_validate(coupled.model_dump())
    assert revalidated == coupled
    assert 0.0 <= coupled.energy <= mind.energy <= mind.energy_capacity
    assert coupled.focus <= mind.focus
    assert coupled.energy_capacity == mind.energy_capacity


@settings(max_examples=150, deadline=None)
@given(bodies(), minds(), units, st.sampled_from(["pain", "fatigue", "illness"]))
def test_more_burden_never_helps(body, mind, extra, burden):
    worse = body.model_copy(update={burden: max(getattr(body, burden), extra)})
    calm, hurt = couple(body, mind), couple(worse, mind)
    assert hurt.focus <= calm.focus + 1e-12
    assert hurt.valence <= calm.valence + 1e-12
    assert hurt.energy <= calm.energy + 1e-12
    if burden == "pain":
        assert hurt.arousal >= calm.arousal - 1e-12


@settings(max_examples=100, deadline=None)
@given(minds(), units)
def test_a_body_at_ease_leaves_the_mind_alone(mind, mobility):
    coupled = couple(PhysicalState(mobility=mobility, location="hall"), mind)
    assert coupled.focus == pytest.approx(mind.focus, abs=1e-12)
    assert coupled.energy == pytest.approx(mind.energy, abs=1e-9)
    assert coupled.arousal == pytest.approx(mind.arousal, abs=1e-12)
    assert coupled.valence == pytest.approx(mind.valence, abs=1e-12)


def test_golden_coupling_uses_the_documented_coefficients():
    mind = CognitiveState(valence=0.2, arousal=0.5, energy=100.0, energy_capacity=150.0, focus=0.8)
    coupled = couple(PhysicalState(pain=0.6, fatigue=0.5, illness=0.0), mind)
    assert coupled.focus == pytest.approx(0.8 * (1 - 0.5 * 0.6) * (1 - 0.4 * 0.5))
    assert coupled.energy == pytest.approx(100.0 * (1 - 0.35 * 0.5) * (1 - 0.1 * 0.6))
    calmed = 0.5 * (1 - 0.3 * 0.5)
    assert coupled.arousal == pytest.approx(calmed + (1 - calmed) * 0.4 * 0.6)
    assert coupled.valence == pytest.approx(-1 + 1.2 * (1 - 0.3 * 0.6) * (1 - 0.1 * 0.5))
    assert coupled.arousal > mind.arousal  # pain outweighs fatigue here
    assert DEFAULT_COUPLING.focus_pain == 0.5


def test_asleep_entities_have_minimal_focus():
    mind = CognitiveState(focus=0.9)
    assert couple(PhysicalState(awake=False), mind).focus == DEFAULT_COUPLING.asleep_focus
    dim = CognitiveState(focus=0.01)
    assert couple(PhysicalState(awake=False), dim).focus == 0.01


def test_coefficients_are_bounded():
    with pytest.raises(ValueError):
        CouplingCoefficients(focus_pain=1.5)


def test_describe_is_deterministic_and_ordered_by_severity():
    assert describe(PhysicalState()) == AT_EASE
    assert describe(PhysicalState(awake=False, pain=0.9)) == "asleep: silent unless woken"
    assert describe(PhysicalState(pain=0.8)) == "speaks tersely through pain"
    both = PhysicalState(pain=0.45, fatigue=0.75)
    assert describe(both) == "words come slowly and thoughts drift; winces between sentences"
    tie = PhysicalState(pain=0.5, illness=0.5, fatigue=0.5, mobility=0.1)
    assert describe(tie) == (
        "winces between sentences; pauses to cough; sounds tired and keeps answers short; "
        "barely moves while talking"
    )
    assert describe(PhysicalState(fatigue=0.2)) == "is a little weary"
    assert describe(PhysicalState(fatigue=0.1)) == AT_EASE
    assert describe(tie) == describe(tie.model_copy())

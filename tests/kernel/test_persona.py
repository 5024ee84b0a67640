import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import CognitiveState, Entity, PhysicalState
from daedalus.errors import ConfigError
from daedalus.kernel.persona import (
    MAX_TEMPERATURE,
    MIN_MAX_TOKENS,
    MIN_TEMPERATURE,
    PENALTY_CEILING,
    PersonaParams,
    persona_params,
)
from daedalus.kernel.tensors import BLOCK_DIMS, TTMTensor, build_baseline_tensor
from daedalus.llm.params import SamplingParams


def tensor_of(traits: tuple[str, ...] = (), fatigue: float = 0.0) -> TTMTensor:
    entity = Entity(id="speaker", name="Speaker", traits=traits)
    return build_baseline_tensor(entity, CognitiveState(), PhysicalState(fatigue=fatigue), [])


NEUTRAL = tensor_of()

unit = st.floats(min_value=0.0, max_value=1.0)
phis = st.none() | unit


@st.composite
def cognitive_states(draw: st.DrawFn) -> CognitiveState:
    capacity = draw(st.floats(min_value=1.0, max_value=500.0))
    return CognitiveState(
        valence=draw(st.floats(min_value=-1.0, max_value=1.0)),
        arousal=draw(unit),
        energy=draw(unit) * capacity,
        energy_capacity=capacity,
        focus=draw(unit),
    )


@st.composite
def tensors(draw: st.DrawFn) -> TTMTensor:
    # expanded tensors can leave [0, 1], so draw well outside it
    seed = draw(st.integers(0, 2**16))
    scale = draw(st.sampled_from([0.5, 3.0, 1e4]))
    rng = np.random.default_rng(seed)
    return TTMTensor.from_arrays(
        **{name: rng.normal(0.5, scale, size=dim) for name, dim in BLOCK_DIMS.items()}
    )


@settings(max_examples=80, deadline=None)
@given(
    cognitive=cognitive_states(),
    tensor=tensors(),
    phi=phis,
    base=st.integers(MIN_MAX_TOKENS, 4000),
    cap=st.integers(MIN_MAX_TOKENS, 8192),
)
def test_parameters_are_always_in_range(cognitive, tensor, phi, base, cap):
    params = persona_params(cognitive, tensor, phi, base_max_tokens=base, max_tokens_cap=cap)
    assert MIN_TEMPERATURE <= params.temperature <= MAX_TEMPERATURE
    assert 0.0 < params.top_p <= 1.0
    assert MIN_MAX_TOKENS <= params.max_tokens <= cap
    assert 0.0 <= params.frequency_penalty <= PENALTY_CEILING
    assert 0.0 <= params.presence_penalty <= PENALTY_CEILING
    assert params == persona_params(
        cognitive, tensor, phi, base_max_tokens=base, max_tokens_cap=cap
    )


@settings(max_examples=60, deadline=None)
@given(cognitive=cognitive_states(), tensor=tensors(), phi=phis, low=unit, high=unit)
def test_temperature_never_falls_as_arousal_rises(cognitive, tensor, phi, low, high):
    low, high = sorted((low, high))
    calm = persona_params(cognitive.model_copy(update={"arousal": low}), tensor, phi)
    excited = persona_params(cognitive.model_copy(update={"arousal": high}), tensor, phi)
    assert calm.temperature <= excited.temperature


@settings(max_examples=60, deadline=None)
@given(cognitive=cognitive_states(), tensor=tensors(), phi=phis, low=unit, high=unit)
def test_max_tokens_never_fall_as_energy_rises(cognitive, tensor, phi, low, high):
    low, high = sorted((low, high))
    capacity = cognitive.energy_capacity
    tired = persona_params(cognitive.model_copy(update={"energy": low * capacity}), tensor, phi)
    rested = persona_params(cognitive.model_copy(update={"energy": high * capacity}), tensor, phi)
    assert tired.max_tokens <= rested.max_tokens


def test_arousal_raises_temperature_and_energy_lengthens_turns():
    calm = persona_params(CognitiveState(arousal=0.1), NEUTRAL)
    excited = persona_params(CognitiveState(arousal=0.9), NEUTRAL)
    assert excited.temperature - calm.temperature == pytest.approx(0.95 * 0.8)
    spent = persona_params(CognitiveState(energy=10.0), NEUTRAL)
    fresh = persona_params(CognitiveState(energy=150.0), NEUTRAL)
    assert spent.max_tokens < fresh.max_tokens == 300


def test_a_tired_body_shortens_turns():
    rested = persona_params(CognitiveState(), tensor_of(fatigue=0.0))
    exhausted = persona_params(CognitiveState(), tensor_of(fatigue=1.0))
    assert exhausted.max_tokens == pytest.approx(rested.max_tokens / 2, abs=1)


def test_low_activation_narrows_temperature_and_shortens_turns():
    state = CognitiveState(arousal=0.9, energy=150.0)
    active = persona_params(state, NEUTRAL, phi=1.0)
    assert persona_params(state, NEUTRAL) == active
    dormant = persona_params(state, NEUTRAL, phi=0.0)
    assert dormant.temperature < active.temperature
    assert abs(dormant.temperature - 0.2) < abs(active.temperature - 0.2)
    assert dormant.max_tokens == round(0.4 * active.max_tokens)


def test_personality_sets_the_penalties_and_focus_the_nucleus():
    open_voice = persona_params(CognitiveState(), tensor_of(("curious", "spontaneous", "outgoing")))
    set_voice = persona_params(CognitiveState(), tensor_of(("traditional", "stoic", "reserved")))
    neutral = persona_params(CognitiveState(), NEUTRAL)
    assert set_voice.frequency_penalty < neutral.frequency_penalty < open_voice.frequency_penalty
    assert set_voice.presence_penalty < neutral.presence_penalty < open_voice.presence_penalty
    assert neutral.frequency_penalty == pytest.approx(0.3)
    assert open_voice.max_tokens > set_voice.max_tokens
    focused = persona_params(CognitiveState(focus=1.0), NEUTRAL)
    scattered = persona_params(CognitiveState(focus=0.0), NEUTRAL)
    assert focused.top_p == pytest.approx(0.7)
    assert scattered.top_p == 1.0


def test_two_characters_get_distinct_voices():
    zhang = persona_params(
        CognitiveState(valence=0.79, arousal=0.83, energy=131.4),
        tensor_of(("casual", "reserved", "competitive", "stubborn", "calm", "cautious")),
    )
    mehta = persona_params(
        CognitiveState(valence=0.52, arousal=0.73, energy=99.5),
        tensor_of(("stoic", "calm", "cautious", "deliberate")),
    )
    assert zhang != mehta
    assert zhang.temperature > mehta.temperature
    assert zhang.max_tokens > mehta.max_tokens


def test_to_sampling_sends_every_value():
    params = persona_params(CognitiveState(arousal=0.6), NEUTRAL, phi=0.5)
    sampling = params.to_sampling()
    assert isinstance(sampling, SamplingParams)
    assert sampling.as_kwargs() == params.model_dump()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"phi": 1.5}, "phi must be an activation in \\[0, 1\\], got 1.5"),
        ({"phi": math.nan}, "phi must be an activation"),
        ({"base_max_tokens": 8}, "base_max_tokens must be at least 32, got 8"),
        ({"max_tokens_cap": 0}, "max_tokens_cap must be at least 32, got 0"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(ConfigError, match=message):
        persona_params(CognitiveState(), NEUTRAL, **arguments)


def test_persona_params_reject_out_of_range_values():
    with pytest.raises(ValueError, match="temperature"):
        PersonaParams(
            temperature=2.0, top_p=0.9, max_tokens=64, frequency_penalty=0, presence_penalty=0
        )

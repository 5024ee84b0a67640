import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from daedalus.domain import CognitiveState, Entity, EntityKind, EntityProfile, PhysicalState
from daedalus.errors import TensorError
from daedalus.kernel.tensors import (
    BEHAVIOR_AXES,
    BIOLOGY_FEATURES,
    BLOCK_DIMS,
    COMPRESSED_DIMS,
    BlockName,
    CompressedTensor,
    FittedCompression,
    TensorCompressor,
    TTMTensor,
    build_baseline_tensor,
    fit_compression,
    with_cognitive,
)

BLOCKS: tuple[BlockName, ...] = ("context", "biology", "behavior")
TRAIT_POOL = (
    *("determined", "principled", "casual", "reserved", "competitive", "stubborn", "calm"),
    *("cautious", "stoic", "deliberate", "traditional", "practical", "curious", "anxious"),
    *("outgoing", "kind", "volatile", "bold", "witty", "methodical"),
)
FACTS = (
    "The oxygen generator failed on sol 6",
    "Launch window closes in March",
    "Hab pressure dropped by 3.7 percent",
    "The rover battery holds two days of charge",
    "Mission control approved the schedule",
    "Dust storm expected within a week",
    "Water reclaimer output is nominal",
    "The crew has not slept for thirty hours",
)


def person(entity_id: str, traits: tuple[str, ...] = (), role: str = "") -> Entity:
    return Entity(id=entity_id, name=entity_id.title(), role=role, traits=traits)


def population(count: int, seed: int = 7) -> list[TTMTensor]:
    """``count`` distinct entities with varied traits, knowledge and state."""
    rng = np.random.default_rng(seed)
    tensors = []
    for index in range(count):
        traits = tuple(rng.choice(TRAIT_POOL, size=int(rng.integers(1, 5)), replace=False))
        knowledge = list(rng.choice(FACTS, size=int(rng.integers(1, 5)), replace=False))
        capacity = float(rng.uniform(80, 200))
        cognitive = CognitiveState(
            valence=float(rng.uniform(-1, 1)),
            arousal=float(rng.uniform()),
            energy=float(rng.uniform(0, capacity)),
            energy_capacity=capacity,
            focus=float(rng.uniform()),
        )
        physical = PhysicalState(
            fatigue=float(rng.uniform()), pain=float(rng.uniform()), illness=float(rng.uniform())
        )
        entity = person(f"crew_{index}", traits, role=str(rng.choice(["engineer", "commander"])))
        tensors.append(build_baseline_tensor(entity, cognitive, physical, knowledge))
    return tensors


def random_population(count: int, seed: int) -> list[TTMTensor]:
    rng = np.random.default_rng(seed)
    return [
        TTMTensor.from_arrays(**{name: rng.normal(size=BLOCK_DIMS[name]) for name in BLOCKS})
        for _ in range(count)
    ]


# -- featurisation ---------------------------------------------------------------------------


def test_identical_inputs_give_identical_tensors_in_any_order():
    state, body = CognitiveState(arousal=0.7), PhysicalState(fatigue=0.2)
    first = build_baseline_tensor(
        person("webb", ("determined", "principled")), state, body, [FACTS[0], FACTS[1]]
    )
    again = build_baseline_tensor(
        person("webb", ("Principled", "determined", "determined")),
        state,
        body,
        [FACTS[1], FACTS[0], FACTS[0]],
    )
    assert first == again


def test_featurisation_does_not_depend_on_the_interpreter_hash_seed():
    code = (
        "from daedalus.domain import *; from daedalus.kernel.tensors import build_baseline_tensor; "
        "print(build_baseline_tensor(Entity(id='mehta', name='Raj', traits=('stoic',)), "
        "CognitiveState(), PhysicalState(), ['oxygen margin is thin']).model_dump_json())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    here = build_baseline_tensor(
        Entity(id="mehta", name="Raj", traits=("stoic",)),
        CognitiveState(),
        PhysicalState(),
        ["oxygen margin is thin"],
    )
    assert outputs == {here.model_dump_json() + "\n"}


@settings(max_examples=40, deadline=None)
@given(
    first=st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
    second=st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
)
def test_entities_with_different_ids_get_different_tensors(first: str, second: str):
    if first == second:
        return
    state, body, facts = CognitiveState(), PhysicalState(), [FACTS[2]]
    one = build_baseline_tensor(person(first, ("calm",)), state, body, facts)
    other = build_baseline_tensor(person(second, ("calm",)), state, body, facts)
    assert not np.array_equal(one.context_array(), other.context_array())


def test_knowledge_and_traits_move_their_own_blocks():
    state, body = CognitiveState(), PhysicalState()
    base = build_baseline_tensor(person("a", ("calm",)), state, body, [FACTS[0]])
    other_fact = build_baseline_tensor(person("a", ("calm",)), state, body, [FACTS[3]])
    other_trait = build_baseline_tensor(person("a", ("volatile",)), state, body, [FACTS[0]])
    assert not np.allclose(base.context_array(), other_fact.context_array())
    assert base.behavior == other_fact.behavior
    assert not np.allclose(base.behavior_array(), other_trait.behavior_array())
    assert base.context == other_trait.context


def test_behaviour_axes_follow_traits_and_profile_scores():
    state, body = CognitiveState(), PhysicalState()
    neutral = build_baseline_tensor(person("n"), state, body, []).behavior_axes()
    assert neutral == dict.fromkeys(BEHAVIOR_AXES, 0.5)
    calm = build_baseline_tensor(person("c", ("calm", "cautious")), state, body, [])
    anxious = build_baseline_tensor(person("x", ("anxious", "reckless")), state, body, [])
    assert calm.behavior_axes()["neuroticism"] < 0.5 < anxious.behavior_axes()["neuroticism"]
    assert anxious.behavior_axes()["caution"] < 0.5 < calm.behavior_axes()["caution"]
    scored = Entity(
        id="s",
        name="S",
        profile=EntityProfile(trait_scores={"openness": 0.9, "emotional_stability": 0.9}),
    )
    axes = build_baseline_tensor(scored, state, body, []).behavior_axes()
    assert axes["openness"] > 0.6
    assert axes["neuroticism"] < 0.4


def test_entity_kind_enters_the_behaviour_block():
    state, body = CognitiveState(), PhysicalState()
    human = build_baseline_tensor(person("hq"), state, body, [])
    office = Entity(id="hq", name="Hq", kind=EntityKind.INSTITUTION)
    institution = build_baseline_tensor(office, state, body, [])
    assert human.behavior_axes() == institution.behavior_axes()
    assert human.behavior != institution.behavior


def test_biology_reflects_the_state_and_with_cognitive_refreshes_it():
    entity, facts = person("okafor", ("stoic",)), [FACTS[4]]
    rested = build_baseline_tensor(entity, CognitiveState(energy=150.0), PhysicalState(), facts)
    tired_state = CognitiveState(arousal=0.9, energy=30.0)
    tired_body = PhysicalState(fatigue=0.8, pain=0.25)
    tired = with_cognitive(rested, tired_state, tired_body)
    assert tired == build_baseline_tensor(entity, tired_state, tired_body, facts)
    assert (tired.context, tired.behavior) == (rested.context, rested.behavior)
    assert tired.biology_feature("fatigue") == pytest.approx(0.8)
    assert tired.biology_feature("energy_ratio") == pytest.approx(0.2)
    assert tired.biology_feature("effective_energy") < rested.biology_feature("effective_energy")
    assert len(BIOLOGY_FEATURES) == BLOCK_DIMS["biology"]


def test_a_single_string_of_knowledge_is_refused():
    with pytest.raises(TensorError, match="single string"):
        build_baseline_tensor(person("a"), CognitiveState(), PhysicalState(), "oxygen")


# -- value objects ---------------------------------------------------------------------------


def test_wrong_shapes_name_the_block_and_the_expected_length():
    good = {name: np.zeros(BLOCK_DIMS[name]) for name in BLOCKS}
    with pytest.raises(TensorError, match="context block must be a 1-D vector of 64 floats"):
        TTMTensor.from_arrays(**{**good, "context": np.zeros(63)})
    with pytest.raises(TensorError, match="behavior block must be a 1-D vector of 32"):
        TTMTensor.from_arrays(**{**good, "behavior": np.zeros((2, 16))})
    with pytest.raises(TensorError, match="biology block holds a NaN"):
        TTMTensor.from_arrays(**{**good, "biology": np.full(16, np.nan)})
    with pytest.raises(ValidationError, match="biology block must hold 16 floats, got 3"):
        TTMTensor(context=(0.0,) * 64, biology=(0.0,) * 3, behavior=(0.0,) * 32)
    with pytest.raises(TensorError, match="biology block must be a 1-D vector of 4"):
        CompressedTensor.from_arrays(context=np.zeros(8), biology=np.zeros(8), behavior=np.zeros(8))
    with pytest.raises(TensorError, match="unknown biology feature"):
        TTMTensor.from_arrays(**good).biology_feature("heart_rate")


def test_values_round_trip_through_json_without_numpy():
    tensors = population(12)
    fitted = fit_compression(tensors)
    compressed = fitted.compress(tensors[0])
    for value in (tensors[0], compressed, fitted):
        text = value.model_dump_json()
        assert type(value).model_validate_json(text) == value
        assert "numpy" not in repr(value.model_dump())
    assert all(type(x) is float for x in tensors[0].context)
    restored = TensorCompressor(
        FittedCompression.model_validate(json.loads(fitted.model_dump_json()))
    )
    assert restored.compress(tensors[5]) == fitted.compress(tensors[5])
    assert tensors[0].context_array().dtype == np.float32


# -- compression -----------------------------------------------------------------------------


def block_residuals(
    fitted: FittedCompression, tensors: list[TTMTensor], name: BlockName
) -> np.ndarray:
    basis = fitted.basis(name)
    return np.array(
        [
            np.sum((t.block(name) - basis.reconstruct(basis.project(t.block(name)))) ** 2)
            for t in tensors
        ]
    )


def test_member_error_is_bounded_by_the_discarded_variance():
    tensors = population(30)
    compressor = TensorCompressor()
    fitted = compressor.fit(tensors)
    total_discarded = 0.0
    for name in BLOCKS:
        basis = fitted.basis(name)
        assert basis.rank == COMPRESSED_DIMS[name]
        residuals = block_residuals(fitted, tensors, name)
        discarded = basis.discarded_variance * (len(tensors) - 1)
        # PCA: the population's squared residuals sum to exactly the discarded variance
        assert residuals.sum() == pytest.approx(discarded, rel=1e-6, abs=1e-9)
        assert np.all(residuals <= discarded + 1e-9)
        total_discarded += discarded
    for tensor in tensors:
        bound = np.sqrt(total_discarded) / np.linalg.norm(tensor.as_array())
        assert 0.0 < compressor.reconstruction_error(tensor) <= bound + 1e-5
    assert 0.0 < fitted.context.retained_ratio < 1.0


def test_fitted_basis_beats_any_other_basis_of_the_same_size():
    tensors = population(30)
    fitted = fit_compression(tensors)
    rng = np.random.default_rng(3)
    for name in BLOCKS:
        data = np.stack([t.block(name) for t in tensors]).astype(np.float64)
        centred = data - data.mean(axis=0)
        rank = fitted.basis(name).rank
        other, _ = np.linalg.qr(rng.normal(size=(data.shape[1], rank)))
        other_residual = np.sum((centred - centred @ other @ other.T) ** 2)
        assert block_residuals(fitted, tensors, name).sum() < other_residual


@pytest.mark.parametrize("count", [2, 3, 5])
def test_small_populations_reconstruct_members_exactly(count: int):
    tensors = population(count)
    compressor = TensorCompressor()
    fitted = compressor.fit(tensors)
    assert fitted.context.rank == count - 1
    for tensor in tensors:
        assert compressor.reconstruction_error(tensor) < 1e-6
        coefficients = compressor.compress(tensor).block("context")
        assert np.all(coefficients[count - 1 :] == 0.0)
    stranger = population(count + 1, seed=99)[-1]
    assert compressor.reconstruction_error(stranger) > 0.05


def test_a_single_entity_compresses_to_its_mean():
    only, other = population(2)
    compressor = TensorCompressor()
    fitted = compressor.fit([only])
    assert all(fitted.basis(name).rank == 0 for name in BLOCKS)
    assert compressor.compress(only) == CompressedTensor.from_arrays(
        **{name: np.zeros(COMPRESSED_DIMS[name]) for name in BLOCKS}
    )
    assert compressor.expand(compressor.compress(only)) == only
    assert compressor.expand(compressor.compress(other)) == only
    assert compressor.reconstruction_error(only) == 0.0


def test_compressing_before_fitting_or_fitting_nothing_is_refused():
    compressor = TensorCompressor()
    assert not compressor.is_fitted
    with pytest.raises(TensorError, match="not fitted"):
        compressor.compress(population(1)[0])
    with pytest.raises(TensorError, match="at least one tensor"):
        compressor.fit([])
    with pytest.raises(TensorError, match="got dict at position 1"):
        compressor.fit([population(1)[0], {"context": []}])  # type: ignore[list-item]


def test_refitting_is_deterministic_and_order_free():
    tensors = population(20)
    fitted = fit_compression(tensors)
    assert fit_compression(tensors) == fitted
    shuffled = fit_compression(list(reversed(tensors)))
    for tensor in tensors[:5]:
        for name in BLOCKS:
            np.testing.assert_allclose(
                shuffled.compress(tensor).block(name),
                fitted.compress(tensor).block(name),
                atol=1e-5,
            )


@settings(max_examples=25, deadline=None)
@given(count=st.integers(min_value=1, max_value=14), seed=st.integers(0, 2**16))
def test_compression_error_identity_holds_for_any_population(count: int, seed: int):
    tensors = random_population(count, seed)
    fitted = fit_compression(tensors)
    for name in BLOCKS:
        basis = fitted.basis(name)
        assert basis.rank == min(count - 1, COMPRESSED_DIMS[name])
        residuals = block_residuals(fitted, tensors, name)
        discarded = basis.discarded_variance * max(count - 1, 1)
        assert residuals.sum() == pytest.approx(discarded, rel=1e-6, abs=1e-8)
        if count - 1 <= COMPRESSED_DIMS[name]:
            assert residuals.max() < 1e-10

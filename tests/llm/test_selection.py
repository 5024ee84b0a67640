import math
import statistics
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.errors import ConfigError, RegistryError
from daedalus.llm.actions import ActionType, Capability
from daedalus.llm.registry import ModelProfile, ModelRegistry
from daedalus.llm.selection import (
    ACTION_REQUIREMENTS,
    BALANCED,
    COST_FIRST,
    PRESETS,
    QUALITY_FIRST,
    SPEED_FIRST,
    Preference,
    cost_score,
    eligible_models,
    fallback_chain,
    rank_models,
    score_model,
    select_model,
)

DEFAULT = ModelRegistry.default()
ALL_CAPABILITIES = frozenset(Capability)


def make(model_id: str, **overrides: object) -> ModelProfile:
    data: dict[str, object] = {
        "id": model_id,
        "name": model_id,
        "context_length": 131_072,
        "max_output": 8_192,
        "prompt_price": 1e-7,
        "completion_price": 2e-7,
        "prices_as_of": date(2026, 1, 1),
        "capabilities": ALL_CAPABILITIES,
        "licence": "Apache-2.0",
        "synthetic_data_ok": True,
        "relative_quality": 0.5,
        "relative_speed": 0.5,
    }
    data.update(overrides)
    return ModelProfile.model_validate(data)


def test_every_action_type_has_requirements():
    assert set(ACTION_REQUIREMENTS) == set(ActionType)
    for action, needs in ACTION_REQUIREMENTS.items():
        assert needs.min_context > 0 and needs.min_output > 0, action
        assert needs.preferred, action
        assert not needs.required & needs.preferred, action
        assert needs.why


def test_requirements_match_what_each_action_does():
    needs = ACTION_REQUIREMENTS
    assert {Capability.DIALOG_GENERATION, Capability.CREATIVE} <= needs[
        ActionType.DIALOG_SYNTHESIS
    ].preferred
    assert {
        Capability.LOGICAL_REASONING,
        Capability.CAUSAL_REASONING,
        Capability.STRUCTURED_JSON,
    } <= needs[ActionType.PORTAL_PATH_SCORING].required
    assert Capability.STRUCTURED_JSON in needs[ActionType.CONFIG_GENERATION].required
    assert Capability.TEMPORAL_REASONING in needs[ActionType.TEMPORAL_REASONING].required
    assert Capability.CAUSAL_REASONING in needs[ActionType.COUNTERFACTUAL_PREDICTION].required
    assert Capability.LARGE_CONTEXT in needs[ActionType.SUMMARIZATION].preferred


@pytest.mark.parametrize("action", list(ActionType))
def test_every_action_has_a_qualifying_default_model_meeting_its_requirements(action):
    needs = ACTION_REQUIREMENTS[action]
    eligible = eligible_models(action, DEFAULT)
    assert eligible
    for model in eligible:
        assert needs.required <= model.capabilities
        assert model.context_length >= needs.min_context
        assert model.max_output >= needs.min_output


def test_quality_preference_picks_the_best_reasoner_for_path_scoring():
    eligible = eligible_models(ActionType.PORTAL_PATH_SCORING, DEFAULT)
    chosen = select_model(ActionType.PORTAL_PATH_SCORING, DEFAULT, QUALITY_FIRST)
    assert chosen.relative_quality == max(model.relative_quality for model in eligible)
    assert chosen.id == "deepseek/deepseek-r1"
    assert "meta-llama/llama-3.1-8b-instruct" not in {model.id for model in eligible}


@pytest.mark.parametrize(
    "action", [ActionType.GENERAL, ActionType.TENSOR_COMPRESSION, ActionType.ANIMISTIC_BEHAVIOR]
)
def test_cost_preference_picks_a_cheap_fast_model(action):
    eligible = eligible_models(action, DEFAULT)
    chosen = select_model(action, DEFAULT, COST_FIRST)
    median_price = statistics.median(model.blended_price_per_million for model in eligible)
    assert chosen.blended_price_per_million <= median_price
    assert chosen.relative_speed >= 0.8
    assert chosen.blended_price_per_million == min(
        model.blended_price_per_million for model in eligible
    )


def test_balanced_choices_are_sensible():
    dialog = select_model(ActionType.DIALOG_SYNTHESIS, DEFAULT)
    assert {Capability.DIALOG_GENERATION, Capability.CREATIVE} <= dialog.capabilities
    summary = select_model(ActionType.SUMMARIZATION, DEFAULT)
    assert Capability.VERY_LARGE_CONTEXT in summary.capabilities
    config = select_model(ActionType.CONFIG_GENERATION, DEFAULT)
    assert Capability.STRUCTURED_JSON in config.capabilities


def test_speed_preference_prefers_faster_models():
    fast = select_model(ActionType.SCENE_GENERATION, DEFAULT, SPEED_FIRST)
    best = select_model(ActionType.SCENE_GENERATION, DEFAULT, QUALITY_FIRST)
    assert fast.relative_speed > best.relative_speed


def test_chain_is_primary_then_cost_then_speed_without_duplicates():
    action = ActionType.DIALOG_SYNTHESIS
    chain = fallback_chain(action, DEFAULT, length=3)
    ids = [model.id for model in chain]
    assert len(ids) == len(set(ids)) == 3
    assert chain[0] == select_model(action, DEFAULT, BALANCED)
    assert chain[1] == select_model(action, DEFAULT, COST_FIRST)
    assert chain[2] == select_model(action, DEFAULT, SPEED_FIRST)


def test_chain_is_filled_by_score_when_leaders_coincide():
    action = ActionType.PORTAL_BACKWARD_REASONING
    chain = fallback_chain(action, DEFAULT, length=5)
    ids = [model.id for model in chain]
    assert len(ids) == len(set(ids)) == 5
    ranked = [model.id for model, _ in rank_models(action, DEFAULT)]
    assert set(ids) <= set(ranked)


def test_pinned_model_comes_first_and_is_not_repeated():
    pinned = "mistralai/mixtral-8x22b-instruct"
    chain = fallback_chain(ActionType.GENERAL, DEFAULT, length=4, pinned=pinned)
    assert chain[0].id == pinned
    assert [model.id for model in chain].count(pinned) == 1
    assert len(chain) == 4
    again = fallback_chain(
        ActionType.GENERAL, DEFAULT, length=3, pinned=select_model(ActionType.GENERAL, DEFAULT).id
    )
    assert len({model.id for model in again}) == 3


def test_unknown_pinned_model_names_close_matches():
    with pytest.raises(RegistryError, match=r"meta-llama/llama-3\.1-405b-instruct"):
        fallback_chain(ActionType.GENERAL, DEFAULT, pinned="llama-3.1-405b")


def test_length_must_be_positive():
    with pytest.raises(ConfigError, match="at least 1, got 0"):
        fallback_chain(ActionType.GENERAL, DEFAULT, length=0)


RESTRICTED = """
models:
  - id: acme/frontier-open
    name: Acme Frontier (research licence)
    context_length: 200000
    max_output: 16384
    prompt_price: 0.0
    completion_price: 0.0
    prices_as_of: 2026-11-01
    capabilities: [structured_json, long_form_text, dialog_generation, mathematical,
                   logical_reasoning, causal_reasoning, temporal_reasoning, fast_inference,
                   cost_efficient, high_quality, creative, analytical, instruction_following]
    licence: Acme-Research-Only
    synthetic_data_ok: false
    relative_quality: 1.0
    relative_speed: 1.0
"""


def test_licence_filter_excludes_a_non_permitted_model_from_a_user_file(tmp_path):
    path = tmp_path / "restricted.yaml"
    path.write_text(RESTRICTED, encoding="utf-8")
    registry = DEFAULT.merged_with(path)
    for action in ActionType:
        for preference in PRESETS.values():
            assert select_model(action, registry, preference).id != "acme/frontier-open"
        chain = fallback_chain(action, registry, length=5)
        assert "acme/frontier-open" not in {model.id for model in chain}
    # Free, fastest and best at everything: without the filter it wins outright.
    unfiltered = select_model(ActionType.GENERAL, registry, licence_filter=False)
    assert unfiltered.id == "acme/frontier-open"
    with pytest.raises(RegistryError, match="does not allow synthetic-data use"):
        fallback_chain(ActionType.GENERAL, registry, pinned="acme/frontier-open")
    pinned = fallback_chain(
        ActionType.GENERAL, registry, pinned="acme/frontier-open", licence_filter=False
    )
    assert pinned[0].id == "acme/frontier-open"


def test_zero_priced_models_score_without_errors():
    free = make("acme/free", prompt_price=0.0, completion_price=0.0)
    paid = make("acme/paid", prompt_price=5e-6, completion_price=5e-6)
    assert cost_score(free) == 1.0
    assert 0.0 < cost_score(paid) < cost_score(free)
    needs = ACTION_REQUIREMENTS[ActionType.GENERAL]
    for preference in PRESETS.values():
        assert math.isfinite(score_model(free, needs, preference))
    registry = ModelRegistry([paid, free])
    assert select_model(ActionType.GENERAL, registry, COST_FIRST).id == "acme/free"


def test_nothing_qualifies_says_which_requirement_excluded_what():
    registry = ModelRegistry(
        [
            make("acme/no-json", capabilities=[Capability.CREATIVE]),
            make("acme/short", context_length=8_192, max_output=4_096),
            make("acme/terse", max_output=512),
            make("acme/closed", synthetic_data_ok=False),
        ]
    )
    with pytest.raises(RegistryError) as caught:
        select_model(ActionType.PORTAL_PATH_SCORING, registry)
    message = str(caught.value)
    assert "\n" not in message
    assert "'portal_path_scoring'" in message
    assert "lacks causal_reasoning, logical_reasoning, structured_json: acme/no-json" in message
    assert "context below 32000 tokens: acme/short" in message
    assert "max output below 2048 tokens: acme/terse" in message
    assert "licence does not allow synthetic-data use: acme/closed" in message


def test_ties_break_on_quality_then_price_then_id():
    twins = [make("acme/b"), make("acme/a"), make("acme/c")]
    assert select_model(ActionType.GENERAL, ModelRegistry(twins)).id == "acme/a"
    cheaper = make("acme/z", prompt_price=0.99e-7)
    # Same quality; with no cost weight the cheaper one still wins the tie.
    no_cost = Preference(quality=1.0, speed=0.0, cost=0.0)
    winner = select_model(ActionType.GENERAL, ModelRegistry([*twins, cheaper]), no_cost)
    assert winner.id == "acme/z"


def test_preference_weights_must_be_non_negative():
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Preference(quality=-1.0)


PROFILE_IDS = [f"acme/m{index}" for index in range(8)]
profiles = st.builds(
    lambda index, caps, context, price, quality, speed, ok: make(
        PROFILE_IDS[index],
        capabilities=caps,
        context_length=context,
        max_output=min(4_096, context),
        prompt_price=price,
        completion_price=price * 2,
        relative_quality=quality,
        relative_speed=speed,
        synthetic_data_ok=ok,
    ),
    st.integers(0, len(PROFILE_IDS) - 1),
    st.frozensets(st.sampled_from(sorted(ALL_CAPABILITIES))),
    st.sampled_from([4_096, 16_384, 32_768, 131_072]),
    st.sampled_from([0.0, 1e-8, 1e-7, 1e-6, 1e-5]),
    st.floats(0, 1),
    st.floats(0, 1),
    st.booleans(),
)
registries = st.lists(profiles, min_size=1, max_size=8, unique_by=lambda model: model.id).map(
    ModelRegistry
)


@settings(max_examples=80, deadline=None)
@given(
    registry=registries,
    action=st.sampled_from(list(ActionType)),
    length=st.integers(1, 6),
    preference=st.sampled_from(list(PRESETS.values())),
    licence_filter=st.booleans(),
)
def test_chains_are_distinct_eligible_and_independent_of_registry_order(
    registry, action, length, preference, licence_filter
):
    try:
        eligible = eligible_models(action, registry, licence_filter=licence_filter)
    except RegistryError:
        with pytest.raises(RegistryError, match="no registered model qualifies"):
            fallback_chain(action, registry, length, preference, licence_filter=licence_filter)
        return
    chain = fallback_chain(action, registry, length, preference, licence_filter=licence_filter)
    ids = [model.id for model in chain]
    assert len(ids) == len(set(ids)) == min(length, len(eligible))
    assert set(ids) <= {model.id for model in eligible}
    assert chain[0] == select_model(action, registry, preference, licence_filter=licence_filter)
    reversed_registry = ModelRegistry(reversed(list(registry)))
    again = fallback_chain(
        action, reversed_registry, length, preference, licence_filter=licence_filter
    )
    assert [model.id for model in again] == ids


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(0, 1e-4, allow_nan=False),
    high=st.floats(0, 1e-4, allow_nan=False),
)
def test_cost_score_is_bounded_and_falls_with_price(low, high):
    cheap = make("acme/cheap", prompt_price=min(low, high), completion_price=min(low, high))
    dear = make("acme/dear", prompt_price=max(low, high), completion_price=max(low, high))
    assert 0.0 < cost_score(dear) <= cost_score(cheap) <= 1.0

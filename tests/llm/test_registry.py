from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.errors import RegistryError
from daedalus.llm.actions import Capability
from daedalus.llm.registry import (
    ModelProfile,
    ModelRegistry,
    StructuredOutputMethod,
    load_registry,
)

SEED_MODELS = {
    "meta-llama/llama-3.1-8b-instruct",
    "meta-llama/llama-3.1-70b-instruct",
    "meta-llama/llama-3.1-405b-instruct",
    "meta-llama/llama-4-scout",
    "qwen/qwen-2.5-7b-instruct",
    "qwen/qwen-2.5-72b-instruct",
    "qwen/qwq-32b",
    "deepseek/deepseek-chat",
    "deepseek/deepseek-r1",
    "mistralai/mistral-7b-instruct",
    "mistralai/mixtral-8x7b-instruct",
    "mistralai/mixtral-8x22b-instruct",
}

NEW_MODEL = """
models:
  - id: acme/open-13b
    name: Acme Open 13B
    context_length: 65536
    max_output: 4096
    prompt_price: 1.0e-7
    completion_price: 2.0e-7
    prices_as_of: 2026-10-01
    capabilities: [structured_json, dialog_generation]
    licence: Acme-Research
    synthetic_data_ok: false
    structured_output: json_mode
    relative_quality: 0.6
    relative_speed: 0.7
"""


def write(tmp_path: Path, text: str, name: str = "user.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def profile(**overrides: object) -> ModelProfile:
    data: dict[str, object] = {
        "id": "acme/test",
        "name": "Test",
        "context_length": 8192,
        "max_output": 1024,
        "prompt_price": 1e-7,
        "completion_price": 2e-7,
        "prices_as_of": date(2026, 1, 1),
        "licence": "MIT",
        "synthetic_data_ok": True,
    }
    data.update(overrides)
    return ModelProfile.model_validate(data)


def test_default_registry_holds_the_twelve_open_models_with_sane_values():
    registry = ModelRegistry.default()
    assert set(registry.ids) >= SEED_MODELS
    for model in registry:
        assert "/" in model.id and model.name
        assert 8_000 <= model.context_length <= 10_000_000
        assert 0 < model.max_output <= model.context_length
        # Open models on OpenRouter cost well under $20 per million tokens.
        assert 0 <= model.prompt_price < 20e-6
        assert 0 <= model.completion_price < 20e-6
        assert model.prices_as_of >= date(2025, 1, 1)
        assert model.synthetic_data_ok, "the shipped registry holds only permissive licences"
        assert 0 < model.relative_quality <= 1 and 0 < model.relative_speed <= 1
        assert model.capabilities, model.id
        assert isinstance(model.structured_output, StructuredOutputMethod)
    assert registry.get("deepseek/deepseek-r1").licence == "MIT"
    assert registry.get("mistralai/mistral-7b-instruct").licence == "Apache-2.0"


def test_quality_ranking_follows_model_size_within_a_family():
    registry = ModelRegistry.default()
    quality = {model.id: model.relative_quality for model in registry}
    assert (
        quality["meta-llama/llama-3.1-8b-instruct"]
        < quality["meta-llama/llama-3.1-70b-instruct"]
        < quality["meta-llama/llama-3.1-405b-instruct"]
    )
    assert quality["qwen/qwen-2.5-7b-instruct"] < quality["qwen/qwen-2.5-72b-instruct"]
    assert quality["mistralai/mistral-7b-instruct"] < quality["mistralai/mixtral-8x22b-instruct"]


def test_iteration_order_is_the_file_order_and_stable():
    first = [model.id for model in ModelRegistry.default()]
    again = [model.id for model in load_registry()]
    assert first == again
    assert first[0] == "meta-llama/llama-3.1-8b-instruct"


def test_context_capabilities_follow_context_length():
    small = profile(context_length=16_000, capabilities=["very_large_context", "creative"])
    assert small.capabilities == {Capability.CREATIVE}
    large = profile(context_length=40_000, max_output=1024)
    assert large.capabilities == {Capability.LARGE_CONTEXT}
    huge = profile(context_length=200_000)
    assert {Capability.LARGE_CONTEXT, Capability.VERY_LARGE_CONTEXT} <= huge.capabilities
    scout = ModelRegistry.default().get("meta-llama/llama-4-scout")
    assert Capability.VERY_LARGE_CONTEXT in scout.capabilities


def test_prices_per_million_and_worst_case_cost():
    model = profile(prompt_price=2e-7, completion_price=6e-7, max_output=1000)
    assert model.prompt_price_per_million == pytest.approx(0.2)
    assert model.completion_price_per_million == pytest.approx(0.6)
    assert model.blended_price_per_million == pytest.approx((3 * 0.2 + 0.6) / 4)
    assert model.worst_case_cost(1000, None) == pytest.approx(1000 * 2e-7 + 1000 * 6e-7)
    assert model.worst_case_cost(1000, 10) == pytest.approx(1000 * 2e-7 + 10 * 6e-7)


def test_user_yaml_adds_a_model_after_the_defaults(tmp_path):
    registry = ModelRegistry.default().merged_with(write(tmp_path, NEW_MODEL))
    assert len(registry) == len(ModelRegistry.default()) + 1
    assert registry.ids[-1] == "acme/open-13b"
    added = registry.get("acme/open-13b")
    assert added.synthetic_data_ok is False
    assert added.structured_output is StructuredOutputMethod.JSON_MODE
    assert Capability.LARGE_CONTEXT in added.capabilities
    assert registry.sources[-1].endswith("user.yaml")


def test_user_yaml_overrides_only_the_fields_it_names(tmp_path):
    default = ModelRegistry.default().get("qwen/qwq-32b")
    path = write(
        tmp_path,
        "models:\n"
        "  - id: qwen/qwq-32b\n"
        "    prompt_price: 0.0\n"
        "    completion_price: 0.0\n"
        "    prices_as_of: 2026-12-01\n"
        "    relative_speed: 0.9\n",
    )
    registry = load_registry([path])
    changed = registry.get("qwen/qwq-32b")
    assert (changed.prompt_price, changed.completion_price) == (0.0, 0.0)
    assert changed.prices_as_of == date(2026, 12, 1)
    assert changed.relative_speed == 0.9
    assert changed.capabilities == default.capabilities
    assert changed.context_length == default.context_length
    assert registry.ids == ModelRegistry.default().ids, "an override keeps the model's place"


def test_later_files_win(tmp_path):
    first = write(tmp_path, "models:\n  - id: qwen/qwq-32b\n    relative_quality: 0.1\n", "a.yaml")
    second = write(tmp_path, "models:\n  - id: qwen/qwq-32b\n    relative_quality: 0.2\n", "b.yaml")
    assert load_registry([first, second]).get("qwen/qwq-32b").relative_quality == 0.2


def test_a_new_price_needs_its_date(tmp_path):
    path = write(tmp_path, "models:\n  - id: qwen/qwq-32b\n    prompt_price: 1.0e-7\n")
    with pytest.raises(RegistryError) as caught:
        load_registry([path])
    message = str(caught.value)
    assert "user.yaml" in message and "'qwen/qwq-32b'" in message and "prices_as_of" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "models:\n  - id: qwen/qwq-32b\n    colour: blue\n",
            ["user.yaml", "'qwen/qwq-32b'", "'colour'", "unknown field", "context_length"],
        ),
        (
            "models:\n  - id: qwen/qwq-32b\n    context_length: lots\n",
            ["user.yaml", "'qwen/qwq-32b'", "'context_length'", "expected a valid integer", "lots"],
        ),
        (
            "models:\n  - id: qwen/qwq-32b\n    synthetic_data_ok: maybe\n",
            ["'qwen/qwq-32b'", "'synthetic_data_ok'", "expected a valid boolean"],
        ),
        (
            "models:\n  - id: qwen/qwq-32b\n    capabilities: [telepathy]\n",
            ["'qwen/qwq-32b'", "'capabilities[0]'", "structured_json", "telepathy"],
        ),
        (
            "models:\n  - id: qwen/qwq-32b\n    structured_output: xml\n",
            ["'structured_output'", "json_schema", "function_calling", "json_mode"],
        ),
        (
            "models:\n  - id: qwen/qwq-32b\n    relative_quality: 1.5\n",
            ["'relative_quality'", "less than or equal to 1", "1.5"],
        ),
        (
            "models:\n  - id: qwen/qwq-32b\n    max_output: 999999\n",
            ["'max_output'", "exceeds context_length 32768"],
        ),
        (
            "models:\n  - id: acme/new\n    name: New\n",
            [
                "'acme/new'",
                "fields context_length, max_output,",
                "missing (required for a new model)",
            ],
        ),
        ("models:\n  - name: no id here\n", ["model #1", "'id'", "non-empty string"]),
        ("models:\n  - id: a/b\n  - id: a/b\n", ["'a/b' appears twice"]),
        ("models: [oops\n", ["user.yaml", "not valid YAML", "line"]),
        ("- id: a/b\n", ["expected a mapping with a 'models' list"]),
        ("models: []\nextras: 1\n", ["unknown top-level key 'extras'"]),
        ("models: {id: a/b}\n", ["'models' must be a list"]),
    ],
)
def test_invalid_files_fail_with_one_line_naming_file_model_and_field(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(RegistryError) as caught:
        ModelRegistry.default().merged_with(path)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in expected:
        assert fragment in message


def test_missing_file_is_a_registry_error(tmp_path):
    with pytest.raises(RegistryError, match=r"nowhere\.yaml: no such registry file"):
        load_registry([tmp_path / "nowhere.yaml"])


def test_get_unknown_id_lists_close_matches():
    registry = ModelRegistry.default()
    with pytest.raises(RegistryError) as caught:
        registry.get("llama-3.1-70b")
    assert "meta-llama/llama-3.1-70b-instruct" in str(caught.value)
    with pytest.raises(RegistryError, match="deepseek/deepseek-r1"):
        registry.get("deepseek/deepseek-r2")
    with pytest.raises(RegistryError, match="`daedalus models` lists them"):
        registry.get("zzzz")


def test_duplicate_profiles_are_refused():
    with pytest.raises(RegistryError, match="registered twice"):
        ModelRegistry([profile(), profile()])


def test_with_profiles_replaces_in_place_and_appends_new_ones():
    registry = ModelRegistry([profile(id="a/x"), profile(id="a/y")])
    updated = registry.with_profiles([profile(id="a/y", name="Y2"), profile(id="a/z")])
    assert updated.ids == ("a/x", "a/y", "a/z")
    assert updated.get("a/y").name == "Y2"
    assert registry.get("a/y").name == "Test", "the original registry is unchanged"


@settings(max_examples=40, deadline=None)
@given(
    prompt=st.floats(min_value=0, max_value=1e-4, allow_nan=False),
    completion=st.floats(min_value=0, max_value=1e-4, allow_nan=False),
    quality=st.floats(min_value=0, max_value=1),
)
def test_overrides_round_trip_through_yaml(prompt, completion, quality):
    text = (
        "models:\n"
        "  - id: meta-llama/llama-3.1-8b-instruct\n"
        f"    prompt_price: {prompt!r}\n"
        f"    completion_price: {completion!r}\n"
        "    prices_as_of: 2026-11-01\n"
        f"    relative_quality: {quality!r}\n"
    )
    merged = ModelRegistry.default().merged_with_text(text, source="memory.yaml")
    model = merged.get("meta-llama/llama-3.1-8b-instruct")
    assert (model.prompt_price, model.completion_price) == (prompt, completion)
    assert model.relative_quality == quality

from datetime import date

import httpx
import pytest
import respx

from daedalus.errors import ConfigError, ModelError, ModelRequestError, OutOfCreditError
from daedalus.llm.actions import Capability
from daedalus.llm.refresh import (
    DEFAULT_BASE_URL,
    openrouter_settings,
    refresh_registry,
    write_overrides,
)
from daedalus.llm.registry import ModelRegistry, load_registry

KEY = "sk-or-v1-test-secret-0123456789"
TODAY = date(2026, 11, 21)
BASE = "https://router.example/api/v1"
REGISTRY = ModelRegistry.default()


def listing(model_id, prompt, completion, context=None, max_out=None, params=None):
    entry = {
        "id": model_id,
        "name": model_id,
        "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0"},
        "architecture": {"modality": "text->text"},
    }
    if context is not None:
        entry["context_length"] = context
    entry["top_provider"] = {"max_completion_tokens": max_out, "is_moderated": False}
    if params is not None:
        entry["supported_parameters"] = params
    return entry


def answer(*entries):
    present = {entry["id"] for entry in entries}
    others = [
        listing(model.id, "0.0000001", "0.0000002", context=model.context_length)
        for model in REGISTRY
        if model.id not in present and model.id != "qwen/qwq-32b"
    ]
    return {"data": [*entries, *others, listing("openrouter/auto", "-1", "-1")]}


@pytest.fixture
def openrouter():
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_refresh_updates_prices_limits_and_parameters(openrouter):
    openrouter.get("/models").respond(
        json=answer(
            listing(
                "deepseek/deepseek-r1",
                "0.0000004",
                "0.0000016",
                context=128_000,
                max_out=32_768,
                params=["max_tokens", "temperature", "reasoning"],
            )
        )
    )
    result = refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    r1 = result.registry.get("deepseek/deepseek-r1")
    assert r1.prompt_price == pytest.approx(4e-7)
    assert r1.completion_price == pytest.approx(1.6e-6)
    assert r1.prices_as_of == TODAY
    assert (r1.context_length, r1.max_output) == (128_000, 32_768)
    assert r1.supported_parameters == {"max_tokens", "temperature", "reasoning"}
    assert r1.capabilities == REGISTRY.get("deepseek/deepseek-r1").capabilities
    changed = {(change.model_id, change.field) for change in result.changes}
    assert ("deepseek/deepseek-r1", "prompt_price") in changed
    assert ("deepseek/deepseek-r1", "max_output") in changed
    assert ("deepseek/deepseek-r1", "capabilities") not in changed
    assert all(model.prices_as_of == TODAY for model in result.refreshed)
    assert result.source == f"{BASE}/models"
    assert result.as_of == TODAY


def test_models_not_listed_are_reported_and_keep_their_values(openrouter):
    openrouter.get("/models").respond(json=answer())
    result = refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    assert result.missing == ("qwen/qwq-32b",)
    assert result.registry.get("qwen/qwq-32b") == REGISTRY.get("qwen/qwq-32b")
    assert len(result.refreshed) == len(REGISTRY) - 1
    assert result.registry.ids == REGISTRY.ids


def test_listed_values_that_do_not_validate_are_rejected_not_applied(openrouter):
    openrouter.get("/models").respond(
        json=answer(listing("mistralai/mistral-7b-instruct", "-1", "0.0000002"))
    )
    result = refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    reason = result.rejected["mistralai/mistral-7b-instruct"]
    assert "pricing.prompt" in reason and "\n" not in reason
    kept = result.registry.get("mistralai/mistral-7b-instruct")
    assert kept == REGISTRY.get("mistralai/mistral-7b-instruct")


def test_missing_output_cap_keeps_the_old_one_unless_the_window_shrank(openrouter):
    openrouter.get("/models").respond(
        json=answer(
            listing("meta-llama/llama-3.1-8b-instruct", "0", "0", context=131_072),
            listing("qwen/qwen-2.5-7b-instruct", "0", "0", context=4_096),
        )
    )
    result = refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    llama = result.registry.get("meta-llama/llama-3.1-8b-instruct")
    assert llama.max_output == REGISTRY.get("meta-llama/llama-3.1-8b-instruct").max_output
    assert (llama.prompt_price, llama.completion_price) == (0.0, 0.0)
    qwen = result.registry.get("qwen/qwen-2.5-7b-instruct")
    assert (qwen.context_length, qwen.max_output) == (4_096, 4_096)
    lost = [change for change in result.changes if change.field == "capabilities"]
    assert [change.model_id for change in lost] == ["qwen/qwen-2.5-7b-instruct"]
    assert Capability.LARGE_CONTEXT in lost[0].old - lost[0].new


def test_key_travels_only_in_the_authorization_header(openrouter, tmp_path):
    route = openrouter.get("/models").respond(json=answer())
    result = refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in str(request.url)
    others = [value for name, value in request.headers.items() if name.lower() != "authorization"]
    assert all(KEY not in value for value in others)
    written = write_overrides(result, tmp_path / "prices" / "openrouter.yaml")
    assert KEY not in written.read_text(encoding="utf-8")
    assert KEY not in repr(result)


def test_written_overrides_read_back_to_the_refreshed_registry(openrouter, tmp_path):
    openrouter.get("/models").respond(
        json=answer(
            listing(
                "deepseek/deepseek-chat",
                "0.00000025",
                "0.000001",
                context=163_840,
                max_out=8_192,
                params=["tools", "response_format"],
            )
        )
    )
    result = refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    path = write_overrides(result, tmp_path / "openrouter.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# Prices and limits read from {BASE}/models on 2026-11-21")
    reloaded = load_registry([path])
    assert list(reloaded) == list(result.registry)


@pytest.mark.parametrize(
    ("status", "error", "fragment"),
    [
        (401, ModelRequestError, "check OPENROUTER_API_KEY"),
        (403, ModelRequestError, "HTTP 403"),
        (402, OutOfCreditError, "HTTP 402"),
        (429, ModelRequestError, "HTTP 429"),
        (503, ModelError, "HTTP 503"),
    ],
)
def test_http_errors_are_clear_and_never_echo_the_key(openrouter, status, error, fragment):
    body = {"error": {"code": status, "message": f"Key {KEY} was\nrefused"}}
    openrouter.get("/models").respond(status, json=body)
    with pytest.raises(error) as caught:
        refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    message = str(caught.value)
    assert fragment in message and f"{BASE}/models" in message
    assert KEY not in message and "\n" not in message
    assert "Key *** was refused" in message
    if status == 503:
        assert not isinstance(caught.value, ModelRequestError)


def test_unreachable_host_and_bad_answers_are_model_errors(openrouter):
    route = openrouter.get("/models")
    route.side_effect = httpx.ConnectError("connection refused")
    with pytest.raises(ModelError, match=r"could not reach .*ConnectError"):
        refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    route.side_effect = None
    route.return_value = httpx.Response(200, text="<html>maintenance</html>")
    with pytest.raises(ModelError, match="not JSON"):
        refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    route.return_value = httpx.Response(200, json={"models": []})
    with pytest.raises(ModelError, match="'data' list"):
        refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)


def test_settings_come_from_the_environment(monkeypatch, openrouter):
    monkeypatch.setenv("OPENROUTER_BASE_URL", BASE + "/")
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    route = openrouter.get("/models").respond(json=answer())
    result = refresh_registry(REGISTRY, today=TODAY)
    assert route.called and result.source == f"{BASE}/models"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"
    assert openrouter_settings({}) == (DEFAULT_BASE_URL, None)
    assert openrouter_settings({"OPENROUTER_API_KEY": "  "}) == (DEFAULT_BASE_URL, None)


def test_without_a_key_nothing_is_requested(monkeypatch, openrouter):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    route = openrouter.get("/models").respond(json=answer())
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY is not set"):
        refresh_registry(REGISTRY, base_url=BASE, today=TODAY)
    assert not route.called


def test_an_injected_client_is_used_and_left_open():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer())

    client = httpx.Client(transport=httpx.MockTransport(handler))
    refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, http_client=client, today=TODAY)
    assert len(seen) == 1 and str(seen[0].url) == f"{BASE}/models"
    assert not client.is_closed
    client.close()


def test_unwritable_overrides_path_is_a_config_error(openrouter, tmp_path):
    openrouter.get("/models").respond(json=answer())
    result = refresh_registry(REGISTRY, api_key=KEY, base_url=BASE, today=TODAY)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot write the overrides"):
        write_overrides(result, blocker / "inside.yaml")

"""OpenRouter over HTTP: the wire format, structured output, costs, configuration and secrets (respx, no network)."""

from __future__ import annotations

import json
import traceback

import pytest
import respx
import structlog
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from daedalus.errors import (
    BudgetExceededError,
    ConfigError,
    ModelRequestError,
    ModelUnavailableError,
    RegistryError,
)
from daedalus.llm.actions import ActionType
from daedalus.llm.budget import BudgetGuard, BudgetMode
from daedalus.llm.cache import SQLiteResponseCache
from daedalus.llm.openrouter import (
    openrouter_chat_model,
    resolve_api_key,
    resolve_base_url,
)
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.router import Router
from daedalus.llm.selection import fallback_chain
from tests.llm.openrouter_support import (
    ASYNC_CLIENT,
    KEY,
    MESSAGES,
    REGISTRY,
    SYNC_CLIENT,
    Verdict,
    ask_text,
    ask_verdict,
    completion,
    error,
    make_router,
)


def test_chain_is_the_selection_fallback_chain(sleeps):
    router = make_router(sleeps)
    expected = [p.id for p in fallback_chain(ActionType.VALIDATION, REGISTRY)]
    assert router.chain_for(ActionType.VALIDATION) == expected
    assert expected == ["acme/alpha", "acme/gamma", "acme/beta"]
    assert router.chain_for(ActionType.GENERAL) == expected
    pinned = make_router(sleeps, model="acme/beta")
    assert pinned.chain_for(ActionType.VALIDATION)[0] == "acme/beta"


def test_request_body_and_headers(server, sleeps):
    server.queue("acme/alpha", completion("The notes exist."))
    params = SamplingParams(
        temperature=0.4, top_p=0.9, max_tokens=300, frequency_penalty=0.2, presence_penalty=-0.1
    )
    router = make_router(sleeps, seed=11)
    assert ask_text(router, params=params) == "The notes exist."
    request, body = server.requests[0]
    assert body["model"] == "acme/alpha"
    assert body["messages"] == [
        {"role": "system", "content": "You check claims."},
        {"role": "user", "content": "Did Madison keep notes?"},
    ]
    assert body["temperature"] == 0.4 and body["top_p"] == 0.9
    assert body["max_tokens"] == 300 and "max_completion_tokens" not in body
    assert body["frequency_penalty"] == 0.2 and body["presence_penalty"] == -0.1
    assert body["seed"] == 11
    assert "provider" not in body  # every parameter is supported: no routing constraint needed
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["http-referer"].startswith("https://")
    assert request.headers["x-title"] == "Daedalus"


def test_unsupported_parameter_is_sent_and_requires_parameters(server, sleeps):
    server.queue("acme/gamma", completion("ok"))
    router = make_router(sleeps, model="acme/gamma")
    ask_text(router, params=SamplingParams(top_p=0.5))
    body = server.bodies()[0]
    assert body["top_p"] == 0.5
    assert body["provider"] == {"require_parameters": True}


def test_json_schema_structured_request(server, sleeps):
    server.queue("acme/alpha", completion('{"holds": true, "reason": "he wrote daily"}'))
    verdict = ask_verdict(make_router(sleeps))
    assert verdict == Verdict(holds=True, reason="he wrote daily")
    body = server.bodies()[0]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Verdict", "schema": Verdict.model_json_schema(), "strict": False},
    }
    assert body["provider"] == {"require_parameters": True}


def test_function_calling_structured_request(server, sleeps):
    server.queue("acme/beta", completion(tool_args={"holds": False, "reason": "no record"}))
    verdict = ask_verdict(make_router(sleeps, model="acme/beta"))
    assert verdict == Verdict(holds=False, reason="no record")
    body = server.bodies()[0]
    assert body["tools"][0]["function"]["name"] == "Verdict"
    assert body["tools"][0]["function"]["parameters"] == Verdict.model_json_schema()
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Verdict"}}
    assert body["provider"] == {"require_parameters": True}


def test_json_mode_states_the_schema_in_the_system_message(server, sleeps):
    server.queue("acme/gamma", completion('```json\n{"holds": true, "reason": "yes"}\n```'))
    verdict = ask_verdict(make_router(sleeps, model="acme/gamma"))
    assert verdict.holds is True
    body = server.bodies()[0]
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]
    assert system["role"] == "system" and system["content"].startswith("You check claims.")
    assert json.dumps(Verdict.model_json_schema(), sort_keys=True) in system["content"]


def test_ledger_cost_is_the_sum_of_billed_costs(server, sleeps):
    server.queue(
        "acme/alpha",
        completion("nope", cost=0.0031),
        completion('{"holds": false, "reason": "r"}', cost=0.0042),
    )
    server.queue("acme/alpha", completion("text", cost=0.0007))
    router = make_router(sleeps)
    ask_verdict(router)
    ask_text(router, messages=[HumanMessage("another question")])
    assert router.ledger.totals().cost_usd == pytest.approx(0.0031 + 0.0042 + 0.0007, abs=1e-15)
    assert not any(r.cost_estimated for r in router.ledger.records)
    assert router.budget.spent_usd == pytest.approx(0.008, abs=1e-15)
    assert all(r.selected for r in router.ledger.records)  # M18 chose every model


def test_missing_cost_is_estimated_from_registry_prices(server, sleeps):
    server.queue(
        "acme/alpha", completion("ok", cost=None, prompt_tokens=1000, completion_tokens=10)
    )
    router = make_router(sleeps)
    ask_text(router)
    (record,) = router.ledger.records
    assert record.cost_estimated is True
    assert record.cost_usd == pytest.approx(1000 * 1e-7 + 10 * 4e-7)


def test_a_cached_request_makes_no_http_call(server, sleeps, tmp_path):
    server.queue("acme/alpha", error(503))
    server.queue("acme/gamma", completion('{"holds": true, "reason": "cached"}'))
    with SQLiteResponseCache(tmp_path / "answers.db") as cache:
        first = make_router(sleeps, cache=cache, max_retries=0)
        assert ask_verdict(first).reason == "cached"
        sent = len(server.requests)
        rerun = make_router(sleeps, cache=cache, max_retries=0)  # a new run over the same file
        assert ask_verdict(rerun).reason == "cached"
    assert len(server.requests) == sent
    (hit,) = rerun.ledger.records
    assert hit.cache_hit and hit.cost_usd == 0.0 and hit.model == "acme/gamma"


def test_hard_budget_refuses_before_sending(server, sleeps):
    server.queue("acme/alpha", completion("never"))
    router = make_router(sleeps, budget=BudgetGuard(limit_usd=1e-4, mode=BudgetMode.HARD))
    with pytest.raises(BudgetExceededError, match="acme/alpha"):
        ask_text(router, params=SamplingParams(max_tokens=1000))
    assert server.requests == [] and len(router.ledger) == 0


def test_the_api_key_never_leaks(server, sleeps):
    echo = f"invalid key {KEY}"
    server.queue("acme/alpha", error(503, echo), error(503, echo))
    server.queue("acme/gamma", error(503, echo), error(503, echo))
    server.queue("acme/beta", error(401, echo))
    router = make_router(sleeps, max_retries=1)
    with structlog.testing.capture_logs() as logs, pytest.raises(ModelRequestError) as caught:
        ask_text(router)
    assert logs, "failures are logged"
    assert KEY not in repr(logs)
    assert KEY not in str(caught.value)
    assert KEY not in "".join(traceback.format_exception(caught.value))
    assert KEY not in json.dumps(router.ledger.summary())
    assert KEY not in "".join(r.model_dump_json() for r in router.ledger.records)
    assert "***" in str(caught.value)
    server.queue("acme/alpha", error(500, echo))
    alone = ModelRegistry([REGISTRY.get("acme/alpha")])
    with pytest.raises(ModelUnavailableError) as unavailable:
        ask_text(make_router(sleeps, registry=alone, max_retries=0))
    assert KEY not in str(unavailable.value) and "***" in str(unavailable.value)


def test_sync_calls_share_one_loop_and_http_client(server, sleeps):
    server.queue("acme/alpha", completion("one"), completion("two"))
    with make_router(sleeps) as router:
        assert router.complete(node="n", action=ActionType.GENERAL, messages=MESSAGES) == "one"
        again = [HumanMessage("second")]
        assert router.complete(node="n", action=ActionType.GENERAL, messages=again) == "two"


def test_key_and_base_url_resolution(monkeypatch):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY"):
        resolve_api_key(None)
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    assert resolve_api_key(None).get_secret_value() == KEY
    assert KEY not in repr(resolve_api_key(None))
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://localhost:11434/v1")
    assert resolve_base_url(None) == "http://localhost:11434/v1"
    assert resolve_base_url("http://vllm:8000/v1") == "http://vllm:8000/v1"


def test_any_openai_compatible_server_through_base_url(sleeps):
    local = "http://localhost:11434/v1"
    with respx.mock() as mock:
        route = mock.post(f"{local}/chat/completions").mock(return_value=completion("local"))
        router = make_router(sleeps, base_url=local, model="llama3.1:8b")
        assert router.chain_for(ActionType.GENERAL) == ["llama3.1:8b"]
        assert ask_text(router) == "local"
    body = json.loads(route.calls.last.request.content)
    assert body["model"] == "llama3.1:8b" and "provider" not in body
    assert not router.ledger.records[0].selected  # a model of its own server: no M18 choice


def test_an_unknown_pinned_model_fails_at_construction(sleeps):
    with pytest.raises(RegistryError, match="acme/alpha"):
        make_router(sleeps, model="acme/alpah")


def test_a_handed_in_model_keeps_its_own_key_secret(server, sleeps):
    server.queue("acme/alpha", error(401, f"bad key {KEY}"))
    model = openrouter_chat_model(
        "acme/alpha", api_key=SecretStr(KEY), http_async_client=ASYNC_CLIENT
    )
    router = Router.for_chat_model(model, model_id="acme/alpha")
    with pytest.raises(ModelRequestError) as caught:
        ask_text(router)
    assert KEY not in str(caught.value) and "***" in str(caught.value)


def test_a_local_server_needs_no_key(monkeypatch, sleeps):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    local = "http://localhost:11434/v1"
    with respx.mock() as mock:
        route = mock.post(f"{local}/chat/completions").mock(return_value=completion("local"))
        router = Router.openrouter(base_url=local, model="llama3.1:8b", registry=REGISTRY,
                                   http_client=SYNC_CLIENT, http_async_client=ASYNC_CLIENT)
        assert ask_text(router) == "local"
    assert route.calls.last.request.headers["Authorization"] == "Bearer no-key-needed"
    with pytest.raises(ConfigError, match="API key"):
        Router.openrouter(base_url="https://openrouter.ai/api/v1")

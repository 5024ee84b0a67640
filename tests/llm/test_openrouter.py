"""OpenRouter over HTTP: the wire format, retries, fallbacks, costs and secrets (respx, no network)."""

from __future__ import annotations

import asyncio
import json
import traceback
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx
import structlog
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, SecretStr

from daedalus.errors import (
    BudgetExceededError,
    ConfigError,
    ModelOutputError,
    ModelRequestError,
    ModelUnavailableError,
    OutOfCreditError,
    RegistryError,
)
from daedalus.llm._retry import ProviderError, RetryPolicy, retry_after_seconds
from daedalus.llm.actions import ActionType, Capability
from daedalus.llm.budget import BudgetGuard, BudgetMode
from daedalus.llm.cache import SQLiteResponseCache
from daedalus.llm.openrouter import (
    DEFAULT_BASE_URL,
    openrouter_chat_model,
    resolve_api_key,
    resolve_base_url,
)
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import ModelProfile, ModelRegistry, StructuredOutputMethod
from daedalus.llm.router import Router
from daedalus.llm.selection import fallback_chain

KEY = "sk-or-v1-TOPSECRET-0123456789abcdef"
URL = f"{DEFAULT_BASE_URL}/chat/completions"
ALL_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty", "seed"}
)


def _profile(model_id: str, method: StructuredOutputMethod, **overrides: Any) -> ModelProfile:
    fields: dict[str, Any] = {
        "id": model_id,
        "name": model_id,
        "context_length": 65_536,
        "max_output": 4_096,
        "prompt_price": 1e-7,
        "completion_price": 4e-7,
        "prices_as_of": date(2026, 1, 1),
        "capabilities": frozenset({Capability.STRUCTURED_JSON, Capability.LOGICAL_REASONING}),
        "licence": "Apache-2.0",
        "synthetic_data_ok": True,
        "structured_output": method,
        "supported_parameters": ALL_PARAMS | {"response_format", "tools", "tool_choice"},
    }
    fields.update(overrides)
    return ModelProfile(**fields)


REGISTRY = ModelRegistry(
    [
        _profile(
            "acme/alpha",
            StructuredOutputMethod.JSON_SCHEMA,
            relative_quality=0.9,
            relative_speed=0.3,
        ),
        _profile(
            "acme/beta",
            StructuredOutputMethod.FUNCTION_CALLING,
            relative_quality=0.6,
            relative_speed=0.5,
        ),
        _profile(  # the cheapest and fastest: second in every chain
            "acme/gamma",
            StructuredOutputMethod.JSON_MODE,
            relative_quality=0.3,
            relative_speed=0.9,
            prompt_price=1e-8,
            completion_price=2e-8,
            supported_parameters=frozenset({"max_tokens", "temperature"}),
        ),
    ]
)


class Verdict(BaseModel):
    """Whether a claim holds."""

    holds: bool
    reason: str


class FakeOpenRouter:
    """A respx side effect answering per model id from queued responses; records requests."""

    def __init__(self) -> None:
        self.queues: dict[str, list[httpx.Response | Exception]] = defaultdict(list)
        self.requests: list[tuple[httpx.Request, dict[str, Any]]] = []

    def queue(self, model: str, *responses: httpx.Response | Exception) -> None:
        self.queues[model].extend(responses)

    def bodies(self, model: str | None = None) -> list[dict[str, Any]]:
        return [b for _, b in self.requests if model is None or b["model"] == model]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append((request, body))
        queue = self.queues[body["model"]]
        if not queue:
            return httpx.Response(418, json={"error": {"code": 418, "message": "unexpected"}})
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def completion(
    content: str | None = "hello",
    *,
    cost: float | None = 0.001,
    prompt_tokens: int = 12,
    completion_tokens: int = 5,
    tool_args: dict[str, Any] | None = None,
    tool_name: str = "Verdict",
) -> httpx.Response:
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cost is not None:
        usage["cost"] = cost
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_args is not None:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": tool_name, "arguments": json.dumps(tool_args)},
            }
        ]
    body = {
        "id": "gen-1",
        "object": "chat.completion",
        "created": 1,
        "model": "whatever",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage,
    }
    return httpx.Response(200, json=body)


def error(status: int, message: str = "failed", headers: dict[str, str] | None = None):
    body = {"error": {"code": status, "message": message}}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def server():
    fake = FakeOpenRouter()
    with respx.mock(assert_all_called=False) as mock:
        mock.post(URL).mock(side_effect=fake)
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


# Built once: each httpx client loads the system CA bundle, which is slow.
SYNC_CLIENT = httpx.Client()
ASYNC_CLIENT = httpx.AsyncClient()


def make_router(sleeps: list[float], **kw: Any) -> Router:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    kw.setdefault("registry", REGISTRY)
    return Router.openrouter(
        api_key=KEY,
        http_client=SYNC_CLIENT,
        http_async_client=ASYNC_CLIENT,
        sleep=sleep,
        **kw,
    )


MESSAGES = [SystemMessage("You check claims."), HumanMessage("Did Madison keep notes?")]


def ask_text(router: Router, **kw: Any) -> str:
    kw.setdefault("messages", MESSAGES)
    return asyncio.run(router.acomplete(node="checker", action=ActionType.GENERAL, **kw))


def ask_verdict(router: Router, **kw: Any) -> Verdict:
    kw.setdefault("messages", MESSAGES)
    return asyncio.run(
        router.astructured(node="checker", action=ActionType.VALIDATION, schema=Verdict, **kw)
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


def test_rate_limit_honours_retry_after_then_succeeds(server, sleeps):
    server.queue("acme/alpha", error(429, "slow down", {"Retry-After": "7"}), completion("ok"))
    router = make_router(sleeps)
    assert ask_text(router) == "ok"
    assert sleeps == [7.0]
    (record,) = router.ledger.records
    assert record.model == "acme/alpha" and record.retries == 1 and record.error is None


def test_retry_after_is_capped_and_read_as_a_date():
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    dated = httpx.Response(429, headers={"Retry-After": later})
    exc = httpx.HTTPStatusError("429", request=httpx.Request("POST", URL), response=dated)
    assert retry_after_seconds(exc, now) == pytest.approx(30.0)
    huge = httpx.Response(429, headers={"Retry-After": "86400"})
    exc = httpx.HTTPStatusError("429", request=httpx.Request("POST", URL), response=huge)
    import random

    assert RetryPolicy(max_retry_after=60.0).wait_seconds(1, exc, random.Random(0)) == 60.0


def test_backoff_grows_exponentially_without_retry_after(server, sleeps):
    server.queue("acme/alpha", error(503), error(502), error(500), completion("ok"))
    assert ask_text(make_router(sleeps, max_retries=3)) == "ok"
    assert len(sleeps) == 3
    policy = RetryPolicy()
    for attempt, waited in enumerate(sleeps, start=1):
        base = policy.initial_wait * 2 ** (attempt - 1)
        assert base <= waited <= base * (1 + policy.jitter)


def test_server_errors_fall_back_to_the_next_model(server, sleeps):
    server.queue("acme/alpha", error(503), error(503))
    server.queue("acme/gamma", completion("from gamma", cost=0.002))
    router = make_router(sleeps, max_retries=1)
    assert ask_text(router) == "from gamma"
    assert [b["model"] for b in server.bodies()] == ["acme/alpha", "acme/alpha", "acme/gamma"]
    failed, used = router.ledger.records
    assert (failed.model, failed.error, failed.retries) == (
        "acme/alpha",
        "ModelUnavailableError",
        1,
    )
    assert (used.model, used.error, used.cost_usd) == ("acme/gamma", None, 0.002)


def test_every_model_failing_names_them_all(server, sleeps):
    for model in ("acme/alpha", "acme/gamma", "acme/beta"):
        server.queue(model, error(502, f"{model} down"), error(502, f"{model} down"))
    with pytest.raises(ModelUnavailableError) as caught:
        ask_text(make_router(sleeps, max_retries=1))
    message = str(caught.value)
    assert "acme/alpha, acme/gamma, acme/beta" in message
    assert "acme/beta down" in message and "\n" not in message


def test_missing_model_moves_on_without_retrying(server, sleeps):
    server.queue("acme/alpha", error(404, "no endpoints"))
    server.queue("acme/gamma", completion("ok"))
    assert ask_text(make_router(sleeps)) == "ok"
    assert sleeps == [] and len(server.requests) == 2


def test_out_of_credit_stops_at_once(server, sleeps):
    server.queue("acme/alpha", error(402, "Insufficient credits"))
    server.queue("acme/gamma", completion("never"))
    router = make_router(sleeps)
    with pytest.raises(OutOfCreditError, match="out of credit"):
        ask_text(router)
    assert len(server.requests) == 1 and sleeps == []
    assert router.ledger.records[0].error == "OutOfCreditError"


@pytest.mark.parametrize("status", [400, 401, 403])
def test_rejected_requests_fail_at_once(server, sleeps, status):
    server.queue("acme/alpha", error(status, "bad"))
    with pytest.raises(ModelRequestError, match=f"HTTP {status}"):
        ask_text(make_router(sleeps))
    assert len(server.requests) == 1 and sleeps == []


def test_timeouts_and_connection_errors_are_retried(server, sleeps):
    server.queue(
        "acme/alpha",
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        completion("ok"),
    )
    assert ask_text(make_router(sleeps)) == "ok"
    assert len(sleeps) == 2


def test_error_object_in_a_200_body_is_retried(server, sleeps):
    body = {"error": {"code": 502, "message": "upstream provider failed"}}
    server.queue("acme/alpha", httpx.Response(200, json=body), completion("ok"))
    router = make_router(sleeps)
    assert ask_text(router) == "ok"
    assert len(sleeps) == 1 and router.ledger.records[0].retries == 1


def test_error_object_in_a_200_body_reaches_the_caller_typed():
    body = {"error": {"code": 429, "message": "busy"}}
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=httpx.Response(200, json=body))
        model = openrouter_chat_model("acme/alpha", api_key=SecretStr(KEY), http_client=SYNC_CLIENT)
        with pytest.raises(ProviderError) as caught:
            model.invoke("hi")
    assert caught.value.code == 429


def test_malformed_json_is_reasked_with_the_reason(server, sleeps):
    server.queue(
        "acme/alpha",
        completion('{"holds": true, "reason": '),
        completion('{"holds": true}'),
        completion('{"holds": true, "reason": "third time"}'),
    )
    router = make_router(sleeps, max_reasks=2)
    assert ask_verdict(router).reason == "third time"
    second, third = server.bodies()[1:]
    assert second["messages"][-2] == {"role": "assistant", "content": '{"holds": true, "reason": '}
    assert "not valid JSON" in second["messages"][-1]["content"]
    assert second["messages"][-1]["role"] == "user"
    assert "reason: Field required" in third["messages"][-1]["content"]
    (record,) = router.ledger.records
    assert record.retries == 2 and record.error is None


def test_output_that_never_validates_ends_in_model_output_error(server, sleeps):
    for model in ("acme/alpha", "acme/gamma", "acme/beta"):
        server.queue(model, completion("not json at all"), completion("still not json"))
    router = make_router(sleeps, max_reasks=1)
    with pytest.raises(ModelOutputError, match="acme/alpha, acme/gamma, acme/beta"):
        ask_verdict(router)
    assert len(server.requests) == 6
    assert all(r.error == "ModelOutputError" for r in router.ledger.records)


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

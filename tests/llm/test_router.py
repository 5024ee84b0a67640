"""The router with in-process chat models: contracts, structured output, concurrency, budgets."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import date
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.rate_limiters import BaseRateLimiter
from pydantic import BaseModel, Field

from daedalus.errors import BudgetExceededError, ConfigError, ModelOutputError
from daedalus.llm.actions import ActionType, Capability
from daedalus.llm.budget import BudgetGuard, BudgetMode
from daedalus.llm.cache import InMemoryResponseCache
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import ModelProfile, ModelRegistry, StructuredOutputMethod
from daedalus.llm.router import Router

GENERAL = ActionType.GENERAL


class Verdict(BaseModel):
    """Whether a claim holds."""

    holds: bool
    reason: str
    confidence: float = 0.5


def answer(content: str = "ok", *, cost: float | None = 0.0, tool_args: Any = None) -> AIMessage:
    token_usage: dict[str, Any] = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}
    if cost is not None:
        token_usage["cost"] = cost
    calls = [] if tool_args is None else [{"name": "Verdict", "args": tool_args, "id": "c1"}]
    return AIMessage(
        content=content,
        tool_calls=calls,
        usage_metadata={"input_tokens": 10, "output_tokens": 4, "total_tokens": 14},
        response_metadata={"model_name": "fake", "token_usage": token_usage},
    )


class FakeChat(BaseChatModel):
    """Answers from a script (messages or exceptions) and records every call."""

    script: list[Any] = Field(default_factory=list)
    calls: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise NotImplementedError("the router only calls models asynchronously")

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        metadata = dict(run_manager.metadata) if run_manager else {}
        self.calls.append({"messages": list(messages), "kwargs": kwargs, "metadata": metadata})
        if not self.script:
            raise AssertionError("the script ran out")
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return ChatResult(generations=[ChatGeneration(message=step)])


def fake(*steps: Any) -> FakeChat:
    return FakeChat(script=list(steps), calls=[])


def run(router: Router, **kw: Any) -> Any:
    kw.setdefault("node", "judge")
    kw.setdefault("messages", [HumanMessage("Is the claim true?")])
    if "schema" in kw:
        kw.setdefault("action", ActionType.VALIDATION)
        return asyncio.run(router.astructured(**kw))
    kw.setdefault("action", GENERAL)
    return asyncio.run(router.acomplete(**kw))


async def _no_sleep(_seconds: float) -> None:
    return None


def test_offline_is_a_constructor_on_the_class_and_a_flag_on_the_router():
    router = Router.offline(seed=5)
    assert router.is_offline is True
    assert Router.for_chat_model(fake()).is_offline is False
    text = router.complete(node="n", action=GENERAL, messages=[HumanMessage("Name a river.")])
    verdict = router.structured(
        node="n", action=ActionType.VALIDATION, schema=Verdict, messages=[HumanMessage("Ok?")]
    )
    assert text and isinstance(verdict, Verdict)
    assert [r.model for r in router.ledger.records] == ["offline", "offline"]
    assert all(r.offline and r.cost_usd == 0.0 for r in router.ledger.records)
    router.close()


def test_node_and_action_reach_the_model_as_metadata_and_params_are_bound():
    model = fake(answer("fine"))
    router = Router.for_chat_model(model, seed=42)
    params = SamplingParams(temperature=0.3, max_tokens=50, presence_penalty=0.5)
    assert run(router, node="steering", action=ActionType.DIALOG_SYNTHESIS, params=params) == (
        "fine"
    )
    (call,) = model.calls
    assert call["metadata"]["daedalus_node"] == "steering"
    assert call["metadata"]["daedalus_action"] == "dialog_synthesis"
    assert call["kwargs"] == {
        "temperature": 0.3,
        "max_tokens": 50,
        "presence_penalty": 0.5,
        "seed": 42,
    }


def test_json_schema_binding():
    model = fake(answer('{"holds": true, "reason": "seen"}'))
    verdict = run(Router.for_chat_model(model), schema=Verdict)
    assert verdict == Verdict(holds=True, reason="seen")
    assert model.calls[0]["kwargs"]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Verdict", "schema": Verdict.model_json_schema(), "strict": False},
    }


def test_function_calling_binding_without_bind_tools():
    model = fake(answer("", tool_args={"holds": False, "reason": "unseen"}))
    router = Router.for_chat_model(model, structured_output=StructuredOutputMethod.FUNCTION_CALLING)
    assert run(router, schema=Verdict).reason == "unseen"
    kwargs = model.calls[0]["kwargs"]
    assert kwargs["tools"][0]["function"]["parameters"] == Verdict.model_json_schema()
    assert kwargs["tool_choice"] == {"type": "function", "function": {"name": "Verdict"}}


def test_json_mode_adds_a_system_message_when_there_is_none():
    model = fake(answer('{"holds": true, "reason": "r"}'))
    router = Router.for_chat_model(model, structured_output=StructuredOutputMethod.JSON_MODE)
    run(router, schema=Verdict)
    sent = model.calls[0]["messages"]
    assert isinstance(sent[0], SystemMessage) and "JSON schema:" in sent[0].content
    assert model.calls[0]["kwargs"]["response_format"] == {"type": "json_object"}


def test_required_fields_are_never_filled_in():
    model = fake(answer('{"holds": true}'), answer('{"holds": true}'))
    router = Router.for_chat_model(model, max_reasks=1, sleep=_no_sleep)
    with pytest.raises(ModelOutputError, match="reason: Field required"):
        run(router, schema=Verdict)
    assert len(model.calls) == 2


def test_bad_tool_arguments_are_reasked_as_plain_messages():
    model = fake(
        answer("", tool_args={"holds": "maybe", "reason": "r"}),
        answer("", tool_args={"holds": True, "reason": "r"}),
    )
    router = Router.for_chat_model(
        model, structured_output=StructuredOutputMethod.FUNCTION_CALLING, sleep=_no_sleep
    )
    assert run(router, schema=Verdict).holds is True
    echoed, note = model.calls[1]["messages"][-2:]
    assert isinstance(echoed, AIMessage) and not echoed.tool_calls
    assert json.loads(echoed.content) == {"holds": "maybe", "reason": "r"}
    assert (
        isinstance(note, HumanMessage) and "holds" in note.content and "`Verdict`" in note.content
    )


def test_an_empty_text_answer_is_reasked():
    model = fake(answer("   "), answer("second try"))
    router = Router.for_chat_model(model, sleep=_no_sleep)
    assert run(router) == "second try"
    assert "empty" in model.calls[1]["messages"][-1].content
    assert router.ledger.records[0].retries == 1


def test_unexpected_errors_are_not_masked():
    router = Router.for_chat_model(fake(KeyError("a bug in the model")), sleep=_no_sleep)
    with pytest.raises(KeyError, match="a bug in the model"):
        run(router)


def test_cache_hit_makes_no_call_and_records_a_free_row():
    model = fake(answer("first", cost=0.01))
    router = Router.for_chat_model(model, model_id="m", cache=InMemoryResponseCache())
    assert run(router) == "first"
    assert run(router) == "first"
    assert len(model.calls) == 1
    paid, hit = router.ledger.records
    assert (paid.cache_hit, paid.cost_usd) == (False, 0.01)
    assert (hit.cache_hit, hit.cost_usd, hit.model, hit.prompt_tokens) == (True, 0.0, "m", 0)
    assert router.ledger.totals().cache_hits == 1


def test_cache_misses_when_params_or_seed_differ():
    cache = InMemoryResponseCache()
    model = fake(answer("a"), answer("b"), answer("c"))
    run(Router.for_chat_model(model, cache=cache, seed=1))
    run(Router.for_chat_model(model, cache=cache, seed=1), params=SamplingParams(temperature=1))
    run(Router.for_chat_model(model, cache=cache, seed=2))
    assert len(model.calls) == 3 and len(cache) == 3


def test_cost_missing_without_prices_is_zero_and_marked_estimated():
    router = Router.for_chat_model(fake(answer("x", cost=None)))
    run(router)
    (record,) = router.ledger.records
    assert record.cost_estimated is True and record.cost_usd == 0.0


def test_latency_comes_from_the_injected_clock():
    ticks = itertools.count(start=100.0, step=2.5)
    router = Router.for_chat_model(fake(answer()), clock=lambda: next(ticks))
    run(router)
    assert router.ledger.records[0].latency_s == 2.5


class InFlightChat(BaseChatModel):
    """Counts concurrent calls; yields to the loop a few times inside each call."""

    in_flight: int = 0
    peak: int = 0

    @property
    def _llm_type(self) -> str:
        return "in-flight"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any):
        raise NotImplementedError

    async def _agenerate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any):
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        self.in_flight -= 1
        return ChatResult(generations=[ChatGeneration(message=answer("done"))])


def _gather(router: Router, count: int) -> list[str]:
    async def main() -> list[str]:
        calls = [
            router.acomplete(node="n", action=GENERAL, messages=[HumanMessage(f"question {i}")])
            for i in range(count)
        ]
        return list(await asyncio.gather(*calls))

    return asyncio.run(main())


@pytest.mark.parametrize("limit", [1, 3, 12])
def test_concurrency_limit_is_respected(limit):
    model = InFlightChat()
    assert _gather(Router.for_chat_model(model, concurrency=limit), 12) == ["done"] * 12
    assert model.peak == limit


class CountingLimiter(BaseRateLimiter):
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        raise AssertionError("the router acquires asynchronously")

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True


def test_rate_limiter_is_acquired_once_per_request():
    limiter = CountingLimiter()
    model = fake(TimeoutError("slow"), answer("ok"), answer("other"))
    router = Router.for_chat_model(model, rate_limiter=limiter, sleep=_no_sleep)
    run(router)
    run(router, messages=[HumanMessage("another")])
    assert limiter.acquired == 3


def test_requests_per_second_builds_a_token_bucket():
    router = Router.for_chat_model(fake(answer("ok")), requests_per_second=500.0)
    assert run(router) == "ok"


def test_sync_wrappers_work_inside_a_running_loop():
    model = fake(answer("from sync"), answer('{"holds": true, "reason": "x"}'))
    router = Router.for_chat_model(model)

    async def inside() -> tuple[str, Verdict]:
        text = router.complete(node="n", action=GENERAL, messages=[HumanMessage("q")])
        verdict = router.structured(
            node="n", action=ActionType.VALIDATION, schema=Verdict, messages=[HumanMessage("v")]
        )
        return text, verdict

    text, verdict = asyncio.run(inside())
    assert text == "from sync" and verdict.reason == "x"
    router.close()


def _profile(**overrides: Any) -> ModelProfile:
    fields: dict[str, Any] = {
        "id": "priced",
        "name": "Priced",
        "context_length": 32_768,
        "max_output": 2_048,
        "prompt_price": 1e-6,
        "completion_price": 2e-6,
        "prices_as_of": date(2026, 1, 1),
        "capabilities": frozenset({Capability.STRUCTURED_JSON, Capability.LOGICAL_REASONING}),
        "licence": "MIT",
        "synthetic_data_ok": True,
    }
    fields.update(overrides)
    return ModelProfile(**fields)


class BillingChat(BaseChatModel):
    """Bills a fraction of what a call could cost at most (as a real provider does)."""

    fractions: list[float] = Field(default_factory=list)
    price: ModelProfile

    @property
    def _llm_type(self) -> str:
        return "billing"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any):
        raise NotImplementedError

    async def _agenerate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any):
        await asyncio.sleep(0)
        prompt = sum(len(str(m.content)) for m in messages) // 4
        completion = int(kw["max_tokens"] * self.fractions.pop(0))
        cost = prompt * self.price.prompt_price + completion * self.price.completion_price
        message = AIMessage(
            content="billed",
            usage_metadata={
                "input_tokens": prompt,
                "output_tokens": completion,
                "total_tokens": prompt + completion,
            },
            response_metadata={"token_usage": {"cost": cost}},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    limit=st.floats(min_value=0.0, max_value=0.02),
    fractions=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=12),
    max_tokens=st.integers(min_value=1, max_value=2_048),
    concurrency=st.integers(min_value=1, max_value=6),
)
def test_a_hard_budget_is_never_crossed(limit, fractions, max_tokens, concurrency):
    profile = _profile()
    model = BillingChat(fractions=list(fractions), price=profile)
    budget = BudgetGuard(limit_usd=limit, mode=BudgetMode.HARD)
    router = Router.for_chat_model(model, profile=profile, budget=budget, concurrency=concurrency)
    params = SamplingParams(max_tokens=max_tokens)

    async def one(i: int) -> str | None:
        try:
            messages = [HumanMessage(f"question number {i}")]
            return await router.acomplete(
                node="n", action=GENERAL, messages=messages, params=params
            )
        except BudgetExceededError:
            return None

    async def main() -> list[str | None]:
        return list(await asyncio.gather(*(one(i) for i in range(len(fractions)))))

    results = asyncio.run(main())
    assert router.ledger.totals().cost_usd <= limit
    assert budget.spent_usd <= limit and budget.in_flight_usd == 0.0
    assert sum(r is not None for r in results) == len(router.ledger)


def test_a_soft_budget_never_refuses_but_asks_to_degrade():
    budget = BudgetGuard(limit_usd=0.01, mode=BudgetMode.SOFT, degrade_at=0.5)
    model = fake(*(answer(f"a{i}", cost=0.004) for i in range(4)))
    router = Router.for_chat_model(model, budget=budget, profile=_profile())
    for i in range(4):
        run(router, messages=[HumanMessage(f"q{i}")])
    assert budget.spent_usd == pytest.approx(0.016)
    assert budget.pressure > 1.0 and budget.should_degrade


def test_a_hard_budget_at_its_cap_refuses_an_unpriced_model():
    budget = BudgetGuard(limit_usd=0.001, mode=BudgetMode.HARD)
    model = fake(answer("paid", cost=0.001), answer("never"))
    router = Router.for_chat_model(model, budget=budget)
    run(router)
    with pytest.raises(BudgetExceededError, match="unknown"):
        run(router, messages=[HumanMessage("one more")])
    assert len(model.calls) == 1


def test_from_env_without_a_key_is_offline_and_says_how_to_switch(monkeypatch):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    with structlog.testing.capture_logs() as logs:
        router = Router.from_env(http_client=None, preference="cost")
    assert router.is_offline is True
    assert len(logs) == 1 and "OPENROUTER_API_KEY" in logs[0]["event"]
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY"):
        Router.from_env(model="acme/alpha")


def test_from_env_with_a_key_routes_through_the_registry(monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-test")
    registry = ModelRegistry([_profile(id="acme/only")])
    router = Router.from_env(registry=registry)
    assert router.is_offline is False
    assert router.chain_for(ActionType.VALIDATION) == ["acme/only"]
    assert Router.from_env(model="offline").is_offline is True


def test_preference_by_name():
    registry = ModelRegistry(
        [
            _profile(id="dear", relative_quality=0.9, prompt_price=1e-5, completion_price=1e-5),
            _profile(id="cheap", relative_quality=0.4, prompt_price=1e-9, completion_price=1e-9),
        ]
    )
    cheap_first = Router.openrouter(api_key="k", registry=registry, preference="cost")
    assert cheap_first.chain_for(ActionType.VALIDATION)[0] == "cheap"
    with pytest.raises(ConfigError, match="preference must be one of"):
        Router.openrouter(api_key="k", registry=registry, preference="fastest")


@pytest.mark.parametrize(
    ("option", "value"), [("concurrency", 0), ("max_reasks", -1), ("max_retries", -1)]
)
def test_bad_options_are_config_errors(option, value):
    with pytest.raises(ConfigError, match=option):
        Router.for_chat_model(fake(), **{option: value})


def test_a_blocked_network_call_fails_at_once_without_retries():
    import asyncio

    import httpx
    from langchain_core.messages import HumanMessage

    from daedalus.errors import NetworkBlockedError
    from daedalus.llm.actions import ActionType
    from daedalus.llm.router import Router

    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    router = Router.openrouter(
        api_key="sk-test-key", base_url="https://203.0.113.9/api/v1", model="deepseek/deepseek-chat",
        http_async_client=httpx.AsyncClient(), sleep=sleep,
    )
    with pytest.raises(NetworkBlockedError):
        asyncio.run(router.acomplete(node="n", action=ActionType.GENERAL, messages=[HumanMessage("hi")]))
    assert waits == []

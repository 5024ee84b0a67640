"""What the router does for one call: cache, fallback chain, retries, re-asks, ledger (M18)."""

from __future__ import annotations

import asyncio
import random
import threading
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.rate_limiters import BaseRateLimiter
from langchain_core.runnables import Runnable
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from daedalus.errors import (
    BudgetExceededError,
    ModelOutputError,
    ModelRequestError,
    ModelUnavailableError,
    OutOfCreditError,
)
from daedalus.llm._money import sum_dollars
from daedalus.llm._retry import (
    FailureKind,
    RetryPolicy,
    blocked_by_guard,
    classify,
    describe,
    status_of,
)
from daedalus.llm._routed import RoutedModel, Usage
from daedalus.llm._structured import (
    InvalidOutput,
    bind_structured,
    parse_arguments,
    parse_json_text,
    parse_structured,
    parse_text,
    prepare_messages,
    reask_messages,
)
from daedalus.llm.actions import ActionType
from daedalus.llm.budget import BudgetGuard, prompt_tokens_upper_bound
from daedalus.llm.cache import CachedAnswer, ResponseCache, cache_key
from daedalus.llm.ledger import CallRecord, Ledger
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import StructuredOutputMethod

__all__ = ["ModelAsker"]

_log = structlog.get_logger("daedalus.llm")

_REQUIRE_PARAMETERS = {"provider": {"require_parameters": True}}
_Bound = Runnable[LanguageModelInput, BaseMessage]
_BOUND_LIMIT = 1024
"""Bound runnables kept per router; past it the cache starts afresh."""


@dataclass(frozen=True)
class _Call:
    """What a node asked for."""

    node: str
    action: ActionType
    messages: Sequence[BaseMessage]
    params: SamplingParams
    schema: type[BaseModel] | None


class ModelAsker:
    """The call pipeline behind ``Router``; one per router."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        budget: BudgetGuard,
        cache: ResponseCache,
        seed: int,
        concurrency: int,
        rate_limiter: BaseRateLimiter | None,
        policy: RetryPolicy,
        max_reasks: int,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        secrets: tuple[str, ...],
        call_slots: asyncio.Semaphore | None = None,
    ) -> None:
        self.ledger, self.budget, self.cache = ledger, budget, cache
        self._call_slots = call_slots
        self.seed, self.concurrency, self.policy = seed, concurrency, policy
        self.max_reasks = max_reasks
        self._rate_limiter = rate_limiter
        self._clock, self._sleep, self._secrets = clock, sleep, secrets
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        # (model, profile, bound runnable) by _bind's key; the first two guard against id reuse
        self._bound: dict[tuple[Any, ...], tuple[Any, Any, _Bound]] = {}
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()

    async def ask(
        self,
        *,
        node: str,
        action: ActionType,
        chain: Sequence[RoutedModel],
        messages: Sequence[BaseMessage],
        params: SamplingParams,
        schema: type[BaseModel] | None,
    ) -> Any:
        """The validated answer (text, or a ``schema`` instance) from the cache or the chain."""
        call = _Call(node, action, messages, params, schema)
        head = chain[0]
        key = cache_key(
            model=head.model_id,
            messages=messages,
            params=params,
            schema=schema,
            method=head.structured_output if schema is not None else None,
            seed=self.seed,
        )
        hit = self._from_cache(key, node, action, chain, schema)
        if hit is not None:
            return hit
        failures: list[tuple[str, BaseException]] = []
        for routed in chain:
            try:
                value = await self._ask_model(routed, call, key)
            except InvalidOutput as exc:
                failures.append((routed.model_id, exc))
                continue
            except BudgetExceededError:
                raise
            except Exception as exc:
                blocked = blocked_by_guard(exc)
                if blocked is not None:
                    raise blocked from None
                kind = classify(exc)
                if kind is FailureKind.OUT_OF_CREDIT:
                    raise OutOfCreditError(
                        f"the provider account is out of credit (HTTP 402) at {routed.model_id} "
                        f"for node {node!r}; add credit, then resume the run"
                    ) from None
                if kind is FailureKind.REQUEST:
                    raise ModelRequestError(
                        f"{routed.model_id} rejected the request for node {node!r} "
                        f"({self._describe(exc)}); check the request and the API key"
                    ) from None
                if kind is FailureKind.UNKNOWN:
                    raise
                failures.append((routed.model_id, exc))
                continue
            return value
        raise self._exhausted(node, action, schema, failures)

    def _from_cache(
        self,
        key: str,
        node: str,
        action: ActionType,
        chain: Sequence[RoutedModel],
        schema: type[BaseModel] | None,
    ) -> Any:
        answer = self.cache.get(key)
        if answer is None:
            return None
        try:
            if schema is None:
                value: Any = answer.text
            elif answer.tool_args is not None:
                value = parse_arguments(answer.tool_args, schema)
            else:
                value = parse_json_text(answer.text, schema)
        except InvalidOutput as exc:
            _log.warning("cached answer ignored", model=answer.model, reason=exc.reason)
            return None
        offline = any(r.offline for r in chain if r.model_id == answer.model)
        selected = any(r.selected for r in chain if r.model_id == answer.model)
        record = CallRecord(
            node=node,
            action=action,
            model=answer.model,
            cache_hit=True,
            offline=offline,
            selected=selected,
        )
        self.ledger.append(record)
        return value

    async def _ask_model(self, routed: RoutedModel, call: _Call, key: str) -> Any:
        usage = Usage()
        started = self._clock()
        error: str | None = None
        try:
            value, answer = await self._attempts(routed, usage, call)
            # Cached before it is booked in the ledger: a process killed in between never
            # leaves a billed answer that a resume would have to buy again. The write (a
            # SQLite commit) runs on a worker thread, awaited, so the loop serves other calls.
            await asyncio.to_thread(self.cache.put, key, answer)
            return value
        except BaseException as exc:
            error = _error_name(exc)
            if _moves_on(exc):  # errors that end the run are the run's one-line error instead
                _log.warning(
                    "model failed", model=routed.model_id, node=call.node,
                    error=self._describe(exc),
                )
            raise
        finally:
            if usage.requests:
                self.ledger.append(
                    CallRecord(
                        node=call.node,
                        action=call.action,
                        model=routed.model_id,
                        prompt_tokens=usage.prompt_tokens,
                        completion_tokens=usage.completion_tokens,
                        cost_usd=sum_dollars(usage.costs),
                        cost_estimated=usage.estimated,
                        latency_s=max(self._clock() - started, 0.0),
                        retries=usage.requests - 1,
                        offline=usage.offline,
                        selected=routed.selected,
                        error=error,
                    )
                )
            # Settled only now: a kill before this line leaves the request counted twice
            # (its worst case and its cost), never not at all.
            for request_id in usage.answered:
                self.ledger.settle(request_id)

    async def _attempts(
        self, routed: RoutedModel, usage: Usage, call: _Call
    ) -> tuple[Any, CachedAnswer]:
        schema = call.schema
        method = routed.structured_output if schema is not None else None
        conversation = prepare_messages(call.messages, method, schema)
        runnable = self._bind(routed, call.params, schema)
        transport_failures = 0
        rejected_outputs = 0

        def stop(state: RetryCallState) -> bool:
            if isinstance(_outcome(state), InvalidOutput):
                return rejected_outputs > self.max_reasks
            return transport_failures > self.policy.max_retries

        def wait(state: RetryCallState) -> float:
            exc = _outcome(state)
            if isinstance(exc, InvalidOutput):
                return self.policy.wait_seconds(rejected_outputs, None, self._rng)
            return self.policy.wait_seconds(transport_failures, exc, self._rng)

        def before_sleep(state: RetryCallState) -> None:
            exc = _outcome(state)
            _log.info(
                "retrying model request",
                model=routed.model_id,
                node=call.node,
                error=self._describe(exc) if exc is not None else None,
                wait_s=round(state.upcoming_sleep, 3),
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop,
            wait=wait,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                try:
                    message = await self._send(routed, runnable, conversation, usage, call)
                except Exception as exc:
                    if classify(exc) is FailureKind.RETRY:
                        transport_failures += 1
                    raise
                try:
                    return self._accept(message, routed, usage, method, schema)
                except InvalidOutput as bad:
                    rejected_outputs += 1
                    conversation = reask_messages(conversation, message, method, schema, bad.reason)
                    raise
        raise AssertionError("tenacity ended without a result or an error")  # pragma: no cover

    def _accept(
        self,
        message: BaseMessage,
        routed: RoutedModel,
        usage: Usage,
        method: StructuredOutputMethod | None,
        schema: type[BaseModel] | None,
    ) -> tuple[Any, CachedAnswer]:
        usage_fields = {
            "model": routed.model_id,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": sum_dollars(usage.costs),
        }
        if schema is None or method is None:
            text = parse_text(message)
            return text, CachedAnswer(text=text, **usage_fields)
        value, raw, args = parse_structured(message, method, schema)
        return value, CachedAnswer(text=raw, tool_args=args, **usage_fields)

    async def _send(
        self,
        routed: RoutedModel,
        runnable: Runnable[LanguageModelInput, BaseMessage],
        conversation: list[BaseMessage],
        usage: Usage,
        call: _Call,
    ) -> BaseMessage:
        worst_case = self._worst_case(routed, conversation, call)
        metadata = {"daedalus_node": call.node, "daedalus_action": call.action.value}
        async with self._semaphore():
            if self._rate_limiter is not None:
                await self._rate_limiter.aacquire()
            # Reserved only once the request may go, so queued calls do not hold budget.
            reservation = self.budget.reserve(worst_case, model=routed.model_id)
            doubt = None if routed.offline else self._book_in_doubt(routed, call, worst_case)
            cost, answered = 0.0, False
            try:
                usage.requests += 1
                message = await runnable.ainvoke(conversation, config={"metadata": metadata})
                cost, answered = usage.add(message, routed), True
            except Exception as exc:
                answered = _answered(exc)
                raise
            finally:
                # Unanswered, it may still be billed: the budget keeps its worst case.
                self.budget.settle(reservation, cost if answered else (worst_case or 0.0))
                if doubt is not None and answered:
                    usage.answered.append(doubt)
        return message

    def _book_in_doubt(
        self, routed: RoutedModel, call: _Call, worst_case: float | None
    ) -> str:
        return self.ledger.doubt(
            CallRecord(
                node=call.node, action=call.action, model=routed.model_id,
                cost_usd=worst_case or 0.0, cost_estimated=True, selected=routed.selected,
            )
        )

    def _worst_case(
        self, routed: RoutedModel, conversation: Sequence[BaseMessage], call: _Call
    ) -> float | None:
        if routed.offline:
            return 0.0
        if routed.profile is None:
            return None
        prompt = prompt_tokens_upper_bound(conversation, call.schema)
        return routed.profile.worst_case_cost(prompt, call.params.max_tokens)

    def _bind(
        self, routed: RoutedModel, params: SamplingParams, schema: type[BaseModel] | None
    ) -> Runnable[LanguageModelInput, BaseMessage]:
        """The chat model bound to ``schema`` and ``params``, built once per combination.

        Binding walks the schema (tool or response-format JSON) and copies the model's
        runnable; the same (model, schema, parameters) always binds to the same thing.
        """
        model = routed.chat_model
        key = (
            id(model), id(routed.profile), routed.model_id, routed.structured_output,
            routed.openrouter, schema, params,
        )
        with self._lock:
            cached = self._bound.get(key)
        if cached is not None and cached[0] is model and cached[1] is routed.profile:
            return cached[2]
        bound = self._bind_anew(routed, params, schema)
        with self._lock:
            if len(self._bound) >= _BOUND_LIMIT:
                self._bound.clear()
            self._bound[key] = (model, routed.profile, bound)
        return bound

    def _bind_anew(
        self, routed: RoutedModel, params: SamplingParams, schema: type[BaseModel] | None
    ) -> Runnable[LanguageModelInput, BaseMessage]:
        model = routed.chat_model
        base: Runnable[LanguageModelInput, BaseMessage] = (
            model if schema is None else bind_structured(model, routed.structured_output, schema)
        )
        kwargs: dict[str, Any] = {**params.as_kwargs(), "seed": self.seed}
        if routed.openrouter and (schema is not None or _may_be_unsupported(routed, kwargs)):
            kwargs["extra_body"] = _REQUIRE_PARAMETERS
        return base.bind(**kwargs)

    def _semaphore(self) -> asyncio.Semaphore:
        if self._call_slots is not None:  # shared with other routers on the same loop (a batch)
            return self._call_slots
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = asyncio.Semaphore(self.concurrency)
                self._semaphores[loop] = semaphore
            return semaphore

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, InvalidOutput):
            return exc.reason
        return describe(exc, self._secrets)

    def _exhausted(
        self,
        node: str,
        action: ActionType,
        schema: type[BaseModel] | None,
        failures: list[tuple[str, BaseException]],
    ) -> Exception:
        tried = ", ".join(model for model, _ in failures)
        last_model, last = failures[-1]
        where = f"node {node!r} ({action.value})"
        if all(isinstance(exc, InvalidOutput) for _, exc in failures):
            wanted = "answer" if schema is None else f"{schema.__name__}"
            return ModelOutputError(
                f"no valid {wanted} for {where} after re-asks; tried {tried}; "
                f"last error from {last_model}: {self._describe(last)}"
            )
        return ModelUnavailableError(
            f"no model answered {where}; tried {tried}; "
            f"last error from {last_model}: {self._describe(last)}"
        )


def _may_be_unsupported(routed: RoutedModel, sent: dict[str, Any]) -> bool:
    supported = routed.profile.supported_parameters if routed.profile is not None else frozenset()
    return bool(supported) and any(name not in supported for name in sent)


def _outcome(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _answered(exc: Exception) -> bool:
    """True when a failed request got the provider's answer (an HTTP error status) or was
    never sent (no connection); a timeout or a connection lost mid-request is not."""
    if status_of(exc) is not None or blocked_by_guard(exc) is not None:
        return True
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _moves_on(exc: BaseException) -> bool:
    """True for a failure after which the router tries the next model of the chain."""
    if isinstance(exc, InvalidOutput):
        return True
    if not isinstance(exc, Exception) or isinstance(exc, BudgetExceededError):
        return False
    return classify(exc) in (FailureKind.RETRY, FailureKind.NEXT_MODEL)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, InvalidOutput) or classify(exc) is FailureKind.RETRY


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, InvalidOutput):
        return ModelOutputError.__name__
    if isinstance(exc, BudgetExceededError):
        return BudgetExceededError.__name__
    kind = classify(exc)
    names = {
        FailureKind.RETRY: ModelUnavailableError.__name__,
        FailureKind.NEXT_MODEL: ModelUnavailableError.__name__,
        FailureKind.REQUEST: ModelRequestError.__name__,
        FailureKind.OUT_OF_CREDIT: OutOfCreditError.__name__,
    }
    return names.get(kind, type(exc).__name__)

"""The model router (M18): the one object every node uses to reach a model.

A call names its node and action type. The router resolves the action to a fallback chain,
looks the request up in the response cache, and otherwise asks the chain's models in turn:
each request passes the budget guard, the concurrency limit and the rate limiter; transient
failures are retried with backoff; output that does not parse or validate is re-asked with the
reason quoted; every model asked gets a ledger row. Failures end in one typed error from
``daedalus.errors``: ``ModelRequestError`` (400/401/403, at once), ``OutOfCreditError`` (402,
at once, no fallback), ``BudgetExceededError`` (nothing sent), ``ModelOutputError`` or
``ModelUnavailableError`` (the chain is exhausted). The API key never appears in a log line,
a ledger row or an error message.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

import httpx
import structlog
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.rate_limiters import BaseRateLimiter, InMemoryRateLimiter
from pydantic import BaseModel, SecretStr

from daedalus.errors import ConfigError
from daedalus.llm._ask import ModelAsker
from daedalus.llm._http import LoopLocalAsyncClient
from daedalus.llm._retry import RetryPolicy
from daedalus.llm._routed import RoutedModel
from daedalus.llm._sync import LoopThread
from daedalus.llm.actions import ActionType
from daedalus.llm.budget import BudgetGuard
from daedalus.llm.cache import InMemoryResponseCache, ResponseCache
from daedalus.llm.ledger import Ledger
from daedalus.llm.openrouter import (
    DEFAULT_TIMEOUT_S,
    openrouter_chat_model,
    resolve_api_key,
    resolve_base_url,
)
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import ModelProfile, ModelRegistry, StructuredOutputMethod
from daedalus.llm.selection import PRESETS, Preference, fallback_chain

__all__ = ["ChainResolver", "RoutedModel", "Router"]

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

ChainResolver = Callable[[ActionType], Sequence[RoutedModel]]
"""Maps an action type to the models to try, best first."""

_log = structlog.get_logger("daedalus.llm")

_OPENROUTER_ONLY = (
    "api_key", "base_url", "registry", "http_client", "http_async_client", "timeout_s"
)


class Router:
    """Routes every model call of a run; see the module docstring for what a call goes through.

    Build one with ``Router.offline()``, ``Router.for_chat_model(model)``,
    ``Router.openrouter()`` or ``Router.from_env()``. Keyword options shared by all four:
    ``ledger``, ``budget``, ``cache``, ``seed`` (sent with every request and part of the cache
    key), ``concurrency`` (requests in flight per event loop, default 8), ``call_slots`` (an
    ``asyncio.Semaphore`` shared with other routers on one loop, replacing ``concurrency``:
    the runs of a batch share one limit),
    ``requests_per_second`` or ``rate_limiter``, ``max_retries`` (per model, default 3),
    ``max_reasks`` (per model, default 2), ``clock`` (monotonic seconds, for latency) and
    ``sleep`` (the async sleep used between retries).

    ``router.is_offline`` is ``True`` when its calls go to the offline model, so results can be
    labelled as such.
    """

    def __init__(
        self,
        chain: ChainResolver,
        *,
        is_offline: bool = False,
        ledger: Ledger | None = None,
        budget: BudgetGuard | None = None,
        cache: ResponseCache | None = None,
        seed: int = 0,
        concurrency: int = 8,
        requests_per_second: float | None = None,
        rate_limiter: BaseRateLimiter | None = None,
        max_retries: int = 3,
        max_reasks: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        secrets: Sequence[str] = (),
        call_slots: asyncio.Semaphore | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"router concurrency must be at least 1, got {concurrency}")
        if max_reasks < 0:
            raise ConfigError(f"router max_reasks must be >= 0, got {max_reasks}")
        if max_retries < 0:
            raise ConfigError(f"router max_retries must be >= 0, got {max_retries}")
        if requests_per_second is not None and rate_limiter is None:
            if requests_per_second <= 0:
                raise ConfigError(f"requests_per_second must be > 0, got {requests_per_second}")
            rate_limiter = InMemoryRateLimiter(
                requests_per_second=requests_per_second, check_every_n_seconds=0.01
            )
        self.ledger = ledger if ledger is not None else Ledger()
        self.budget = budget if budget is not None else BudgetGuard()
        self.cache: ResponseCache = cache if cache is not None else InMemoryResponseCache()
        self.seed = seed
        self.concurrency = concurrency
        self._is_offline = is_offline
        self._chain = chain
        self._runner = LoopThread()
        self._asker = ModelAsker(
            ledger=self.ledger,
            budget=self.budget,
            cache=self.cache,
            seed=seed,
            concurrency=concurrency,
            rate_limiter=rate_limiter,
            policy=RetryPolicy(max_retries=max_retries),
            max_reasks=max_reasks,
            clock=clock,
            sleep=sleep,
            secrets=tuple(s for s in secrets if s),
            call_slots=call_slots,
        )

    # -- calls ---------------------------------------------------------------------------

    async def acomplete(
        self,
        *,
        node: str,
        action: ActionType,
        messages: Sequence[BaseMessage],
        params: SamplingParams | None = None,
    ) -> str:
        """The text answer of the first model of the chain that gives a non-empty one."""
        answer = await self._asker.ask(
            node=node,
            action=ActionType(action),
            chain=self._resolve(action),
            messages=messages,
            params=params or SamplingParams(),
            schema=None,
        )
        return cast(str, answer)

    async def astructured(
        self,
        *,
        node: str,
        action: ActionType,
        schema: type[T],
        messages: Sequence[BaseMessage],
        params: SamplingParams | None = None,
    ) -> T:
        """An instance of ``schema`` validated from a model's answer (never default-filled)."""
        answer = await self._asker.ask(
            node=node,
            action=ActionType(action),
            chain=self._resolve(action),
            messages=messages,
            params=params or SamplingParams(),
            schema=schema,
        )
        return cast(T, answer)

    def complete(
        self,
        *,
        node: str,
        action: ActionType,
        messages: Sequence[BaseMessage],
        params: SamplingParams | None = None,
    ) -> str:
        """``acomplete`` for synchronous code (also safe inside a thread that runs a loop)."""
        return self._run(self.acomplete(node=node, action=action, messages=messages, params=params))

    def structured(
        self,
        *,
        node: str,
        action: ActionType,
        schema: type[T],
        messages: Sequence[BaseMessage],
        params: SamplingParams | None = None,
    ) -> T:
        """``astructured`` for synchronous code (also safe inside a thread that runs a loop)."""
        return self._run(
            self.astructured(
                node=node, action=action, schema=schema, messages=messages, params=params
            )
        )

    def chain_for(self, action: ActionType) -> list[str]:
        """The model ids the router would try for ``action``, in order."""
        return [routed.model_id for routed in self._resolve(action)]

    def close(self) -> None:
        """Stop the thread that serves sync calls (the router stays usable)."""
        self._runner.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, R]) -> R:
        return self._runner.run(coro)

    def _resolve(self, action: ActionType) -> list[RoutedModel]:
        chain = list(self._chain(ActionType(action)))
        if not chain:
            raise ConfigError(f"no model is configured for action {ActionType(action).value!r}")
        return chain

    # -- constructors --------------------------------------------------------------------

    @property
    def is_offline(self) -> bool:
        """True when this router's calls go to the offline model."""
        return self._is_offline

    @classmethod
    def offline(cls, *, seed: int = 0, latency: float = 0.0, **kw: Any) -> Router:
        """A router whose every call goes to ``OfflineChatModel(seed, latency)`` (id "offline").

        No registry, no network, no cost; ``seed`` also seeds the router (cache key, requests).
        """
        from daedalus.llm.offline import OfflineChatModel

        kw.pop("preference", None)  # one model: nothing to prefer
        routed = RoutedModel(
            model_id="offline",
            chat_model=OfflineChatModel(seed=seed, latency=latency),
            offline=True,
        )
        return cls(lambda _action: [routed], is_offline=True, seed=seed, **kw)

    @classmethod
    def for_chat_model(
        cls,
        model: BaseChatModel,
        *,
        model_id: str = "custom",
        structured_output: StructuredOutputMethod = StructuredOutputMethod.JSON_SCHEMA,
        profile: ModelProfile | None = None,
        **kw: Any,
    ) -> Router:
        """A router that sends every call to ``model`` (any LangChain chat model).

        Pass ``profile`` to give the model registry prices, so the budget can bound its
        calls and a response without a cost can be priced.
        """
        kw.pop("preference", None)
        routed = RoutedModel(
            model_id=model_id,
            chat_model=model,
            profile=profile,
            structured_output=structured_output,
        )
        secrets = [*kw.pop("secrets", ()), *_secrets_of(model)]
        return cls(lambda _action: [routed], secrets=secrets, **kw)

    @classmethod
    def openrouter(
        cls,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        registry: ModelRegistry | None = None,
        model: str | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        **kw: Any,
    ) -> Router:
        """A router over OpenRouter (or any OpenAI-compatible ``base_url``) with M18 routing.

        Each action gets ``fallback_chain`` from the registry (three models, licence-filtered,
        under ``preference``); ``model`` pins a first choice ahead of that chain. On a server
        other than OpenRouter, a pinned id the registry does not know is used alone.
        ``timeout_s`` bounds each request (a request that takes longer is retried).
        """
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise ConfigError(
                f"request timeout must be a positive number of seconds, got {timeout_s!r}"
            )
        url = resolve_base_url(base_url)
        on_openrouter = (urlparse(url).hostname or "").endswith("openrouter.ai")
        key = resolve_api_key(api_key, required=on_openrouter)
        reg = registry if registry is not None else ModelRegistry.default()
        preference = _preference(kw.pop("preference", None))
        if model is not None and on_openrouter:
            reg.get(model)  # an unknown id fails here, with close matches, not at the first call
        if http_async_client is None:  # one pool per event loop: runs may use many loops
            http_async_client = LoopLocalAsyncClient(timeout=timeout_s)
        lock = threading.Lock()
        clients: dict[str, BaseChatModel] = {}
        chains: dict[ActionType, list[RoutedModel]] = {}

        def client(model_id: str) -> BaseChatModel:
            with lock:
                if model_id not in clients:
                    clients[model_id] = openrouter_chat_model(
                        model_id,
                        api_key=key,
                        base_url=url,
                        http_client=http_client,
                        http_async_client=http_async_client,
                        timeout_s=timeout_s,
                    )
                return clients[model_id]

        def routed(profile: ModelProfile) -> RoutedModel:
            return RoutedModel(
                model_id=profile.id,
                chat_model=client(profile.id),
                profile=profile,
                structured_output=profile.structured_output,
                openrouter=on_openrouter,
                selected=True,
            )

        def chain(action: ActionType) -> list[RoutedModel]:
            if action not in chains:
                if model is not None and model not in reg and not on_openrouter:
                    found = [RoutedModel(model_id=model, chat_model=client(model))]
                else:
                    profiles = fallback_chain(action, reg, 3, preference, model)
                    found = [routed(p) for p in profiles]
                with lock:
                    chains[action] = found
            return chains[action]

        return cls(chain, secrets=(key.get_secret_value(),), **kw)

    @classmethod
    def from_env(cls, *, model: str | None = None, **kw: Any) -> Router:
        """OpenRouter when ``OPENROUTER_API_KEY`` is set, else the offline model.

        ``model="offline"`` always gives the offline model; naming a real model without a key
        is a ``ConfigError``.
        """
        has_key = bool(os.environ.get("OPENROUTER_API_KEY", "").strip())
        if model == "offline" or (model is None and not has_key):
            if not has_key and model is None:
                _log.info(
                    "offline model in use; set OPENROUTER_API_KEY to route calls to real models"
                )
            for name in _OPENROUTER_ONLY:
                kw.pop(name, None)
            return cls.offline(**kw)
        if not has_key:
            raise ConfigError(
                f"model {model!r} needs OPENROUTER_API_KEY; set it, or use model='offline'"
            )
        return cls.openrouter(model=model, **kw)


def _secrets_of(model: BaseChatModel) -> list[str]:
    # A chat model handed in may carry its own key; keep it out of messages and logs too.
    return [v.get_secret_value() for v in vars(model).values() if isinstance(v, SecretStr)]


def _preference(value: Preference | str | None) -> Preference:
    if value is None:
        return PRESETS["balanced"]
    if isinstance(value, Preference):
        return value
    try:
        return PRESETS[value]
    except KeyError:
        choices = ", ".join(sorted(PRESETS))
        raise ConfigError(f"preference must be one of {choices}, got {value!r}") from None

"""Builds the router a run uses from the user's choices (model, base URL, budget, ...)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from daedalus.kernel.strategy import BudgetMode
from daedalus.llm.budget import BudgetGuard
from daedalus.llm.cache import ResponseCache
from daedalus.llm.ledger import Ledger
from daedalus.llm.router import Router

__all__ = ["OFFLINE_NOTICE", "GuardFactory", "RouterChoice", "build_router", "model_label"]

GuardFactory = Callable[[float | None, BudgetMode, float], BudgetGuard]
"""Builds a run's budget guard from (cap, mode, dollars spent before): ``BudgetGuard`` itself,
or a guard that also answers to a cap shared with other runs (a batch's)."""

OFFLINE_NOTICE = (
    "Using the offline model (no key, no network). Set OPENROUTER_API_KEY to route each node "
    "to a real model, or pass --model ID to pin one."
)


@dataclass(frozen=True)
class RouterChoice:
    """A built router, the model label the run records, and a notice for the user (or None)."""

    router: Router
    label: str
    notice: str | None


def model_label(model: str | None, base_url: str | None) -> str:
    """What a run records as its model: ``offline``, a pinned id, or ``auto`` (M18 routing)."""
    has_key = bool(os.environ.get("OPENROUTER_API_KEY", "").strip())
    if model == "offline" or (model is None and not has_key and _server(base_url) is None):
        return "offline"
    return model or "auto"


def _server(base_url: str | None) -> str | None:
    """The OpenAI-compatible server asked for, by argument or ``OPENROUTER_BASE_URL``."""
    return base_url or os.environ.get("OPENROUTER_BASE_URL", "").strip() or None


def build_router(
    *,
    model: str | None,
    base_url: str | None,
    seed: int,
    budget_usd: float | None,
    budget_mode: str,
    concurrency: int,
    offline_latency: float,
    cache: ResponseCache,
    ledger: Ledger,
    spent_usd: float = 0.0,
    request_timeout: float | None = None,
    guard: GuardFactory | None = None,
    call_slots: asyncio.Semaphore | None = None,
) -> RouterChoice:
    """The router for a run.

    No key and no model: the offline model (with a notice saying how to switch). A base URL: any
    OpenAI-compatible server (Ollama, vLLM, OpenRouter itself). Otherwise OpenRouter with M18
    routing, or ``model`` pinned first in every fallback chain. ``spent_usd`` is what the run
    spent in earlier processes: the budget counts it. ``request_timeout`` bounds each request
    to a real model (seconds; default ``DEFAULT_TIMEOUT_S``). ``guard`` builds the budget guard
    (default ``BudgetGuard``); ``call_slots`` is a limit on calls in flight shared with other
    routers on the same event loop.
    """
    make_guard: GuardFactory = guard if guard is not None else _plain_guard
    budget = make_guard(budget_usd, BudgetMode(budget_mode), spent_usd)
    shared: dict[str, Any] = {
        "seed": seed, "concurrency": concurrency, "cache": cache, "ledger": ledger,
        "budget": budget, "call_slots": call_slots,
    }
    label = model_label(model, base_url)
    if label == "offline":
        notice = OFFLINE_NOTICE if model is None else None
        return RouterChoice(Router.offline(latency=offline_latency, **shared), label, notice)
    if request_timeout is not None:
        shared["timeout_s"] = request_timeout
    server = _server(base_url)
    if server is not None:
        router = Router.openrouter(base_url=server, model=model, **shared)
        return RouterChoice(router, label, None)
    return RouterChoice(Router.from_env(model=model, **shared), label, None)


def _plain_guard(limit_usd: float | None, mode: BudgetMode, spent_usd: float) -> BudgetGuard:
    return BudgetGuard(limit_usd, mode, spent_usd=spent_usd)

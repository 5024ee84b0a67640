"""Tests of runs; ``failing_after`` stands in for ``build_router`` to stop a run mid-way."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from daedalus.llm._routed import RoutedModel
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.router import Router
from daedalus.runs._router import RouterChoice
from daedalus.testing import ScriptedModel


def failing_after(answers: int) -> Callable[..., RouterChoice]:
    """A ``build_router`` stand-in: the offline model (same cache keys) until it has given
    ``answers`` answers, then a provider that times out on every request."""
    counter = itertools.count()

    def build(**options: Any) -> RouterChoice:
        offline = OfflineChatModel(seed=options["seed"])

        def answer(messages: list[Any], kwargs: dict[str, Any]) -> Any:
            if next(counter) >= answers:
                raise TimeoutError("the provider stopped answering")
            return offline.invoke(messages, **kwargs)

        routed = RoutedModel(
            model_id="offline", chat_model=ScriptedModel({}, default=answer), offline=True
        )

        async def no_wait(_seconds: float) -> None:
            return None

        router = Router(
            lambda _action: [routed], is_offline=True, seed=options["seed"],
            cache=options["cache"], ledger=options["ledger"], concurrency=options["concurrency"],
            max_retries=1, sleep=no_wait,
        )
        return RouterChoice(router, "offline", None)

    return build

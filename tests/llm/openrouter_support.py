"""A fake OpenRouter behind respx, and a router pointed at it, for the HTTP tests of the router."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import date
from typing import Any

import httpx
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from daedalus.llm.actions import ActionType, Capability
from daedalus.llm.openrouter import (
    DEFAULT_BASE_URL,
)
from daedalus.llm.registry import ModelProfile, ModelRegistry, StructuredOutputMethod
from daedalus.llm.router import Router

KEY = "sk-or-v1-TOPSECRET-0123456789abcdef"
URL = f"{DEFAULT_BASE_URL}/chat/completions"
ALL_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty", "seed"}
)


def profile(model_id: str, method: StructuredOutputMethod, **overrides: Any) -> ModelProfile:
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
        profile(
            "acme/alpha",
            StructuredOutputMethod.JSON_SCHEMA,
            relative_quality=0.9,
            relative_speed=0.3,
        ),
        profile(
            "acme/beta",
            StructuredOutputMethod.FUNCTION_CALLING,
            relative_quality=0.6,
            relative_speed=0.5,
        ),
        profile(  # the cheapest and fastest: second in every chain
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

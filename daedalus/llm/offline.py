"""The offline model (M18): the embedded default chat model when no API key is set.

``OfflineChatModel`` is a LangChain chat model that answers without a network. Its answers are
a pure function of (messages, call keyword arguments, seed): the same inputs give the same
answer in every process. Structured calls get a value that validates against the requested
JSON schema; every string in it is written from the prompt's own material (its sentences,
bullets, quotes, names, ids and dates), choices among enum values are weighted by how often
the prompt mentions them, and plain text calls get a paragraph relevant to the last human
message. PORTAL trials and judgements are answered by weighing the evidence sheet their prompt
holds (``daedalus.llm._portal_evidence``), so offline searches choose for stated reasons.
Token counts are estimated (see ``daedalus.llm._tokens``) and the cost is zero.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import Field

from daedalus.llm._compose import Writer
from daedalus.llm._dice import Dice
from daedalus.llm._material import gather_material
from daedalus.llm._portal_evidence import answer_from_evidence
from daedalus.llm._reading_writers import reading_answer
from daedalus.llm._request import (
    OutputKind,
    OutputRequest,
    ToolLike,
    canonical_json,
    openai_tools_binding,
    read_request,
    sampling_of,
)
from daedalus.llm._scenario_writers import scenario_answer
from daedalus.llm._scene_writers import scene_answer
from daedalus.llm._schema_fill import fill_schema
from daedalus.llm._tokens import (
    estimate_prompt_tokens,
    estimate_tokens,
    message_text,
    usage_metadata,
)
from daedalus.llm._tokens import response_metadata as usage_response_metadata

__all__ = ["OFFLINE_MODEL_NAME", "OfflineChatModel"]

OFFLINE_MODEL_NAME = "offline"
"""The model name the offline model reports, and the ``model=`` value that selects it."""

_FREE_FORM = {
    "type": "object",
    "properties": {"content": {"type": "string"}},
    "required": ["content"],
}


class OfflineChatModel(BaseChatModel):
    """A deterministic chat model that needs no network and no key.

    - ``seed``: answers for the same prompt differ between seeds; a per-call ``seed`` keyword
      argument overrides it, as providers honour a request seed.
    - ``latency``: seconds each call waits before answering (``time.sleep`` in sync calls,
      ``asyncio.sleep`` in async ones), to show concurrency; ``sleep`` and ``async_sleep`` can
      be replaced, for instance by a recorder in tests.

    Structured output follows OpenAI conventions: ``response_format`` json_schema (answer in
    ``content``), ``tools``/``tool_choice`` (answer as a tool call; ``bind_tools`` is
    supported, so is ``with_structured_output``) and JSON mode (schema read after a
    ``JSON schema:`` line; with none, the answer is an object with one ``content`` string).
    Sampling keyword arguments are echoed under ``response_metadata["sampling"]``.
    """

    seed: int = 0
    latency: float = Field(default=0.0, ge=0.0)
    model_name: str = OFFLINE_MODEL_NAME
    sleep: Callable[[float], None] = Field(default=time.sleep, exclude=True)
    async_sleep: Callable[[float], Awaitable[None]] = Field(default=asyncio.sleep, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "daedalus-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "seed": self.seed}

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """This model with OpenAI-format ``tools`` (and ``tool_choice``) bound to every call."""
        return openai_tools_binding(self, tools, tool_choice, kwargs)  # type: ignore[return-value]

    def answer(
        self, messages: Sequence[BaseMessage], stop: Sequence[str] | None = None, **kwargs: Any
    ) -> AIMessage:
        """The answer to ``messages`` for these call keyword arguments, without waiting.

        Text answers end before the first ``stop`` sequence, as providers cut them.
        """
        request = read_request(messages, kwargs)
        seed = self.seed if kwargs.get("seed") is None else kwargs["seed"]
        dice = Dice.from_parts("daedalus-offline-v1", str(seed), _prompt_key(messages, kwargs))
        writer = Writer(gather_material(messages, _field_names(kwargs)))
        extras = [canonical_json(kwargs[k]) for k in ("tools", "response_format") if k in kwargs]
        prompt_tokens = estimate_prompt_tokens(messages, extras)
        tool_calls: list[dict[str, Any]] = []
        finish = "stop"
        if request.kind is OutputKind.TEXT:
            content, cut = writer.paragraph(dice.child("text"), kwargs.get("max_tokens"))
            content, finish = _cut_at_stop(content, stop, "length" if cut else "stop")
        else:
            schema = _schema_of(request)
            name = _schema_name(request, kwargs)
            value = answer_from_evidence(name, schema, messages, dice.child("evidence"))
            if value is None:
                system, user = _text_of(messages, "system"), _text_of(messages, "human")
                value = scene_answer(schema, system, user, dice.child("scene"))
            if value is None:
                value = reading_answer(schema, user, dice.child("reading"))
            if value is None:
                value = scenario_answer(schema, user, dice.child("scenario"))
            if value is None:
                value = fill_schema(schema, writer, dice.child("value"))
            if request.kind is OutputKind.TOOL_CALL:
                assert request.tool is not None
                tool_calls.append(
                    {
                        "name": request.tool.name,
                        "args": value,
                        "id": f"call_{dice.key_hex[:24]}",
                        "type": "tool_call",
                    }
                )
                content, finish = "", "tool_calls"
            else:
                content = json.dumps(value, ensure_ascii=False)
        completion_tokens = estimate_tokens(content) + sum(
            estimate_tokens(call["name"]) + estimate_tokens(json.dumps(call["args"]))
            for call in tool_calls
        )
        metadata = usage_response_metadata(
            self.model_name,
            prompt_tokens,
            completion_tokens,
            finish_reason=finish,
            extra={"offline": True, "seed": seed, "sampling": sampling_of(kwargs)},
        )
        return AIMessage(
            content=content,
            tool_calls=tool_calls,
            usage_metadata=usage_metadata(prompt_tokens, completion_tokens),
            response_metadata=metadata,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.latency:
            self.sleep(self.latency)
        return _result(self.answer(messages, stop, **kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.latency:
            await self.async_sleep(self.latency)
        return _result(self.answer(messages, stop, **kwargs))


def _text_of(messages: Sequence[BaseMessage], kind: str) -> str:
    """The text of the last message of ``kind`` (``system`` or ``human``), or empty."""
    return next((message_text(m) for m in reversed(messages) if m.type == kind), "")


def _schema_of(request: OutputRequest) -> dict[str, Any]:
    return request.schema if request.schema is not None else _FREE_FORM


def _schema_name(request: OutputRequest, kwargs: dict[str, Any]) -> str | None:
    """The name a structured call gives its schema: the tool's, the json_schema's, or the
    schema's title."""
    if request.tool is not None:
        return request.tool.name
    response_format = kwargs.get("response_format")
    if isinstance(response_format, dict):
        spec = response_format.get("json_schema")
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            return str(spec["name"])
    title = (request.schema or {}).get("title")
    return title if isinstance(title, str) else None


def _prompt_key(messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> str:
    """Canonical text of everything that shapes the answer; ``seed`` is keyed separately."""
    shown = [
        {
            "type": m.type,
            "text": message_text(m),
            "name": m.name,
            "tool_calls": getattr(m, "tool_calls", None) or [],
        }
        for m in messages
    ]
    return canonical_json(
        {"messages": shown, "kwargs": {k: v for k, v in kwargs.items() if k != "seed"}}
    )


def _cut_at_stop(text: str, stop: Sequence[str] | None, finish: str) -> tuple[str, str]:
    cut = min((i for i in (text.find(s) for s in stop or () if s) if i >= 0), default=-1)
    return (text, finish) if cut < 0 else (text[:cut], "stop")


def _result(message: AIMessage) -> ChatResult:
    token_usage = message.response_metadata["token_usage"]
    return ChatResult(
        generations=[ChatGeneration(message=message)],
        llm_output={
            "token_usage": token_usage,
            "model_name": message.response_metadata["model_name"],
        },
    )


def _field_names(kwargs: dict[str, Any]) -> frozenset[str]:
    """Every property name in the schemas a call offers (so lines explaining them are skipped)."""
    names: set[str] = set()
    pending: list[Any] = [kwargs.get("response_format"), kwargs.get("tools")]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            properties = item.get("properties")
            if isinstance(properties, dict):
                names.update(str(key).lower() for key in properties)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return frozenset(names)

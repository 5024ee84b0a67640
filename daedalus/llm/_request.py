"""What a chat call asks for, read from its keyword arguments, and how test models answer it.

The router asks for structured output in one of three OpenAI-style shapes:

- ``response_format={"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``
  (or a pydantic class): answer JSON text in ``content``;
- ``tools=[...]`` with ``tool_choice``: answer with a tool call;
- ``response_format={"type": "json_object"}`` (JSON mode): the schema is written in the
  system message after a line ``JSON schema:``; answer JSON text in ``content``.

Anything else is a plain text call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel

from daedalus.errors import ModelRequestError
from daedalus.llm._schemas import json_schema
from daedalus.llm._tokens import message_text

__all__ = [
    "SAMPLING_KEYS",
    "OutputKind",
    "OutputRequest",
    "RunManager",
    "ToolLike",
    "ToolSpec",
    "call_labels",
    "canonical_json",
    "openai_tools_binding",
    "read_request",
    "sampling_of",
    "schema_in_messages",
]

SAMPLING_KEYS = (
    "temperature",
    "top_p",
    "max_tokens",
    "frequency_penalty",
    "presence_penalty",
    "seed",
)
"""Sampling keyword arguments a call may carry; test models record them."""

_SCHEMA_LINE = re.compile(r"JSON schema:[ \t]*", re.IGNORECASE)
_CHOICE_WORDS = frozenset({"auto", "any", "required"})

RunManager = CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun
"""The callback manager a chat model receives; its ``metadata`` names node and action."""
ToolLike = Mapping[str, Any] | type | Callable[..., Any] | BaseTool
"""Anything ``convert_to_openai_tool`` accepts."""


class OutputKind(StrEnum):
    """The shape of answer a call asks for."""

    TEXT = "text"
    JSON_SCHEMA = "json_schema"
    JSON_MODE = "json_mode"
    TOOL_CALL = "tool_call"


@dataclass(frozen=True)
class ToolSpec:
    """One tool offered to the model, in OpenAI function terms."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class OutputRequest:
    """What one call asks for. ``schema`` is set for every structured kind it could be read
    for; ``tool`` is the tool to call for ``TOOL_CALL``."""

    kind: OutputKind
    schema: dict[str, Any] | None = None
    tool: ToolSpec | None = None


def call_labels(run_manager: RunManager | None) -> tuple[str | None, str | None]:
    """The ``(node, action)`` a call serves, from the ``daedalus_*`` config metadata."""
    metadata = (run_manager.metadata if run_manager is not None else None) or {}
    node = metadata.get("daedalus_node")
    action = metadata.get("daedalus_action")
    return (str(node) if node is not None else None, str(action) if action is not None else None)


def sampling_of(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The sampling parameters present in a call's keyword arguments."""
    return {key: kwargs[key] for key in SAMPLING_KEYS if kwargs.get(key) is not None}


def canonical_json(value: Any) -> str:
    """Key-sorted JSON of ``value``; pydantic classes become their schema, other objects their
    type name, so the text never depends on memory addresses."""

    def fallback(item: Any) -> Any:
        if isinstance(item, type) and issubclass(item, BaseModel):
            return json_schema(item)
        if isinstance(item, BaseModel):
            return item.model_dump(mode="json")
        return f"<{type(item).__qualname__}>"

    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=fallback)


def openai_tools_binding(
    model: Runnable[LanguageModelInput, BaseMessage],
    tools: Sequence[ToolLike],
    tool_choice: str | dict[str, Any] | bool | None,
    kwargs: dict[str, Any],
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` bound to ``tools`` converted to OpenAI tool dicts, with ``tool_choice``."""
    formatted = [convert_to_openai_tool(tool) for tool in tools]
    if tool_choice is not None:
        kwargs = {**kwargs, "tool_choice": tool_choice}
    return model.bind(tools=formatted, **kwargs)


def read_request(messages: Sequence[BaseMessage], kwargs: Mapping[str, Any]) -> OutputRequest:
    """Classify a call by its keyword arguments (see the module docstring).

    Raises ModelRequestError for a request a real provider would reject: an unknown
    ``response_format`` type, or a ``tool_choice`` naming a tool that was not offered.
    """
    tools = [_tool_spec(tool) for tool in kwargs.get("tools") or ()]
    choice = kwargs.get("tool_choice")
    if tools and choice != "none" and choice is not False:
        tool = _chosen_tool(tools, choice, messages)
        return OutputRequest(OutputKind.TOOL_CALL, tool.parameters, tool)
    response_format = kwargs.get("response_format")
    if response_format is None:
        return OutputRequest(OutputKind.TEXT)
    if isinstance(response_format, type) and issubclass(response_format, BaseModel):
        return OutputRequest(OutputKind.JSON_SCHEMA, json_schema(response_format))
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind == "json_schema":
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, Mapping) else None
            if not isinstance(schema, Mapping):
                raise ModelRequestError("response_format json_schema has no 'schema' object")
            return OutputRequest(OutputKind.JSON_SCHEMA, dict(schema))
        if kind == "json_object":
            return OutputRequest(OutputKind.JSON_MODE, schema_in_messages(messages))
        if kind == "text":
            return OutputRequest(OutputKind.TEXT)
    raise ModelRequestError(
        f"unsupported response_format {response_format!r}; expected type json_schema, "
        "json_object or text"
    )


def schema_in_messages(messages: Sequence[BaseMessage]) -> dict[str, Any] | None:
    """The JSON schema written after a ``JSON schema:`` line, system messages first."""
    ordered: list[BaseMessage] = [m for m in messages if isinstance(m, SystemMessage)]
    ordered += [m for m in messages if not isinstance(m, SystemMessage)]
    decoder = json.JSONDecoder()
    for message in ordered:
        text = message_text(message)
        for match in _SCHEMA_LINE.finditer(text):
            start = len(text) - len(text[match.end() :].lstrip())
            try:
                value, _ = decoder.raw_decode(text, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _tool_spec(tool: Any) -> ToolSpec:
    function = convert_to_openai_tool(tool)["function"]
    return ToolSpec(
        name=str(function["name"]),
        description=str(function.get("description") or ""),
        parameters=dict(function.get("parameters") or {"type": "object", "properties": {}}),
    )


def _chosen_tool(
    tools: Sequence[ToolSpec], choice: Any, messages: Sequence[BaseMessage]
) -> ToolSpec:
    """The tool named by ``tool_choice``; for auto/any/required, the tool whose name and
    description share the most words with the prompt (the first one on a tie)."""
    name: str | None = None
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = str(function.get("name")) if isinstance(function, Mapping) else None
    elif isinstance(choice, str) and choice not in _CHOICE_WORDS:
        name = choice
    if name is not None:
        for tool in tools:
            if tool.name == name:
                return tool
        offered = ", ".join(tool.name for tool in tools)
        raise ModelRequestError(f"tool_choice names {name!r} but the tools offered are {offered}")
    if len(tools) == 1:
        return tools[0]
    prompt_words = _words(" ".join(message_text(m) for m in messages))
    scores = [len(_words(f"{t.name} {t.description}") & prompt_words) for t in tools]
    return tools[scores.index(max(scores))]


def _words(text: str) -> set[str]:
    return {word for word in re.split(r"[^a-z0-9]+", text.lower()) if len(word) > 2}

"""Asking a model for output that follows a pydantic schema, and checking what comes back (M18).

Three methods, chosen per model by the registry: a JSON-schema response format, a forced tool
call, or plain JSON mode with the schema written into the system message. Output is parsed and
validated strictly; anything that does not validate raises ``InvalidOutput`` with a one-line
reason the router quotes when it asks again. Nothing is ever filled in with defaults.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ValidationError

from daedalus.llm._schemas import json_schema
from daedalus.llm.registry import StructuredOutputMethod

__all__ = [
    "InvalidOutput",
    "bind_structured",
    "echo_answer",
    "openai_tool",
    "parse_arguments",
    "parse_json_text",
    "parse_structured",
    "parse_text",
    "prepare_messages",
    "reask_messages",
    "schema_name",
]

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"^```(?:json|JSON)?\s*(.*?)\s*```$", re.DOTALL)
_MAX_ERRORS = 6

_JSON_MODE_INSTRUCTION = (
    "Reply with one JSON object and nothing else; it must validate against the schema below."
    "\nJSON schema:\n{schema}"
)
_REASK_JSON = (
    "That answer cannot be used: {reason}. Reply again with only a JSON object that "
    "validates against the schema."
)
_REASK_TOOL = (
    "That answer cannot be used: {reason}. Call the tool `{name}` again with arguments that "
    "validate against its schema."
)
_REASK_TEXT = "That answer cannot be used: {reason}. Reply again with the answer text."


class InvalidOutput(Exception):
    """A model answer that did not parse or validate; ``reason`` is one line for the re-ask."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def schema_name(schema: type[BaseModel]) -> str:
    """The schema's class name as an OpenAI function/schema name (``[A-Za-z0-9_-]{1,64}``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", schema.__name__)[:64] or "answer"


def openai_tool(schema: type[BaseModel]) -> dict[str, Any]:
    """The schema as one OpenAI function tool."""
    doc = (schema.__doc__ or "").strip().splitlines()
    return {
        "type": "function",
        "function": {
            "name": schema_name(schema),
            "description": doc[0] if doc else f"Return a {schema.__name__}.",
            "parameters": json_schema(schema),
        },
    }


def bind_structured(
    model: BaseChatModel, method: StructuredOutputMethod, schema: type[BaseModel]
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` bound to answer in ``schema`` through ``method``."""
    if method is StructuredOutputMethod.FUNCTION_CALLING:
        tool = openai_tool(schema)
        try:
            return model.bind_tools([tool], tool_choice=schema_name(schema))
        except NotImplementedError:  # a chat model without bind_tools still accepts the kwargs
            forced = {"type": "function", "function": {"name": schema_name(schema)}}
            return model.bind(tools=[tool], tool_choice=forced)
    if method is StructuredOutputMethod.JSON_SCHEMA:
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": schema_name(schema),
                "schema": json_schema(schema),
                "strict": False,
            },
        }
        return model.bind(response_format=response_format)
    return model.bind(response_format={"type": "json_object"})


def prepare_messages(
    messages: Sequence[BaseMessage],
    method: StructuredOutputMethod | None,
    schema: type[BaseModel] | None,
) -> list[BaseMessage]:
    """The messages to send: in JSON mode the schema is added to the system message."""
    prepared = list(messages)
    if schema is None or method is not StructuredOutputMethod.JSON_MODE:
        return prepared
    instruction = _JSON_MODE_INSTRUCTION.format(
        schema=json.dumps(json_schema(schema), sort_keys=True)
    )
    if prepared and isinstance(prepared[0], SystemMessage) and isinstance(prepared[0].content, str):
        prepared[0] = SystemMessage(content=f"{prepared[0].content}\n\n{instruction}")
    else:
        prepared.insert(0, SystemMessage(content=instruction))
    return prepared


def parse_text(message: BaseMessage) -> str:
    """The answer text; an empty answer is invalid output."""
    text = str(message.text).strip()
    if not text:
        raise InvalidOutput("the answer was empty")
    return text


def parse_json_text(text: str, schema: type[T]) -> T:
    """``text`` (optionally inside a code fence) parsed as JSON and validated by ``schema``."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(
            f"the answer is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    return _validate(data, schema)


def parse_arguments(args: dict[str, Any], schema: type[T]) -> T:
    """Tool-call arguments validated by ``schema``."""
    return _validate(args, schema)


def parse_structured(
    message: BaseMessage, method: StructuredOutputMethod, schema: type[T]
) -> tuple[T, str, dict[str, Any] | None]:
    """The validated value plus what to cache: the raw text, or the tool arguments."""
    if method is StructuredOutputMethod.FUNCTION_CALLING:
        args = _tool_arguments(message, schema_name(schema))
        return parse_arguments(args, schema), "", args
    text = str(message.text)
    if not text.strip():
        raise InvalidOutput("the answer was empty")
    return parse_json_text(text, schema), text, None


def echo_answer(message: BaseMessage, method: StructuredOutputMethod | None) -> AIMessage:
    """The rejected answer as a plain assistant message, to show the model what it sent."""
    if method is StructuredOutputMethod.FUNCTION_CALLING and isinstance(message, AIMessage):
        if message.tool_calls:
            return AIMessage(content=json.dumps(message.tool_calls[0]["args"], sort_keys=True))
        if message.invalid_tool_calls:
            return AIMessage(content=str(message.invalid_tool_calls[0].get("args") or ""))
    return AIMessage(content=str(message.text))


def reask_messages(
    messages: Sequence[BaseMessage],
    rejected: BaseMessage,
    method: StructuredOutputMethod | None,
    schema: type[BaseModel] | None,
    reason: str,
) -> list[BaseMessage]:
    """The conversation extended with the rejected answer and a request quoting why."""
    if schema is None:
        note = _REASK_TEXT.format(reason=reason)
    elif method is StructuredOutputMethod.FUNCTION_CALLING:
        note = _REASK_TOOL.format(reason=reason, name=schema_name(schema))
    else:
        note = _REASK_JSON.format(reason=reason)
    return [*messages, echo_answer(rejected, method), HumanMessage(content=note)]


def _tool_arguments(message: BaseMessage, name: str) -> dict[str, Any]:
    if not isinstance(message, AIMessage):
        raise InvalidOutput(f"expected a call to tool `{name}`, got a {message.type} message")
    if message.tool_calls:
        call = message.tool_calls[0]
        if call["name"] != name:
            raise InvalidOutput(f"called tool `{call['name']}` instead of `{name}`")
        return dict(call["args"])
    if message.invalid_tool_calls:
        raise InvalidOutput(f"the arguments of the call to `{name}` are not valid JSON")
    raise InvalidOutput(f"the answer did not call the tool `{name}`")


def _validate(data: object, schema: type[T]) -> T:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or 'the object'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:_MAX_ERRORS]
        ]
        more = exc.error_count() - len(problems)
        suffix = f" (and {more} more)" if more > 0 else ""
        raise InvalidOutput(
            f"it does not match the {schema.__name__} schema: {'; '.join(problems)}{suffix}"
        ) from None

"""``ScriptedModel``: a chat model that answers from a script, for unit-testing nodes.

    model = ScriptedModel({
        "steering": [{"next_speaker": "ada", "beat": "Ada objects."}],
        "character": ["I will not sign.", TimeoutError],
    })

Keys are node names or action values (the router passes both in the call's config metadata;
a node name wins over an action value); a plain sequence answers every call in order. Each
call consumes the next answer of its key. An answer is:

- a ``str``: text, or raw JSON content (a JSON object becomes the tool call's arguments when
  the call asked for a tool call);
- a ``dict`` or pydantic instance: JSON content, or a tool call when the call offered tools;
- an ``AIMessage``: returned as it is (usage is added when it has none);
- a callable ``(messages, kwargs) -> answer``: called, and its result used as above;
- an exception instance or class: raised, to test retries and fallbacks.

Every call is recorded as a ``ScriptedCall`` in ``calls``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import BaseModel, PrivateAttr

from daedalus.errors import ConfigError
from daedalus.llm._request import (
    OutputKind,
    OutputRequest,
    RunManager,
    ToolLike,
    call_labels,
    canonical_json,
    openai_tools_binding,
    read_request,
)
from daedalus.llm._tokens import (
    estimate_prompt_tokens,
    estimate_tokens,
    message_text,
    response_metadata,
    usage_metadata,
)

__all__ = ["Answer", "ScriptedCall", "ScriptedModel"]

Answer: TypeAlias = (
    str
    | Mapping[str, Any]
    | BaseModel
    | AIMessage
    | BaseException
    | type[BaseException]
    | Callable[[list[BaseMessage], dict[str, Any]], Any]
)
"""One scripted answer (see the module docstring for what each kind does)."""

_EVERY_CALL = "*"


@dataclass(frozen=True)
class ScriptedCall:
    """One call the model received: who made it, what it saw, and its keyword arguments."""

    node: str | None
    action: str | None
    messages: tuple[BaseMessage, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The text of every message, in order, separated by blank lines."""
        return "\n\n".join(message_text(message) for message in self.messages)


class ScriptedModel(BaseChatModel):
    """A chat model whose answers come from a script, per node or action.

    Running out of answers for a key raises ``ConfigError`` naming the key, unless
    ``cycle=True`` (the last answer repeats). Calls whose key has no script get ``default``;
    with no default they raise ``ConfigError`` too. Usage is reported like the offline
    model's: estimated tokens, zero cost.
    """

    cycle: bool = False
    model_name: str = "scripted"

    _script: dict[str, list[Any]] = PrivateAttr(default_factory=dict)
    _default: Any = PrivateAttr(default=None)
    _positions: dict[str, int] = PrivateAttr(default_factory=dict)
    _calls: list[ScriptedCall] = PrivateAttr(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(
        self,
        script: Mapping[str, Sequence[Answer]] | Sequence[Answer] = (),
        default: Answer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(script, str | bytes):
            raise ConfigError("ScriptedModel script must be a mapping or a list of answers")
        if isinstance(script, Mapping):
            for key, answers in script.items():
                if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
                    raise ConfigError(
                        f"ScriptedModel script[{key!r}] must be a list of answers, "
                        f"got {type(answers).__name__}"
                    )
            self._script = {str(key): list(answers) for key, answers in script.items()}
        elif script:
            self._script = {_EVERY_CALL: list(script)}
        self._default = default

    @property
    def _llm_type(self) -> str:
        return "daedalus-scripted"

    @property
    def calls(self) -> list[ScriptedCall]:
        """Every call received so far, in order."""
        return list(self._calls)

    @property
    def remaining(self) -> dict[str, int]:
        """How many scripted answers each key has not used yet."""
        with self._lock:
            return {
                key: max(0, len(answers) - self._positions.get(key, 0))
                for key, answers in self._script.items()
            }

    def calls_for(self, key: str) -> list[ScriptedCall]:
        """The calls made by node ``key`` (or, for an action value, by that action)."""
        return [call for call in self._calls if key in (call.node, call.action)]

    def prompts_for(self, key: str) -> list[str]:
        """The prompt text of each call made by node (or action) ``key``."""
        return [call.prompt for call in self.calls_for(key)]

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """This model with OpenAI-format ``tools`` (and ``tool_choice``) bound to every call."""
        return openai_tools_binding(self, tools, tool_choice, kwargs)  # type: ignore[return-value]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._answer(messages, run_manager, kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._answer(messages, run_manager, kwargs)

    def _answer(
        self, messages: list[BaseMessage], run_manager: RunManager | None, kwargs: dict[str, Any]
    ) -> ChatResult:
        node, action = call_labels(run_manager)
        with self._lock:
            self._calls.append(ScriptedCall(node, action, tuple(messages), dict(kwargs)))
            number = len(self._calls)
            key, answer = self._next(node, action)
        if callable(answer) and not isinstance(answer, type | BaseModel | AIMessage):
            answer = answer(list(messages), dict(kwargs))
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, type) and issubclass(answer, BaseException):
            raise _instantiate(answer, key)
        message = _shape(answer, read_request(messages, kwargs), number)
        message = self._with_usage(message, kwargs, messages)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _next(self, node: str | None, action: str | None) -> tuple[str, Any]:
        for key in (node, action, _EVERY_CALL):
            if key is not None and key in self._script:
                answers = self._script[key]
                position = self._positions.get(key, 0)
                if position >= len(answers):
                    if self.cycle and answers:
                        return key, answers[-1]
                    raise ConfigError(
                        f"ScriptedModel ran out of answers for {_label(key)} after "
                        f"{len(answers)}; add answers to the script or pass cycle=True"
                    )
                self._positions[key] = position + 1
                return key, answers[position]
        if self._default is not None:
            return node or action or _EVERY_CALL, self._default
        keys = ", ".join(repr(k) for k in self._script) or "none"
        raise ConfigError(
            f"ScriptedModel has no answer for node {node!r} (action {action!r}); "
            f"script keys: {keys}; add one or pass default="
        )

    def _with_usage(
        self, message: AIMessage, kwargs: dict[str, Any], messages: list[BaseMessage]
    ) -> AIMessage:
        if message.usage_metadata is not None:
            return message
        extras = [canonical_json(kwargs[k]) for k in ("tools", "response_format") if k in kwargs]
        prompt_tokens = estimate_prompt_tokens(messages, extras)
        completion_tokens = estimate_tokens(message_text(message)) + sum(
            estimate_tokens(canonical_json(call["args"])) for call in message.tool_calls
        )
        finish = "tool_calls" if message.tool_calls else "stop"
        metadata = response_metadata(
            self.model_name,
            prompt_tokens,
            completion_tokens,
            finish_reason=finish,
            extra={"scripted": True},
        )
        return message.model_copy(
            update={
                "usage_metadata": usage_metadata(prompt_tokens, completion_tokens),
                "response_metadata": {**metadata, **message.response_metadata},
            }
        )


def _shape(answer: Any, request: OutputRequest, number: int) -> AIMessage:
    """The answer as the message a provider would return for this request."""
    if isinstance(answer, AIMessage):
        return answer
    if isinstance(answer, BaseModel):
        answer = answer.model_dump(mode="json")
    if isinstance(answer, str):
        if request.kind is OutputKind.TOOL_CALL:
            try:
                parsed = json.loads(answer)
            except json.JSONDecodeError:
                return AIMessage(content=answer)
            if isinstance(parsed, dict):
                answer = parsed
            else:
                return AIMessage(content=answer)
        else:
            return AIMessage(content=answer)
    if isinstance(answer, Mapping):
        if request.kind is OutputKind.TOOL_CALL and request.tool is not None:
            call = {"name": request.tool.name, "args": dict(answer), "id": f"call_{number}"}
            return AIMessage(content="", tool_calls=[{**call, "type": "tool_call"}])
        return AIMessage(content=json.dumps(answer, ensure_ascii=False, default=str))
    raise ConfigError(
        f"ScriptedModel answer of type {type(answer).__name__} is not a str, dict, pydantic "
        "model, AIMessage, callable or exception"
    )


def _instantiate(error: type[BaseException], key: str) -> BaseException:
    try:
        return error(f"scripted {error.__name__} for {_label(key)}")
    except TypeError:
        raise ConfigError(
            f"ScriptedModel cannot build {error.__name__} without arguments; script an "
            "instance instead"
        ) from None


def _label(key: str) -> str:
    return "every call" if key == _EVERY_CALL else repr(key)

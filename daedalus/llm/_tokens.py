"""Token estimates and usage reports for models that have no tokenizer (offline, scripted).

The heuristic, close to what BPE tokenizers do on English prose:

- a run of letters counts ``round(len / 4)`` tokens, at least one (``"the"`` is 1,
  ``"simulation"`` 2, ``"interoperability"`` 4): about four characters per token, with the
  word boundary always starting a new token;
- a run of digits counts one token per three digits (tokenizers split numbers in threes);
- every other visible character (punctuation, symbols) counts one token;
- each chat message adds 3 tokens of framing and every prompt 3 more for the reply header,
  as OpenAI's chat format does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, UsageMetadata

__all__ = [
    "estimate_prompt_tokens",
    "estimate_tokens",
    "message_text",
    "response_metadata",
    "usage_metadata",
]

_PIECES = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_")
_MESSAGE_FRAMING = 3
_REPLY_HEADER = 3


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text`` (see the module docstring for the rule)."""
    total = 0
    for piece in _PIECES.findall(text):
        if piece[0].isdigit():
            total += math.ceil(len(piece) / 3)
        elif piece[0].isalpha():
            total += max(1, round(len(piece) / 4))
        else:
            total += 1
    return total


def message_text(message: BaseMessage) -> str:
    """The text of a message: its string content, or the text blocks of a list content."""
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts)


def estimate_prompt_tokens(messages: Sequence[BaseMessage], extras: Iterable[str] = ()) -> int:
    """Estimated prompt tokens: every message with its framing, plus ``extras`` such as the
    serialized tools or response schema (providers bill those as prompt too)."""
    total = _REPLY_HEADER
    for message in messages:
        total += _MESSAGE_FRAMING + estimate_tokens(message_text(message))
        for call in getattr(message, "tool_calls", None) or ():
            total += estimate_tokens(str(call.get("name", ""))) + estimate_tokens(
                str(call.get("args", ""))
            )
    return total + sum(estimate_tokens(extra) for extra in extras)


def usage_metadata(prompt_tokens: int, completion_tokens: int) -> UsageMetadata:
    """LangChain usage metadata for one call."""
    return UsageMetadata(
        input_tokens=prompt_tokens,
        output_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


def response_metadata(
    model_name: str,
    prompt_tokens: int,
    completion_tokens: int,
    *,
    finish_reason: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """OpenAI-shaped response metadata with a zero cost, as the ledger reads it."""
    metadata: dict[str, Any] = {
        "model_name": model_name,
        "finish_reason": finish_reason,
        "token_usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "cost": 0.0,
        },
    }
    metadata.update(extra or {})
    return metadata

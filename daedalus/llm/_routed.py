"""What the router knows of each model it may ask, and what one call to it consumed (M18)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeGuard

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage

from daedalus.llm.registry import ModelProfile, StructuredOutputMethod

__all__ = ["RoutedModel", "Usage", "is_amount", "tokens_of"]


@dataclass(frozen=True)
class RoutedModel:
    """One model of a fallback chain: the chat model to call and what the router knows of it.

    ``profile`` (registry prices and supported parameters) may be ``None`` for a model handed
    in directly. ``openrouter`` adds OpenRouter's provider options to requests; ``offline``
    marks a model that never bills.
    """

    model_id: str
    chat_model: BaseChatModel
    profile: ModelProfile | None = None
    structured_output: StructuredOutputMethod = StructuredOutputMethod.JSON_SCHEMA
    openrouter: bool = False
    offline: bool = False
    selected: bool = False
    """True when M18 selection over the registry put this model in the chain."""


@dataclass
class Usage:
    """What one model consumed during one call, summed over its requests."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    costs: list[float] = field(default_factory=list)
    estimated: bool = False
    offline: bool = False
    answered: list[str] = field(default_factory=list)
    """Ids of requests booked in doubt whose answer arrived, settled once their row is booked."""

    def add(self, message: BaseMessage, routed: RoutedModel) -> float:
        """Count one response; return the dollars it cost."""
        prompt, completion = tokens_of(message)
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        metadata = message.response_metadata or {}
        self.offline = self.offline or routed.offline or metadata.get("offline") is True
        reported = (metadata.get("token_usage") or {}).get("cost")
        if is_amount(reported):
            cost = float(reported)
        else:
            self.estimated = True
            profile = routed.profile
            cost = (
                0.0
                if profile is None
                else (prompt * profile.prompt_price + completion * profile.completion_price)
            )
        self.costs.append(cost)
        return cost


def tokens_of(message: BaseMessage) -> tuple[int, int]:
    """Prompt and completion tokens of a response (usage metadata, else OpenAI token usage)."""
    usage = message.usage_metadata if isinstance(message, AIMessage) else None
    if usage:
        return int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    token_usage = (message.response_metadata or {}).get("token_usage") or {}
    prompt = int(token_usage.get("prompt_tokens") or 0)
    return prompt, int(token_usage.get("completion_tokens") or 0)


def is_amount(value: object) -> TypeGuard[float]:
    """True for a finite, non-negative number of dollars."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )

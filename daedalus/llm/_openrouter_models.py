"""The parts of OpenRouter's ``GET /models`` answer that the registry refresh reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["OpenRouterModel", "index_models", "read_listing"]


class _Pricing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    prompt: float = Field(ge=0.0, description="Dollars per prompt token, sent as a string")
    completion: float = Field(ge=0.0, description="Dollars per completion token")


class _TopProvider(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    max_completion_tokens: int | None = Field(default=None, gt=0)


class OpenRouterModel(BaseModel):
    """One entry of ``data[]``: id, context, output cap, prices and supported parameters."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    context_length: int | None = Field(default=None, gt=0)
    pricing: _Pricing
    top_provider: _TopProvider | None = None
    supported_parameters: frozenset[str] | None = None

    @property
    def prompt_price(self) -> float:
        return self.pricing.prompt

    @property
    def completion_price(self) -> float:
        return self.pricing.completion

    @property
    def max_completion_tokens(self) -> int | None:
        return None if self.top_provider is None else self.top_provider.max_completion_tokens


def index_models(payload: Any) -> dict[str, Mapping[str, Any]]:
    """The raw entries of a ``{"data": [...]}`` answer by id; ``ValueError`` on another shape."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise ValueError("expected an object with a 'data' list")
    indexed: dict[str, Mapping[str, Any]] = {}
    for entry in payload["data"]:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            indexed.setdefault(entry["id"], entry)
    return indexed


def read_listing(entry: Mapping[str, Any]) -> OpenRouterModel:
    """Validate one raw entry; ``ValueError`` with a one-line reason naming the bad field."""
    try:
        return OpenRouterModel.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "entry"
        message = first.get("msg", "invalid")
        raise ValueError(f"{where}: {message}, got {first.get('input')!r}") from None

"""Sampling parameters sent with every model call."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SamplingParams"]


class SamplingParams(BaseModel):
    """What a node asks of the sampler. ``None`` leaves a parameter to the provider default.

    Every field that is set is sent; the router never drops one silently.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)

    def as_kwargs(self) -> dict[str, Any]:
        """The parameters that are set, as keyword arguments for a chat model call."""
        return self.model_dump(exclude_none=True)

"""The model registry (M18): what each model costs, holds and can do.

``profiles/models.yaml`` ships the defaults; users add or override models in their own YAML.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from daedalus.llm.actions import Capability

__all__ = ["ModelProfile", "StructuredOutputMethod"]


class StructuredOutputMethod(StrEnum):
    """How a model is asked for output that follows a schema."""

    JSON_SCHEMA = "json_schema"
    FUNCTION_CALLING = "function_calling"
    JSON_MODE = "json_mode"


class ModelProfile(BaseModel):
    """One registered model. Prices are US dollars per token, as of ``prices_as_of``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="OpenRouter id: meta-llama/llama-3.1-70b-instruct")
    name: str = Field(min_length=1)
    context_length: int = Field(gt=0)
    max_output: int = Field(gt=0)
    prompt_price: float = Field(ge=0.0)
    completion_price: float = Field(ge=0.0)
    prices_as_of: date
    capabilities: frozenset[Capability] = frozenset()
    licence: str = Field(min_length=1)
    synthetic_data_ok: bool
    structured_output: StructuredOutputMethod = StructuredOutputMethod.JSON_SCHEMA
    relative_quality: float = Field(default=0.5, ge=0.0, le=1.0)
    relative_speed: float = Field(default=0.5, ge=0.0, le=1.0)
    supported_parameters: frozenset[str] = frozenset()

    def worst_case_cost(self, prompt_tokens: int, max_tokens: int | None) -> float:
        """Dollars a call can cost at most: the prompt plus a completion of ``max_tokens``."""
        completion = self.max_output if max_tokens is None else min(max_tokens, self.max_output)
        return prompt_tokens * self.prompt_price + completion * self.completion_price

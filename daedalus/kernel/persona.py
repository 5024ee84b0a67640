"""Persona sampling parameters (M6, M11): each speaker's voice comes from its own state.

The character agent writes one turn per call, and every call samples with parameters derived
from the speaker's cognitive state and TTM tensor, so four characters sound like four people.

How each value is derived (axes are ``BEHAVIOR_AXES`` of the tensor, clamped to [0, 1]):

- temperature: rises linearly with arousal, nudged by the variability axis (+/-0.15).
- ADPRS phi: low activation pulls temperature towards 0.2 and shortens turns (factor 0.4..1).
- top_p: narrows with focus (focus 1 keeps the top 70% of the mass, focus 0 keeps all of it).
- max_tokens: base x energy ratio (0.3..1) x body (fatigue halves at most) x extraversion
  (0.75..1.25), clamped to [32, cap]: tired, withdrawn people say less.
- frequency_penalty: grows with variability and openness (neutral 0.3, at most 1.2).
- presence_penalty: grows with openness and extraversion (neutral 0.3, at most 1.2).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import CognitiveState
from daedalus.errors import ConfigError
from daedalus.kernel.tensors import TTMTensor

__all__ = [
    "DEFAULT_BASE_MAX_TOKENS",
    "DEFAULT_MAX_TOKENS_CAP",
    "MAX_TEMPERATURE",
    "MIN_MAX_TOKENS",
    "MIN_TEMPERATURE",
    "PENALTY_CEILING",
    "PersonaParams",
    "SamplingParams",
    "persona_params",
]

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


MIN_TEMPERATURE = 0.1
MAX_TEMPERATURE = 1.5
MIN_MAX_TOKENS = 32
DEFAULT_BASE_MAX_TOKENS = 300
DEFAULT_MAX_TOKENS_CAP = 1024
PENALTY_CEILING = 1.2
"""Penalties the mapping produces stay in [0, 1.2]; providers accept [-2, 2]."""

_CALM_TEMPERATURE = 0.2  # where low activation pulls the temperature


class PersonaParams(BaseModel):
    """Sampling parameters for one speaker's turn, always within provider ranges."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    temperature: float = Field(ge=MIN_TEMPERATURE, le=MAX_TEMPERATURE)
    top_p: float = Field(gt=0.0, le=1.0)
    max_tokens: int = Field(ge=MIN_MAX_TOKENS)
    frequency_penalty: float = Field(ge=-2.0, le=2.0)
    presence_penalty: float = Field(ge=-2.0, le=2.0)

    def to_sampling(self) -> SamplingParams:
        """The same values as the parameters a model call is sent with."""
        return SamplingParams(**self.model_dump())


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _check_arguments(phi: float | None, base_max_tokens: int, max_tokens_cap: int) -> float:
    if phi is not None and not (math.isfinite(phi) and 0.0 <= phi <= 1.0):
        raise ConfigError(f"phi must be an activation in [0, 1], got {phi}")
    if base_max_tokens < MIN_MAX_TOKENS:
        message = f"base_max_tokens must be at least {MIN_MAX_TOKENS}, got {base_max_tokens}"
        raise ConfigError(message)
    if max_tokens_cap < MIN_MAX_TOKENS:
        message = f"max_tokens_cap must be at least {MIN_MAX_TOKENS}, got {max_tokens_cap}"
        raise ConfigError(message)
    return 1.0 if phi is None else phi


def persona_params(
    cognitive: CognitiveState,
    tensor: TTMTensor,
    phi: float | None = None,
    base_max_tokens: int = DEFAULT_BASE_MAX_TOKENS,
    max_tokens_cap: int = DEFAULT_MAX_TOKENS_CAP,
) -> PersonaParams:
    """The speaker's sampling parameters (mappings in the module docstring).

    ``phi`` is the ADPRS activation in [0, 1] (``None``: fully active). Deterministic;
    temperature never falls as arousal rises and max_tokens never falls as energy rises.
    ``ConfigError`` for a phi outside [0, 1] or token limits below 32.
    """
    activation = _check_arguments(phi, base_max_tokens, max_tokens_cap)
    axes = {name: _unit(value) for name, value in tensor.behavior_axes().items()}
    fatigue = _unit(tensor.biology_feature("fatigue"))

    lively = 0.25 + 0.95 * cognitive.arousal + 0.3 * (axes["variability"] - 0.5)
    narrowing = 0.4 + 0.6 * activation
    temperature = _CALM_TEMPERATURE + (lively - _CALM_TEMPERATURE) * narrowing

    top_p = 1.0 - 0.3 * cognitive.focus

    energy_ratio = cognitive.energy / cognitive.energy_capacity
    tokens = (
        base_max_tokens
        * (0.3 + 0.7 * energy_ratio)
        * (1.0 - 0.5 * fatigue)
        * (0.75 + 0.5 * axes["extraversion"])
        * narrowing
    )

    frequency = PENALTY_CEILING * (0.7 * axes["variability"] + 0.3 * axes["openness"]) ** 2
    presence = PENALTY_CEILING * (0.7 * axes["openness"] + 0.3 * axes["extraversion"]) ** 2

    return PersonaParams(
        temperature=min(max(temperature, MIN_TEMPERATURE), MAX_TEMPERATURE),
        top_p=min(max(top_p, 0.05), 1.0),
        max_tokens=min(max(round(tokens), MIN_MAX_TOKENS), max_tokens_cap),
        frequency_penalty=min(max(frequency, 0.0), PENALTY_CEILING),
        presence_penalty=min(max(presence, 0.0), PENALTY_CEILING),
    )

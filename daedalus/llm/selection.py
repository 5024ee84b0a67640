"""Capability-based model selection and fallback chains (M18).

Each ``ActionType`` has requirements (``ACTION_REQUIREMENTS``): capabilities a model must have,
capabilities it is better for having, and the context and output room the action needs. A
model qualifies when it meets all of them (and, by default, when its licence allows its output
to be used as synthetic data). Qualifying models are scored by

    score = preferred-capability fit + quality * q + speed * s + cost * c

where the fit is the share of preferred capabilities the model has (0..1), ``q``, ``s``, ``c``
are the ``Preference`` weights, and the cost score is ``1 / (1 + price / REFERENCE_PRICE)``
on the blended price per million tokens: 1.0 for a free model, 0.5 at the reference price,
falling smoothly towards 0 as the price rises, never dividing by zero.
Ties break on higher quality, then lower price, then id, so every choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

from daedalus.errors import ConfigError, RegistryError
from daedalus.llm.actions import ActionType, Capability
from daedalus.llm.registry import ModelProfile, ModelRegistry

__all__ = [
    "ACTION_REQUIREMENTS",
    "BALANCED",
    "COST_FIRST",
    "PRESETS",
    "QUALITY_FIRST",
    "REFERENCE_PRICE_PER_MILLION",
    "SPEED_FIRST",
    "ActionRequirements",
    "Preference",
    "cost_score",
    "eligible_models",
    "fallback_chain",
    "rank_models",
    "score_model",
    "select_model",
]


class ActionRequirements(BaseModel):
    """What an action needs from a model: hard requirements and soft preferences."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    required: frozenset[Capability]
    preferred: frozenset[Capability]
    min_context: int = Field(gt=0, description="Tokens of context the action's prompts need")
    min_output: int = Field(gt=0, description="Tokens the action's answer can take")
    why: str = Field(min_length=1, description="One line on what the action needs and why")


def _needs(
    required: Iterable[Capability],
    preferred: Iterable[Capability],
    min_context: int,
    min_output: int,
    why: str,
) -> ActionRequirements:
    return ActionRequirements(
        required=frozenset(required),
        preferred=frozenset(preferred),
        min_context=min_context,
        min_output=min_output,
        why=why,
    )


_C = Capability

ACTION_REQUIREMENTS: Mapping[ActionType, ActionRequirements] = MappingProxyType(
    {
        ActionType.ENTITY_POPULATION: _needs(
            [_C.STRUCTURED_JSON],
            [_C.CREATIVE, _C.INSTRUCTION_FOLLOWING, _C.LONG_FORM_TEXT],
            8_000,
            2_048,
            "entity profiles are schema-bound records with invented but plausible detail",
        ),
        ActionType.DIALOG_SYNTHESIS: _needs(
            [_C.STRUCTURED_JSON],
            [_C.DIALOG_GENERATION, _C.CREATIVE, _C.LONG_FORM_TEXT],
            16_000,
            4_096,
            "turn lists in natural voices; prompts carry each speaker's knowledge and state",
        ),
        ActionType.TEMPORAL_REASONING: _needs(
            [_C.STRUCTURED_JSON, _C.TEMPORAL_REASONING],
            [_C.CAUSAL_REASONING, _C.LOGICAL_REASONING, _C.ANALYTICAL],
            16_000,
            2_048,
            "ordering events and checking that effects follow causes over a timeline",
        ),
        ActionType.COUNTERFACTUAL_PREDICTION: _needs(
            [_C.STRUCTURED_JSON, _C.CAUSAL_REASONING],
            [_C.TEMPORAL_REASONING, _C.LOGICAL_REASONING, _C.CREATIVE],
            16_000,
            2_048,
            "propagating one changed fact through a causal chain to new outcomes",
        ),
        ActionType.KNOWLEDGE_VALIDATION: _needs(
            [_C.STRUCTURED_JSON, _C.LOGICAL_REASONING],
            [_C.ANALYTICAL, _C.TEMPORAL_REASONING, _C.INSTRUCTION_FOLLOWING],
            16_000,
            1_024,
            "checking claims against exposure records; verdicts must be exact, not fluent",
        ),
        ActionType.SCENE_GENERATION: _needs(
            [_C.STRUCTURED_JSON],
            [_C.CREATIVE, _C.LONG_FORM_TEXT],
            8_000,
            2_048,
            "environment, atmosphere and crowd descriptions as structured records",
        ),
        ActionType.RELATIONSHIP_ANALYSIS: _needs(
            [_C.STRUCTURED_JSON],
            [_C.ANALYTICAL, _C.CAUSAL_REASONING, _C.DIALOG_GENERATION],
            16_000,
            1_024,
            "reading dialog and events for shifts in trust, alignment and tension",
        ),
        ActionType.PROSPECTION: _needs(
            [_C.STRUCTURED_JSON],
            [_C.TEMPORAL_REASONING, _C.CAUSAL_REASONING, _C.CREATIVE],
            8_000,
            2_048,
            "an entity's expectations about its future, with rough probabilities",
        ),
        ActionType.ANIMISTIC_BEHAVIOR: _needs(
            [_C.STRUCTURED_JSON],
            [_C.CREATIVE, _C.INSTRUCTION_FOLLOWING],
            8_000,
            1_024,
            "goals and actions for objects and institutions, kept within their nature",
        ),
        ActionType.PORTAL_BACKWARD_REASONING: _needs(
            [_C.STRUCTURED_JSON, _C.CAUSAL_REASONING, _C.TEMPORAL_REASONING],
            [_C.LOGICAL_REASONING, _C.CREATIVE, _C.HIGH_QUALITY],
            32_000,
            4_096,
            "inventing plausible antecedent states that lead to a known ending",
        ),
        ActionType.PORTAL_PATH_SCORING: _needs(
            [_C.STRUCTURED_JSON, _C.LOGICAL_REASONING, _C.CAUSAL_REASONING],
            [_C.ANALYTICAL, _C.TEMPORAL_REASONING, _C.HIGH_QUALITY],
            32_000,
            2_048,
            "judging whole candidate paths for coherence; errors compound along the chain",
        ),
        ActionType.CONFIG_GENERATION: _needs(
            [_C.STRUCTURED_JSON, _C.INSTRUCTION_FOLLOWING],
            [_C.ANALYTICAL, _C.LOGICAL_REASONING],
            8_000,
            2_048,
            "a simulation config from a plain-language request; it must validate as is",
        ),
        ActionType.TENSOR_COMPRESSION: _needs(
            [_C.STRUCTURED_JSON],
            [_C.ANALYTICAL, _C.COST_EFFICIENT, _C.FAST_INFERENCE],
            8_000,
            1_024,
            "short numeric summaries of entity state, made often, so cheap and fast",
        ),
        ActionType.VALIDATION: _needs(
            [_C.STRUCTURED_JSON, _C.LOGICAL_REASONING],
            [_C.ANALYTICAL, _C.INSTRUCTION_FOLLOWING],
            8_000,
            1_024,
            "general consistency checks returned as pass/fail with reasons",
        ),
        ActionType.SUMMARIZATION: _needs(
            [],
            [_C.LONG_FORM_TEXT, _C.LARGE_CONTEXT, _C.COST_EFFICIENT, _C.FAST_INFERENCE],
            32_000,
            1_024,
            "condensing long material into prose; reads much, writes little",
        ),
        ActionType.GENERAL: _needs(
            [],
            [_C.INSTRUCTION_FOLLOWING, _C.STRUCTURED_JSON],
            8_000,
            1_024,
            "anything else: follow the instructions",
        ),
    }
)
"""The requirements of each of the 16 action types (M18)."""


class Preference(BaseModel):
    """How much quality, speed and low cost weigh against each other (all weights >= 0).

    Each of quality, speed and cost score lies in [0, 1], as does the capability fit, so a
    weight of 3 lets a term outweigh a full difference in capability fit.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    quality: float = Field(default=1.0, ge=0.0)
    speed: float = Field(default=0.5, ge=0.0)
    cost: float = Field(default=0.5, ge=0.0)


BALANCED = Preference()
"""The default: quality first, with speed and cost as half-weight tie breakers."""

QUALITY_FIRST = Preference(quality=3.0, speed=0.0, cost=0.0)
SPEED_FIRST = Preference(quality=0.5, speed=3.0, cost=0.0)
COST_FIRST = Preference(quality=0.5, speed=0.0, cost=3.0)

PRESETS: Mapping[str, Preference] = MappingProxyType(
    {"balanced": BALANCED, "quality": QUALITY_FIRST, "speed": SPEED_FIRST, "cost": COST_FIRST}
)
"""The named preferences the CLI offers (``--prefer quality``)."""


REFERENCE_PRICE_PER_MILLION = 0.20
"""The blended price (dollars per 1M tokens) that earns a cost score of 0.5."""


def cost_score(profile: ModelProfile) -> float:
    """``1 / (1 + price / reference)``: 1.0 when free, 0.5 at the reference, falling with price."""
    return 1.0 / (1.0 + profile.blended_price_per_million / REFERENCE_PRICE_PER_MILLION)


def score_model(
    profile: ModelProfile, requirements: ActionRequirements, preference: Preference = BALANCED
) -> float:
    """The selection score of one model for one action's requirements (higher is better)."""
    preferred = requirements.preferred
    fit = len(preferred & profile.capabilities) / len(preferred) if preferred else 1.0
    return (
        fit
        + preference.quality * profile.relative_quality
        + preference.speed * profile.relative_speed
        + preference.cost * cost_score(profile)
    )


def eligible_models(
    action: ActionType, registry: ModelRegistry, *, licence_filter: bool = True
) -> list[ModelProfile]:
    """The registered models that meet every requirement of ``action``, in registry order.

    Raises ``RegistryError`` naming which requirement excluded which models when none is left.
    """
    requirements = ACTION_REQUIREMENTS[action]
    kept: list[ModelProfile] = []
    excluded: dict[str, list[str]] = {}
    for profile in registry:
        reason = _exclusion(profile, requirements, licence_filter=licence_filter)
        if reason is None:
            kept.append(profile)
        else:
            excluded.setdefault(reason, []).append(profile.id)
    if not kept:
        detail = "; ".join(f"{reason}: {', '.join(ids)}" for reason, ids in excluded.items())
        raise RegistryError(
            f"no registered model qualifies for action {action.value!r}"
            f" ({detail or 'the registry is empty'})"
        )
    return kept


def rank_models(
    action: ActionType,
    registry: ModelRegistry,
    preference: Preference = BALANCED,
    *,
    licence_filter: bool = True,
) -> list[tuple[ModelProfile, float]]:
    """Every eligible model with its score, best first, ties broken deterministically."""
    requirements = ACTION_REQUIREMENTS[action]
    scored = [
        (profile, score_model(profile, requirements, preference))
        for profile in eligible_models(action, registry, licence_filter=licence_filter)
    ]
    scored.sort(
        key=lambda item: (
            -item[1],
            -item[0].relative_quality,
            item[0].blended_price_per_million,
            item[0].id,
        )
    )
    return scored


def select_model(
    action: ActionType,
    registry: ModelRegistry,
    preference: Preference = BALANCED,
    *,
    licence_filter: bool = True,
) -> ModelProfile:
    """The best-scoring eligible model for ``action`` under ``preference``."""
    return rank_models(action, registry, preference, licence_filter=licence_filter)[0][0]


def fallback_chain(
    action: ActionType,
    registry: ModelRegistry,
    length: int = 3,
    preference: Preference = BALANCED,
    pinned: str | None = None,
    *,
    licence_filter: bool = True,
) -> list[ModelProfile]:
    """Up to ``length`` distinct models to try in order for ``action``.

    The pinned model comes first when given (it must exist and, with the licence filter on,
    be licensed for synthetic data; it is not held to the action's capability requirements,
    since pinning is an explicit choice). Then the best model under ``preference``, the best
    under ``COST_FIRST``, the best under ``SPEED_FIRST``, skipping repeats; remaining places
    are filled from the ranking under ``preference``. The chain is shorter than ``length``
    only when fewer models qualify.
    """
    if length < 1:
        raise ConfigError(f"fallback chain length must be at least 1, got {length}")
    chain: list[ModelProfile] = []
    if pinned is not None:
        profile = registry.get(pinned)
        if licence_filter and not profile.synthetic_data_ok:
            raise RegistryError(
                f"pinned model {pinned!r} has licence {profile.licence!r}, which does not allow"
                " synthetic-data use; pin another model or turn the licence filter off"
            )
        chain.append(profile)
    ranking = rank_models(action, registry, preference, licence_filter=licence_filter)
    leaders = [
        ranking[0][0],
        rank_models(action, registry, COST_FIRST, licence_filter=licence_filter)[0][0],
        rank_models(action, registry, SPEED_FIRST, licence_filter=licence_filter)[0][0],
    ]
    _extend_distinct(chain, leaders, length)
    _extend_distinct(chain, (profile for profile, _ in ranking), length)
    return chain


def _extend_distinct(chain: list[ModelProfile], more: Iterable[ModelProfile], length: int) -> None:
    for profile in more:
        if len(chain) >= length:
            return
        if all(profile.id != present.id for present in chain):
            chain.append(profile)


def _exclusion(
    profile: ModelProfile, requirements: ActionRequirements, *, licence_filter: bool
) -> str | None:
    """Why ``profile`` cannot serve the requirements, as a short reason; None if it can."""
    if licence_filter and not profile.synthetic_data_ok:
        return "licence does not allow synthetic-data use"
    missing = sorted(requirements.required - profile.capabilities)
    if missing:
        return f"lacks {', '.join(capability.value for capability in missing)}"
    if profile.context_length < requirements.min_context:
        return f"context below {requirements.min_context} tokens"
    if profile.max_output < requirements.min_output:
        return f"max output below {requirements.min_output} tokens"
    return None

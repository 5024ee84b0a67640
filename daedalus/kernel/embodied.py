"""Embodied coupling (M8): how the body weighs on the mind and on the voice.

``couple`` turns a body state and a baseline mind state into the mind state the entity
actually works with: pain, fatigue and illness cut focus and energy, pain raises arousal,
illness and pain (and a little fatigue) pull valence down, and a sleeper has minimal focus.
Every effect is a factor in [0, 1] applied to the distance from a bound, so results always
stay in their domain ranges and more burden never helps. Apply it to a baseline state, not to
an already-coupled one: effects compound when stacked.

``describe`` renders the same body state as a short phrase for dialog prompts.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import CognitiveState, PhysicalState, Unit

__all__ = [
    "AT_EASE",
    "DEFAULT_COUPLING",
    "CouplingCoefficients",
    "couple",
    "describe",
]

AT_EASE = "speaks at ease"
"""What ``describe`` says of a body that does not affect speech."""


class CouplingCoefficients(BaseModel):
    """Strength of each body-to-mind effect (M8); each is the share lost at full burden.

    Example: ``focus_pain=0.5`` means full pain halves focus. All values lie in [0, 1], which is
    what keeps ``couple`` in range and monotone.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    focus_pain: Unit = 0.5
    focus_fatigue: Unit = 0.4
    focus_illness: Unit = 0.3
    energy_fatigue: Unit = 0.35
    energy_illness: Unit = 0.25
    energy_pain: Unit = 0.1
    arousal_pain: Unit = Field(default=0.4, description="share of the headroom to 1 pain adds")
    arousal_fatigue: Unit = 0.3
    valence_pain: Unit = Field(default=0.3, description="share of the distance to -1 pain takes")
    valence_illness: Unit = 0.3
    valence_fatigue: Unit = 0.1
    asleep_focus: Unit = 0.05


DEFAULT_COUPLING = CouplingCoefficients()
"""The coefficients ``couple`` uses unless told otherwise."""


def _kept(*losses: float) -> float:
    kept = 1.0
    for loss in losses:
        kept *= 1.0 - loss
    return kept


def couple(
    physical: PhysicalState,
    cognitive: CognitiveState,
    coefficients: CouplingCoefficients = DEFAULT_COUPLING,
) -> CognitiveState:
    """The mind state ``cognitive`` becomes under the body state ``physical`` (M8).

    Guarantees: every field stays in its domain range (energy within [0, capacity]); more pain,
    fatigue or illness never raises focus, energy or valence; a body with no pain, fatigue or
    illness that is awake leaves the state unchanged; an asleep entity has focus at most
    ``coefficients.asleep_focus``. Mobility and location do not affect the mind.
    """
    c = coefficients
    pain, fatigue, illness = physical.pain, physical.fatigue, physical.illness
    focus = cognitive.focus * _kept(
        c.focus_pain * pain, c.focus_fatigue * fatigue, c.focus_illness * illness
    )
    if not physical.awake:
        focus = min(focus, c.asleep_focus)
    energy = cognitive.energy * _kept(
        c.energy_fatigue * fatigue, c.energy_illness * illness, c.energy_pain * pain
    )
    calmed = cognitive.arousal * _kept(c.arousal_fatigue * fatigue)
    arousal = calmed + (1.0 - calmed) * c.arousal_pain * pain
    valence = -1.0 + (cognitive.valence + 1.0) * _kept(
        c.valence_pain * pain, c.valence_illness * illness, c.valence_fatigue * fatigue
    )
    return cognitive.model_copy(
        update={
            "focus": min(1.0, max(0.0, focus)),
            "energy": min(cognitive.energy_capacity, max(0.0, energy)),
            "arousal": min(1.0, max(0.0, arousal)),
            "valence": min(1.0, max(-1.0, valence)),
        }
    )


# (threshold, phrase) from the most to the least severe; the first band reached is used.
_PAIN = (
    (0.7, "speaks tersely through pain"),
    (0.4, "winces between sentences"),
    (0.15, "shifts now and then in discomfort"),
)
_ILLNESS = (
    (0.7, "voice weak and hoarse with illness"),
    (0.4, "pauses to cough"),
    (0.15, "sounds slightly under the weather"),
)
_FATIGUE = (
    (0.7, "words come slowly and thoughts drift"),
    (0.4, "sounds tired and keeps answers short"),
    (0.15, "is a little weary"),
)
_LOW_MOBILITY = 0.3


def _band(value: float, bands: tuple[tuple[float, str], ...]) -> str | None:
    for threshold, phrase in bands:
        if value >= threshold:
            return phrase
    return None


def describe(physical: PhysicalState) -> str:
    """A short phrase on how the body shapes speech (M8), for dialog prompts.

    Deterministic: the strongest burden comes first (ties: pain, illness, fatigue), phrases are
    joined with ``"; "``. An asleep body gives ``"asleep: silent unless woken"``; a body that does
    not affect speech gives ``AT_EASE``.
    """
    if not physical.awake:
        return "asleep: silent unless woken"
    burdens = [
        (physical.pain, 0, _band(physical.pain, _PAIN)),
        (physical.illness, 1, _band(physical.illness, _ILLNESS)),
        (physical.fatigue, 2, _band(physical.fatigue, _FATIGUE)),
    ]
    phrases = [phrase for _, _, phrase in sorted(burdens, key=lambda b: (-b[0], b[1])) if phrase]
    if physical.mobility < _LOW_MOBILITY:
        phrases.append("barely moves while talking")
    return "; ".join(phrases) if phrases else AT_EASE

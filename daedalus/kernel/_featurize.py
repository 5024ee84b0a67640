"""Deterministic featurisation of an entity into the three TTM blocks (M6).

Text is hashed with keyed BLAKE2b (never Python's salted ``hash()``), so a tensor built today
equals the tensor built from the same inputs in any other process. Every feature is a sum over
unordered inputs: the order of knowledge items or traits never changes the result.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from daedalus.domain import CognitiveState, Entity, PhysicalState

__all__ = [
    "BEHAVIOR_AXES",
    "BEHAVIOR_DIM",
    "BIOLOGY_DIM",
    "BIOLOGY_FEATURES",
    "CONTEXT_DIM",
    "behavior_features",
    "biology_features",
    "context_features",
]

CONTEXT_DIM = 64
BIOLOGY_DIM = 16
BEHAVIOR_DIM = 32

_CONTEXT_HASHED = 60  # the last four context slots hold knowledge-volume statistics
_ROLE_WEIGHT = 0.5
_IDENTITY_WEIGHT = 0.35
_IDENTITY_PROBES = 4  # several probes make two ids colliding on every slot vanishingly rare
_KIND_WEIGHT = 0.5

BIOLOGY_FEATURES: tuple[str, ...] = (
    "fatigue",
    "pain",
    "illness",
    "mobility",
    "awake",
    "energy_ratio",
    "energy_capacity",
    "arousal",
    "valence",
    "focus",
    "bodily_strain",
    "effective_energy",
    "available_activation",
    "stress",
    "alertness",
    "comfort",
)
"""Names of the biology slots, in order (all in [0, 1] except ``valence`` in [-1, 1])."""

BEHAVIOR_AXES: tuple[str, ...] = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
    "assertiveness",
    "caution",
    "variability",
)
"""Names of the interpretable behaviour slots 0..7, each in [0, 1] with 0.5 neutral."""

_AXIS = {name: index for index, name in enumerate(BEHAVIOR_AXES)}
_BEHAVIOR_HASHED_START = len(BEHAVIOR_AXES)

# Each trait word gives evidence on axes: the value it points an axis towards when fully present.
_HIGH, _MID_HIGH, _MID_LOW, _LOW = 0.95, 0.75, 0.25, 0.05
_TRAIT_LEXICON: Mapping[str, Mapping[str, float]] = {
    "curious": {"openness": _HIGH},
    "creative": {"openness": _HIGH, "variability": _MID_HIGH},
    "imaginative": {"openness": _HIGH, "variability": _MID_HIGH},
    "open-minded": {"openness": _HIGH},
    "adventurous": {"openness": _MID_HIGH, "caution": _LOW},
    "innovative": {"openness": _HIGH},
    "traditional": {"openness": _LOW, "variability": _MID_LOW},
    "conventional": {"openness": _LOW},
    "stubborn": {"openness": _LOW, "assertiveness": _MID_HIGH},
    "rigid": {"openness": _LOW, "variability": _LOW},
    "dogmatic": {"openness": _LOW, "agreeableness": _MID_LOW},
    "principled": {"conscientiousness": _HIGH, "assertiveness": _MID_HIGH},
    "disciplined": {"conscientiousness": _HIGH},
    "organized": {"conscientiousness": _HIGH},
    "meticulous": {"conscientiousness": _HIGH, "variability": _MID_LOW},
    "precise": {"conscientiousness": _HIGH, "variability": _MID_LOW},
    "methodical": {"conscientiousness": _HIGH, "variability": _LOW},
    "diligent": {"conscientiousness": _HIGH},
    "responsible": {"conscientiousness": _HIGH},
    "reliable": {"conscientiousness": _HIGH, "variability": _MID_LOW},
    "practical": {"conscientiousness": _MID_HIGH, "openness": _MID_LOW},
    "determined": {"conscientiousness": _MID_HIGH, "assertiveness": _HIGH},
    "careless": {"conscientiousness": _LOW, "caution": _LOW},
    "disorganized": {"conscientiousness": _LOW},
    "lazy": {"conscientiousness": _LOW},
    "casual": {"conscientiousness": _MID_LOW, "variability": _MID_HIGH},
    "impulsive": {"conscientiousness": _LOW, "caution": _LOW, "variability": _HIGH},
    "outgoing": {"extraversion": _HIGH},
    "talkative": {"extraversion": _HIGH, "variability": _MID_HIGH},
    "sociable": {"extraversion": _HIGH},
    "gregarious": {"extraversion": _HIGH},
    "charismatic": {"extraversion": _HIGH, "assertiveness": _MID_HIGH},
    "energetic": {"extraversion": _MID_HIGH, "variability": _MID_HIGH},
    "enthusiastic": {"extraversion": _MID_HIGH, "variability": _MID_HIGH},
    "reserved": {"extraversion": _LOW},
    "quiet": {"extraversion": _LOW},
    "shy": {"extraversion": _LOW, "assertiveness": _MID_LOW},
    "introverted": {"extraversion": _LOW},
    "withdrawn": {"extraversion": _LOW},
    "taciturn": {"extraversion": _LOW, "variability": _MID_LOW},
    "terse": {"extraversion": _MID_LOW, "variability": _LOW},
    "stoic": {"neuroticism": _LOW, "extraversion": _MID_LOW, "variability": _LOW},
    "kind": {"agreeableness": _HIGH},
    "warm": {"agreeableness": _HIGH},
    "empathetic": {"agreeableness": _HIGH},
    "compassionate": {"agreeableness": _HIGH},
    "cooperative": {"agreeableness": _HIGH},
    "diplomatic": {"agreeableness": _HIGH, "variability": _MID_LOW},
    "friendly": {"agreeableness": _HIGH, "extraversion": _MID_HIGH},
    "trusting": {"agreeableness": _HIGH, "caution": _MID_LOW},
    "competitive": {"agreeableness": _LOW, "assertiveness": _MID_HIGH},
    "hostile": {"agreeableness": _LOW},
    "abrasive": {"agreeableness": _LOW},
    "cynical": {"agreeableness": _LOW, "openness": _MID_LOW},
    "arrogant": {"agreeableness": _LOW, "assertiveness": _HIGH},
    "blunt": {"agreeableness": _MID_LOW, "assertiveness": _MID_HIGH},
    "critical": {"agreeableness": _MID_LOW},
    "anxious": {"neuroticism": _HIGH, "caution": _MID_HIGH},
    "nervous": {"neuroticism": _HIGH},
    "volatile": {"neuroticism": _HIGH, "variability": _HIGH},
    "moody": {"neuroticism": _HIGH, "variability": _MID_HIGH},
    "emotional": {"neuroticism": _MID_HIGH, "variability": _MID_HIGH},
    "insecure": {"neuroticism": _HIGH, "assertiveness": _MID_LOW},
    "temperamental": {"neuroticism": _HIGH, "variability": _HIGH},
    "impatient": {"neuroticism": _MID_HIGH, "caution": _MID_LOW},
    "calm": {"neuroticism": _LOW},
    "composed": {"neuroticism": _LOW},
    "stable": {"neuroticism": _LOW, "variability": _MID_LOW},
    "resilient": {"neuroticism": _LOW},
    "confident": {"neuroticism": _MID_LOW, "assertiveness": _HIGH},
    "assertive": {"assertiveness": _HIGH},
    "bold": {"assertiveness": _HIGH, "caution": _MID_LOW},
    "decisive": {"assertiveness": _HIGH},
    "dominant": {"assertiveness": _HIGH, "agreeableness": _MID_LOW},
    "ambitious": {"assertiveness": _HIGH, "conscientiousness": _MID_HIGH},
    "forceful": {"assertiveness": _HIGH},
    "driven": {"assertiveness": _MID_HIGH, "conscientiousness": _MID_HIGH},
    "passive": {"assertiveness": _LOW},
    "timid": {"assertiveness": _LOW, "caution": _MID_HIGH},
    "meek": {"assertiveness": _LOW},
    "submissive": {"assertiveness": _LOW},
    "hesitant": {"assertiveness": _MID_LOW, "caution": _MID_HIGH},
    "cautious": {"caution": _HIGH},
    "careful": {"caution": _HIGH, "conscientiousness": _MID_HIGH},
    "prudent": {"caution": _HIGH},
    "wary": {"caution": _HIGH, "agreeableness": _MID_LOW},
    "skeptical": {"caution": _MID_HIGH, "openness": _MID_LOW},
    "conservative": {"caution": _MID_HIGH, "openness": _LOW},
    "reckless": {"caution": _LOW, "variability": _MID_HIGH},
    "daring": {"caution": _LOW},
    "risk-taking": {"caution": _LOW},
    "spontaneous": {"variability": _HIGH},
    "playful": {"variability": _HIGH, "extraversion": _MID_HIGH},
    "witty": {"variability": _HIGH},
    "expressive": {"variability": _HIGH, "extraversion": _MID_HIGH},
    "erratic": {"variability": _HIGH, "neuroticism": _MID_HIGH},
    "unpredictable": {"variability": _HIGH},
    "eccentric": {"variability": _HIGH, "openness": _MID_HIGH},
    "deliberate": {"variability": _LOW, "caution": _MID_HIGH},
    "measured": {"variability": _LOW},
    "formal": {"variability": _LOW},
    "consistent": {"variability": _LOW},
    "analytical": {"variability": _MID_LOW, "openness": _MID_HIGH},
}

# Profile trait scores may name an axis directly; these aliases point at an axis or its inverse.
_AXIS_ALIASES: Mapping[str, tuple[str, bool]] = {
    **{name: (name, False) for name in BEHAVIOR_AXES},
    "emotional-stability": ("neuroticism", True),
    "stability": ("neuroticism", True),
    "risk-tolerance": ("caution", True),
    "risk-aversion": ("caution", False),
    "sociability": ("extraversion", False),
    "spontaneity": ("variability", False),
}
_AXIS_PRIOR_WEIGHT = 1.0  # one pseudo-observation of 0.5 keeps a lone trait from saturating

_STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
    }
)
_TOKEN = re.compile(r"\w+")


def _digest(namespace: str, token: str) -> int:
    data = f"{namespace}\x1f{token}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _hash_into(
    vector: NDArray[np.float64], start: int, width: int, namespace: str, token: str, weight: float
) -> None:
    """Add ``weight`` with a hashed sign at a hashed slot of ``vector[start:start + width]``."""
    value = _digest(namespace, token)
    sign = 1.0 if value >> 63 else -1.0
    vector[start + value % width] += sign * weight


def _tokens(text: str) -> list[str]:
    return [
        word
        for word in _TOKEN.findall(text.casefold())
        if word not in _STOP_WORDS and (len(word) > 1 or word.isdigit())
    ]


def _normalised_label(label: str) -> str:
    return "-".join(label.casefold().replace("_", " ").replace("-", " ").split())


def _unit_norm(block: NDArray[np.float64]) -> NDArray[np.float64]:
    norm = float(np.linalg.norm(block))
    return block / norm if norm > 0.0 else block


def context_features(entity: Entity, knowledge: Sequence[str]) -> NDArray[np.float32]:
    """Knowledge state: hashed knowledge words, role and identity, then volume statistics."""
    items = sorted({item.strip() for item in knowledge if item.strip()})
    hashed = np.zeros(_CONTEXT_HASHED, dtype=np.float64)
    all_tokens: list[str] = []
    for item in items:
        words = _tokens(item)
        all_tokens.extend(words)
        for word, count in Counter(words).items():
            # sublinear counts: a word repeated within one item is not ten times the knowledge
            _hash_into(hashed, 0, _CONTEXT_HASHED, "know", word, 1.0 + math.log(count))
    for word in _tokens(entity.role):
        _hash_into(hashed, 0, _CONTEXT_HASHED, "role", word, _ROLE_WEIGHT)
    # an entity knows who it is, so two otherwise identical entities still differ
    for probe in range(_IDENTITY_PROBES):
        value = _digest(f"self{probe}", entity.id)
        magnitude = _IDENTITY_WEIGHT * (0.5 + 0.5 * ((value >> 32) & 0xFFFF) / 0xFFFF)
        _hash_into(hashed, 0, _CONTEXT_HASHED, f"self{probe}", entity.id, magnitude)
    distinct = len(set(all_tokens))
    per_item = len(all_tokens) / len(items) if items else 0.0
    stats = np.array(
        [
            len(items) / (len(items) + 8.0),
            distinct / (distinct + 64.0),
            per_item / (per_item + 12.0),
            distinct / len(all_tokens) if all_tokens else 0.0,
        ],
        dtype=np.float64,
    )
    return np.concatenate([_unit_norm(hashed), stats]).astype(np.float32)


def biology_features(cognitive: CognitiveState, physical: PhysicalState) -> NDArray[np.float32]:
    """Body and arousal state in the order of ``BIOLOGY_FEATURES`` (M8 embodied coupling)."""
    awake = 1.0 if physical.awake else 0.0
    energy_ratio = cognitive.energy / cognitive.energy_capacity
    strain = 1.0 - (1.0 - physical.fatigue) * (1.0 - physical.pain) * (1.0 - physical.illness)
    values = (
        physical.fatigue,
        physical.pain,
        physical.illness,
        physical.mobility,
        awake,
        energy_ratio,
        cognitive.energy_capacity / (cognitive.energy_capacity + 150.0),
        cognitive.arousal,
        cognitive.valence,
        cognitive.focus,
        strain,
        energy_ratio * (1.0 - strain),
        cognitive.arousal * (1.0 - physical.fatigue) * awake,
        cognitive.arousal * (1.0 - cognitive.valence) / 2.0,
        cognitive.focus * (1.0 - physical.fatigue) * awake,
        (1.0 - physical.pain) * (1.0 + cognitive.valence) / 2.0,
    )
    return np.array(values, dtype=np.float32)


def _axis_evidence(
    traits: Iterable[str], trait_scores: Mapping[str, float]
) -> dict[str, list[float]]:
    evidence: dict[str, list[float]] = {name: [] for name in BEHAVIOR_AXES}
    for trait in traits:
        for axis, target in _TRAIT_LEXICON.get(trait, {}).items():
            evidence[axis].append(target)
    for raw_name, score in trait_scores.items():
        name = _normalised_label(raw_name)
        if name in _AXIS_ALIASES:
            axis, inverted = _AXIS_ALIASES[name]
            evidence[axis].append(1.0 - score if inverted else score)
        for axis, target in _TRAIT_LEXICON.get(name, {}).items():
            # a score of 1 points fully at the word's target, 0 at its mirror, 0.5 nowhere
            evidence[axis].append(0.5 + (target - 0.5) * (2.0 * score - 1.0))
    return evidence


def behavior_features(entity: Entity) -> NDArray[np.float32]:
    """Personality: eight interpretable axes (``BEHAVIOR_AXES``), then hashed trait identity."""
    traits = sorted({_normalised_label(trait) for trait in entity.traits if trait.strip()})
    scores = dict(entity.profile.trait_scores) if entity.profile is not None else {}
    block = np.zeros(BEHAVIOR_DIM, dtype=np.float64)
    for axis, values in _axis_evidence(traits, scores).items():
        block[_AXIS[axis]] = (0.5 * _AXIS_PRIOR_WEIGHT + sum(values)) / (
            _AXIS_PRIOR_WEIGHT + len(values)
        )
    hashed = np.zeros(BEHAVIOR_DIM - _BEHAVIOR_HASHED_START, dtype=np.float64)
    width = hashed.size
    for trait in traits:
        _hash_into(hashed, 0, width, "trait", trait, 1.0)
    for name, score in sorted(scores.items()):
        _hash_into(hashed, 0, width, "trait", _normalised_label(name), 2.0 * score - 1.0)
    _hash_into(hashed, 0, width, "kind", entity.kind.value, _KIND_WEIGHT)
    block[_BEHAVIOR_HASHED_START:] = _unit_norm(hashed)
    return block.astype(np.float32)

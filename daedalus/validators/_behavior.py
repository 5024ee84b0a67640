"""Behavioural inertia (M4): personality persists unless something happened to change it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from daedalus.domain import ExposureEvent, ExposureKind
from daedalus.validators._results import ValidationResult, ValidatorName, Violation

__all__ = [
    "JUSTIFYING_KINDS",
    "BehaviorMetric",
    "BehaviorVector",
    "behavior_shift",
    "behavioral_inertia",
    "trait_change",
]

BehaviorMetric = Literal["cosine", "l2"]
"""``cosine``: 1 - cosine similarity, in [0, 2], blind to scale. ``l2``: Euclidean distance."""

BehaviorVector = Sequence[float] | NDArray[np.float32] | NDArray[np.float64]

JUSTIFYING_KINDS = frozenset({ExposureKind.EXPERIENCED, ExposureKind.WITNESSED})
"""Exposure kinds that can justify a change of personality by default."""


def _vector(name: str, values: BehaviorVector) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d vector, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers, got {array.tolist()}")
    return array


def behavior_shift(
    before: BehaviorVector, after: BehaviorVector, metric: BehaviorMetric = "cosine"
) -> float:
    """Distance between two behaviour vectors of equal length under ``metric``.

    For ``cosine``, two zero vectors are 0 apart and a zero vector is 1 from any other.
    """
    old, new = _vector("before_behavior", before), _vector("after_behavior", after)
    if old.shape != new.shape:
        raise ValueError(f"behaviour vectors differ in length: {old.size} vs {new.size}")
    if metric == "l2":
        return float(np.linalg.norm(new - old))
    if metric != "cosine":
        raise ValueError(f"unknown behaviour metric {metric!r}; expected 'cosine' or 'l2'")
    old_zero, new_zero = not old.any(), not new.any()
    if old_zero or new_zero:
        return 0.0 if old_zero and new_zero else 1.0
    # Scale each side to max |x| = 1 first: squaring tiny components would underflow to zero.
    old, new = old / np.abs(old).max(), new / np.abs(new).max()
    cosine = float(old @ new) / (float(np.linalg.norm(old)) * float(np.linalg.norm(new)))
    return float(np.clip(1.0 - cosine, 0.0, 2.0))


def _traits(traits: Iterable[str]) -> frozenset[str]:
    return frozenset(t.strip().casefold() for t in traits if t.strip())


def trait_change(before: Iterable[str], after: Iterable[str]) -> float:
    """Jaccard distance between two trait sets (case and surrounding space ignored), in [0, 1]."""
    old, new = _traits(before), _traits(after)
    union = old | new
    return 0.0 if not union else 1.0 - len(old & new) / len(union)


def _justified(
    entity_id: str,
    timepoint_id: str | None,
    justifications: Iterable[ExposureEvent | str],
    kinds: Collection[ExposureKind],
) -> bool:
    for item in justifications:
        if isinstance(item, str):
            if item.strip():
                return True
        elif (
            item.entity_id == entity_id and item.kind in kinds and item.timepoint_id == timepoint_id
        ):
            return True
    return False


def behavioral_inertia(
    entity_id: str,
    timepoint_id: str | None,
    before_traits: Iterable[str],
    after_traits: Iterable[str],
    before_behavior: BehaviorVector | None,
    after_behavior: BehaviorVector | None,
    justifications: Sequence[ExposureEvent | str],
    threshold: float,
    *,
    metric: BehaviorMetric = "cosine",
    trait_threshold: float = 0.0,
    justifying_kinds: Collection[ExposureKind] = JUSTIFYING_KINDS,
) -> ValidationResult:
    """Check that a change of personality between two states is justified (M4).

    A trait change whose ``trait_change`` exceeds ``trait_threshold`` (by default: any change)
    and a behaviour shift whose ``behavior_shift`` exceeds ``threshold`` each need one
    justification: an exposure of ``entity_id`` at ``timepoint_id`` whose kind is in
    ``justifying_kinds``, or a non-blank reason string (such as a counterfactual
    intervention). Unjustified changes are errors with subject ``"traits"`` or ``"behavior"``
    and the measured change in the message. Pass ``None`` for both vectors to check traits only.
    """
    if threshold < 0.0 or trait_threshold < 0.0:
        raise ValueError(
            f"thresholds must be >= 0, got threshold={threshold!r}, "
            f"trait_threshold={trait_threshold!r}"
        )
    if (before_behavior is None) != (after_behavior is None):
        raise ValueError("pass both behaviour vectors or neither")
    old_traits, new_traits = _traits(before_traits), _traits(after_traits)
    changes: list[tuple[str, str]] = []
    traits_moved = trait_change(old_traits, new_traits)
    if traits_moved > trait_threshold:
        gained = ", ".join(f"+{t}" for t in sorted(new_traits - old_traits))
        lost = ", ".join(f"-{t}" for t in sorted(old_traits - new_traits))
        delta = "; ".join(part for part in (gained, lost) if part)
        changes.append(("traits", f"traits changed ({delta}; Jaccard distance {traits_moved:.3f})"))
    if before_behavior is not None and after_behavior is not None:
        shift = behavior_shift(before_behavior, after_behavior, metric)
        if shift > threshold:
            moved = f"behaviour shifted {shift:.3f} ({metric}) > {threshold:g}"
            changes.append(("behavior", moved))
    if not changes or _justified(entity_id, timepoint_id, justifications, justifying_kinds):
        return ValidationResult.of(ValidatorName.BEHAVIORAL_INERTIA, ())
    kinds = " or ".join(sorted(k.value for k in justifying_kinds))
    return ValidationResult.of(
        ValidatorName.BEHAVIORAL_INERTIA,
        (
            Violation(
                validator=ValidatorName.BEHAVIORAL_INERTIA,
                entity_id=entity_id,
                timepoint_id=timepoint_id,
                message=(
                    f"{entity_id}'s {change} at {timepoint_id} with no justification "
                    f"(needs an exposure of kind {kinds} there, or a stated reason)"
                ),
                subject=subject,
            )
            for subject, change in changes
        ),
    )

"""PORTAL rules (M17): weighted scores, slot times, strategy slot orders and pivot points.

Pure functions over plain values; ``daedalus.portal`` documents the strategies they implement.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from daedalus.errors import ConfigError
from daedalus.portal._records import CRITERIA, CandidateScore, CriterionScores, Pivot, Side
from daedalus.scenario import PortalStrategy

__all__ = [
    "ADAPTIVE_MIN_ENTITIES",
    "ADAPTIVE_MIN_STEPS",
    "ADAPTIVE_SWITCH_AFTER",
    "PIVOT_MARGIN",
    "PIVOT_SPREAD",
    "detect_pivots",
    "next_slot",
    "normalise_weights",
    "resolve_strategy",
    "side_of",
    "slot_order",
    "slot_times",
    "weighted_total",
]

PIVOT_MARGIN = 0.05
"""A step is a close-call pivot when its top two totals differ by at most this much."""
PIVOT_SPREAD = 0.5
"""A step is a wide-spread pivot when its best and worst totals differ by at least this much."""
ADAPTIVE_MIN_STEPS = 8
"""Adaptive strategy: this many backward steps or more make a scenario complex."""
ADAPTIVE_MIN_ENTITIES = 5
"""Adaptive strategy: this many entities or more make a scenario complex."""
ADAPTIVE_SWITCH_AFTER = 2
"""Adaptive strategy: accepted steps needed before a weak reverse chain switches strategy."""


def normalise_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights over ``CRITERIA`` summing to 1 (missing criteria weigh 0).

    Raises ``ConfigError`` for an unknown criterion, a negative weight, or all zero.
    """
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ConfigError(f"unknown portal criteria {unknown}; expected some of {list(CRITERIA)}")
    negative = sorted(name for name, value in weights.items() if value < 0)
    if negative:
        raise ConfigError(f"portal weights must be non-negative; negative: {negative}")
    total = sum(weights.values())
    if total <= 0:
        raise ConfigError("portal weights must not all be zero")
    return {name: weights.get(name, 0.0) / total for name in CRITERIA}


def weighted_total(scores: CriterionScores, weights: Mapping[str, float]) -> float:
    """The weighted mean of the five scores (weights normalised first), rounded to 4 places."""
    normal = normalise_weights(weights)
    return round(sum(normal[name] * float(getattr(scores, name)) for name in CRITERIA), 4)


def _instant(value: date | datetime) -> datetime:
    # The scenario schema reads a bare endpoint date as noon; the chain must agree with it.
    return value if isinstance(value, datetime) else datetime.combine(value, time(12, 0))


def slot_times(origin: datetime, endpoint: date | datetime, steps: int) -> tuple[datetime, ...]:
    """``steps + 1`` evenly spaced instants from ``origin`` to ``endpoint`` (both included).

    When slots are a day or more apart, each slot between the two ends keeps the origin's time
    of day (its date is the evenly spaced one), so moments land in waking hours like the origin.
    """
    if steps < 1:
        raise ConfigError(f"a portal search needs at least 1 backward step, got {steps}")
    end = _instant(endpoint)
    if (origin.tzinfo is None) != (end.tzinfo is None):
        raise ConfigError("portal start and endpoint_time must both have a timezone or neither")
    if end <= origin:
        raise ConfigError(f"portal endpoint {end.isoformat()} must be after {origin.isoformat()}")
    span = end - origin
    spaced = [origin + span * slot / steps for slot in range(steps)]
    if span / steps >= timedelta(days=1):
        spaced = [datetime.combine(moment.date(), origin.timetz()) for moment in spaced]
    return (*spaced, end)


def resolve_strategy(
    configured: PortalStrategy, *, steps: int, entity_count: int
) -> PortalStrategy:
    """The strategy a run starts with: adaptive becomes oscillating for complex scenarios
    (``steps >= ADAPTIVE_MIN_STEPS`` or ``entity_count >= ADAPTIVE_MIN_ENTITIES``), else
    reverse chronological; the other two are kept."""
    if configured is not PortalStrategy.ADAPTIVE:
        return configured
    complex_ = steps >= ADAPTIVE_MIN_STEPS or entity_count >= ADAPTIVE_MIN_ENTITIES
    return PortalStrategy.OSCILLATING if complex_ else PortalStrategy.REVERSE_CHRONOLOGICAL


def _blocks(filled: Collection[int], steps: int) -> tuple[int, int]:
    late = 0
    while steps - 1 - late >= 0 and steps - 1 - late in filled:
        late += 1
    early = 0
    while early < steps - late and early in filled:
        early += 1
    stray = sorted(set(filled) - set(range(early)) - set(range(steps - late, steps)))
    if stray:
        raise ConfigError(f"filled slots {stray} are not attached to either end of the chain")
    return late, early


def next_slot(filled: Collection[int], steps: int, strategy: PortalStrategy) -> int | None:
    """The slot to fill next, or None when all ``steps`` slots (0 .. steps-1) are filled.

    Reverse: the latest unfilled slot. Oscillating: the late end when it holds no more links
    than the early end, else the early end. ``filled`` must be a block at each end.
    """
    late, early = _blocks(filled, steps)
    if late + early >= steps:
        return None
    if strategy is PortalStrategy.OSCILLATING and late > early:
        return early
    return steps - 1 - late


def slot_order(steps: int, strategy: PortalStrategy) -> tuple[int, ...]:
    """The order slots are filled in when every step succeeds."""
    chosen = resolve_strategy(strategy, steps=steps, entity_count=0)
    filled: list[int] = []
    while (slot := next_slot(filled, steps, chosen)) is not None:
        filled.append(slot)
    return tuple(filled)


def side_of(slot: int, filled: Collection[int], steps: int) -> Side:
    """How ``slot`` is reached: from a later link, an earlier one, or both."""
    later = slot + 1 == steps or slot + 1 in filled
    earlier = slot > 0 and slot - 1 in filled
    if later and earlier:
        return Side.BRIDGE
    return Side.LATE if later else Side.EARLY


def detect_pivots(
    slot: int,
    scores: Sequence[CandidateScore],
    *,
    margin: float = PIVOT_MARGIN,
    spread: float = PIVOT_SPREAD,
) -> tuple[Pivot, ...]:
    """Pivots of one step: a close call (top two totals within ``margin``) and/or a wide
    spread (best minus worst at least ``spread``). Fewer than two candidates: none."""
    if len(scores) < 2:
        return ()
    ranked = sorted(scores, key=lambda s: (-s.total, s.candidate_id))
    found: list[Pivot] = []
    first, second, last = ranked[0], ranked[1], ranked[-1]
    gap = round(first.total - second.total, 4)
    if gap <= margin:
        found.append(
            Pivot(
                slot=slot,
                kind="close_call",
                candidate_ids=(first.candidate_id, second.candidate_id),
                totals=(first.total, second.total),
                why=f"the top two candidates differ by {gap:.3f} (margin {margin:.3f})",
            )
        )
    width = round(first.total - last.total, 4)
    if width >= spread:
        found.append(
            Pivot(
                slot=slot,
                kind="wide_spread",
                candidate_ids=(first.candidate_id, last.candidate_id),
                totals=(first.total, last.total),
                why=f"totals spread {width:.3f} from best to worst (threshold {spread:.3f})",
            )
        )
    return tuple(found)

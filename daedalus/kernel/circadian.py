"""Circadian activity patterns (M14): who is plausibly doing what at a given hour.

Each entity kind has a daily profile: for every hour, a probability distribution over
activities. A chronotype shifts the profile around the clock (an early riser does at 7:00
what most people do at 9:00). Fractional hours interpolate linearly between whole hours, and
both interpolation and shifts wrap around midnight, so 23:30 sits between 23:00 and 0:00.

Profiles by kind:

- ``human``: sleep at night, work in office hours, meals around 7, 12 and 19, social evenings.
- ``animal``: long sleep, foraging (``eat``) at dawn and dusk, roaming (``exercise``) by day;
  use ``Chronotype.NOCTURNAL`` for night animals.
- ``institution``: ``work`` means open for business, ``sleep`` means closed.
- ``building``, ``place``, ``object``, ``concept``, ``ai``: always ``present`` (always available).

Everything here is pure: hours in, probabilities out; sampling takes a seeded generator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum

import numpy as np

from daedalus.domain import Entity, EntityKind

__all__ = [
    "AVAILABILITY_BY_ACTIVITY",
    "CHRONOTYPE_SHIFT_HOURS",
    "Activity",
    "Chronotype",
    "active_entities",
    "activity_distribution",
    "activity_probability",
    "availability",
    "availability_at_hour",
    "chronotype_of",
    "hour_of",
    "most_likely_activity",
]


class Activity(StrEnum):
    """What an entity is doing. Non-living kinds use the same names (see the module doc)."""

    SLEEP = "sleep"
    WORK = "work"
    SOCIAL = "social"
    EAT = "eat"
    EXERCISE = "exercise"
    REST = "rest"
    PRESENT = "present"


class Chronotype(StrEnum):
    """Where an entity's day sits on the clock relative to the standard profile."""

    EARLY = "early"
    STANDARD = "standard"
    LATE = "late"
    NOCTURNAL = "nocturnal"


CHRONOTYPE_SHIFT_HOURS: Mapping[Chronotype, float] = {
    Chronotype.EARLY: -2.0,
    Chronotype.STANDARD: 0.0,
    Chronotype.LATE: 2.0,
    Chronotype.NOCTURNAL: 12.0,
}
"""Hours by which a chronotype delays the kind's profile (negative: earlier)."""

AVAILABILITY_BY_ACTIVITY: Mapping[Activity, float] = {
    Activity.SLEEP: 0.0,
    Activity.WORK: 0.9,
    Activity.SOCIAL: 1.0,
    Activity.EAT: 0.9,
    Activity.EXERCISE: 0.6,
    Activity.REST: 1.0,
    Activity.PRESENT: 1.0,
}
"""How reachable an entity is while doing each activity (a sleeper is not reachable at all)."""

_HUMAN_COLUMNS = (
    Activity.SLEEP,
    Activity.WORK,
    Activity.SOCIAL,
    Activity.EAT,
    Activity.EXERCISE,
    Activity.REST,
)
# Relative weights per hour 0..23, normalised below; columns follow _HUMAN_COLUMNS.
_HUMAN_WEIGHTS = (
    (92, 1, 2, 0, 0, 5),
    (95, 1, 1, 0, 0, 3),
    (96, 1, 1, 0, 0, 2),
    (96, 1, 1, 0, 0, 2),
    (95, 1, 0, 0, 1, 3),
    (88, 2, 0, 2, 3, 5),
    (60, 5, 2, 12, 8, 13),
    (25, 15, 5, 25, 10, 20),
    (8, 45, 5, 15, 7, 20),
    (3, 72, 5, 5, 3, 12),
    (2, 75, 6, 3, 2, 12),
    (2, 70, 8, 8, 2, 10),
    (2, 30, 18, 38, 2, 10),
    (3, 55, 10, 20, 2, 10),
    (4, 70, 6, 4, 2, 14),
    (3, 72, 7, 3, 3, 12),
    (3, 65, 10, 4, 5, 13),
    (3, 35, 17, 8, 15, 22),
    (4, 12, 28, 28, 10, 18),
    (5, 6, 35, 25, 6, 23),
    (8, 5, 40, 8, 4, 35),
    (15, 4, 38, 3, 3, 37),
    (45, 2, 25, 2, 1, 25),
    (75, 1, 12, 1, 0, 11),
)
_ANIMAL_WEIGHTS = (
    (85, 0, 1, 1, 3, 10),
    (88, 0, 1, 1, 2, 8),
    (88, 0, 1, 1, 2, 8),
    (86, 0, 1, 2, 3, 8),
    (75, 0, 2, 5, 8, 10),
    (50, 0, 5, 15, 15, 15),
    (25, 0, 8, 25, 22, 20),
    (15, 0, 10, 25, 30, 20),
    (15, 0, 12, 15, 35, 23),
    (18, 0, 12, 8, 35, 27),
    (22, 0, 12, 6, 30, 30),
    (28, 0, 10, 8, 22, 32),
    (35, 0, 8, 10, 15, 32),
    (40, 0, 8, 5, 12, 35),
    (35, 0, 10, 5, 18, 32),
    (25, 0, 12, 8, 28, 27),
    (18, 0, 12, 15, 32, 23),
    (15, 0, 12, 25, 28, 20),
    (20, 0, 12, 25, 20, 23),
    (35, 0, 10, 12, 15, 28),
    (55, 0, 6, 6, 8, 25),
    (70, 0, 4, 3, 5, 18),
    (80, 0, 2, 2, 4, 12),
    (84, 0, 1, 1, 3, 11),
)
# Percent of the hour an institution is open; the rest it is closed (SLEEP).
# fmt: off
_INSTITUTION_OPEN = (
    3, 3, 3, 3, 3, 3, 3, 15, 60, 95, 95, 95, 85, 95, 95, 95, 95, 60, 20, 8, 4, 4, 4, 4,
)
# fmt: on

_Profile = tuple[Mapping[Activity, float], ...]


def _normalised(columns: tuple[Activity, ...], rows: Iterable[tuple[int, ...]]) -> _Profile:
    profile = []
    for row in rows:
        total = sum(row)
        pairs = zip(columns, row, strict=True)
        profile.append({activity: weight / total for activity, weight in pairs})
    return tuple(profile)


_PROFILES: Mapping[EntityKind, _Profile] = {
    EntityKind.HUMAN: _normalised(_HUMAN_COLUMNS, _HUMAN_WEIGHTS),
    EntityKind.ANIMAL: _normalised(_HUMAN_COLUMNS, _ANIMAL_WEIGHTS),
    EntityKind.INSTITUTION: _normalised(
        (Activity.WORK, Activity.SLEEP), ((p, 100 - p) for p in _INSTITUTION_OPEN)
    ),
    **{
        kind: tuple({Activity.PRESENT: 1.0} for _ in range(24))
        for kind in (
            EntityKind.BUILDING,
            EntityKind.PLACE,
            EntityKind.OBJECT,
            EntityKind.CONCEPT,
            EntityKind.AI,
        )
    },
}

_CHRONOTYPE_TRAITS: Mapping[str, Chronotype] = {
    "early_riser": Chronotype.EARLY,
    "early_bird": Chronotype.EARLY,
    "morning_person": Chronotype.EARLY,
    "night_owl": Chronotype.LATE,
    "late_riser": Chronotype.LATE,
    "evening_person": Chronotype.LATE,
    "nocturnal": Chronotype.NOCTURNAL,
    "night_shift": Chronotype.NOCTURNAL,
    **{f"chronotype:{c.value}": c for c in Chronotype},
}


def _check_hour(hour: float) -> float:
    if isinstance(hour, bool) or not isinstance(hour, int | float):
        raise ValueError(f"hour must be a number in [0, 24), got {hour!r}")
    if not math.isfinite(hour) or not 0.0 <= hour < 24.0:
        raise ValueError(f"hour must be in [0, 24), got {hour!r}")
    return float(hour)


def _parse_activity(activity: Activity | str) -> Activity:
    try:
        return Activity(activity)
    except ValueError:
        names = ", ".join(a.value for a in Activity)
        raise ValueError(f"unknown activity {activity!r}; expected one of {names}") from None


def _parse_kind(kind: EntityKind | str) -> EntityKind:
    try:
        return EntityKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in EntityKind)
        raise ValueError(f"unknown entity kind {kind!r}; expected one of {names}") from None


def _parse_chronotype(chronotype: Chronotype | str) -> Chronotype:
    try:
        return Chronotype(chronotype)
    except ValueError:
        names = ", ".join(c.value for c in Chronotype)
        raise ValueError(f"unknown chronotype {chronotype!r}; expected one of {names}") from None


def activity_distribution(
    hour: float,
    chronotype: Chronotype | str = Chronotype.STANDARD,
    kind: EntityKind | str = EntityKind.HUMAN,
) -> dict[Activity, float]:
    """Probability of every activity at ``hour`` (0 <= hour < 24) (M14); values sum to 1.

    Activities the kind never does are present with probability 0.
    """
    local = (_check_hour(hour) - CHRONOTYPE_SHIFT_HOURS[_parse_chronotype(chronotype)]) % 24.0
    profile = _PROFILES[_parse_kind(kind)]
    index = math.floor(local) % 24
    fraction = local - math.floor(local)
    here, following = profile[index], profile[(index + 1) % 24]
    return {
        activity: (1.0 - fraction) * here.get(activity, 0.0)
        + fraction * following.get(activity, 0.0)
        for activity in Activity
    }


def activity_probability(
    hour: float,
    activity: Activity | str,
    chronotype: Chronotype | str = Chronotype.STANDARD,
    kind: EntityKind | str = EntityKind.HUMAN,
) -> float:
    """Probability in [0, 1] that an entity of ``kind`` is doing ``activity`` at ``hour`` (M14)."""
    wanted = _parse_activity(activity)
    return activity_distribution(hour, chronotype, kind)[wanted]


def most_likely_activity(
    hour: float,
    chronotype: Chronotype | str = Chronotype.STANDARD,
    kind: EntityKind | str = EntityKind.HUMAN,
) -> Activity:
    """The single most probable activity at ``hour`` (ties go to the earlier enum member)."""
    distribution = activity_distribution(hour, chronotype, kind)
    return max(Activity, key=lambda activity: distribution[activity])


def availability_at_hour(
    hour: float,
    chronotype: Chronotype | str = Chronotype.STANDARD,
    kind: EntityKind | str = EntityKind.HUMAN,
) -> float:
    """Probability in [0, 1] of being awake and reachable at ``hour``.

    The activity distribution weighted by ``AVAILABILITY_BY_ACTIVITY``.
    """
    distribution = activity_distribution(hour, chronotype, kind)
    reach = sum(p * AVAILABILITY_BY_ACTIVITY[a] for a, p in distribution.items())
    return min(1.0, max(0.0, reach))


def hour_of(timestamp: datetime) -> float:
    """The clock time of ``timestamp`` as fractional hours (its own zone, naive or aware)."""
    return timestamp.hour + timestamp.minute / 60.0 + timestamp.second / 3600.0


def chronotype_of(entity: Entity) -> Chronotype:
    """The chronotype named by the entity's traits, else ``STANDARD``.

    Recognised traits (case and ``-``/space insensitive): ``early_riser``, ``early_bird``,
    ``morning_person``, ``night_owl``, ``late_riser``, ``evening_person``, ``nocturnal``,
    ``night_shift`` and ``chronotype:<early|standard|late|nocturnal>``. The first one wins.
    """
    for trait in entity.traits:
        key = trait.strip().lower().replace("-", "_").replace(" ", "_")
        if key in _CHRONOTYPE_TRAITS:
            return _CHRONOTYPE_TRAITS[key]
    return Chronotype.STANDARD


def availability(
    entity: Entity, timestamp: datetime, chronotype: Chronotype | None = None
) -> float:
    """Probability in [0, 1] that ``entity`` is awake and available at ``timestamp`` (M14).

    The chronotype defaults to the one its traits name (``chronotype_of``).
    """
    chosen = chronotype if chronotype is not None else chronotype_of(entity)
    return availability_at_hour(hour_of(timestamp), chosen, entity.kind)


def active_entities(
    entities: Iterable[Entity],
    timestamp: datetime,
    rng: np.random.Generator,
    threshold: float = 0.1,
) -> tuple[Entity, ...]:
    """The entities that are active at ``timestamp``, in input order (M14).

    An entity whose availability is below ``threshold`` is never active (nobody is woken at
    random); otherwise it is active with probability equal to its availability. Exactly one
    draw is taken per entity, so the result depends only on the inputs and the generator state.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    chosen = tuple(entities)
    draws = rng.random(len(chosen))
    active = []
    for entity, draw in zip(chosen, draws, strict=True):
        level = availability(entity, timestamp)
        if level >= threshold and float(draw) < level:
            active.append(entity)
    return tuple(active)

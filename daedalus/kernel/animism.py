"""Which kinds of entity may act and speak at each animism level (M16).

0: only humans; 1: animals and buildings too; 2: objects and places; 3: abstract concepts and
institutions; 4 (adaptive) and 5 (spiritual) admit the same kinds as 3 with a looser voice;
6: AI agents as well.
"""

from __future__ import annotations

from daedalus.domain import EntityKind

__all__ = ["MAX_ANIMISM", "admitted_kinds", "animism_allows"]

MAX_ANIMISM = 6

_ADDED_AT = {
    EntityKind.HUMAN: 0,
    EntityKind.ANIMAL: 1,
    EntityKind.BUILDING: 1,
    EntityKind.OBJECT: 2,
    EntityKind.PLACE: 2,
    EntityKind.CONCEPT: 3,
    EntityKind.INSTITUTION: 3,
    EntityKind.AI: 6,
}


def _check(level: int) -> None:
    if not 0 <= level <= MAX_ANIMISM:
        raise ValueError(f"animism level must be 0-{MAX_ANIMISM}, got {level}")


def animism_allows(kind: EntityKind, level: int) -> bool:
    """True if an entity of ``kind`` may take part in dialog at animism ``level``."""
    _check(level)
    return _ADDED_AT[kind] <= level


def admitted_kinds(level: int) -> frozenset[EntityKind]:
    """Every kind admitted at ``level``."""
    _check(level)
    return frozenset(kind for kind, added in _ADDED_AT.items() if added <= level)

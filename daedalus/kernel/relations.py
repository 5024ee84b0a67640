"""Relationship evolution and contradiction bookkeeping (M13) — pure logic.

A dialog changes relationships in two ways: counted facts (how often two people addressed each
other, what they now both know) and judged shifts (trust and alignment deltas a model reads from
the transcript). This module applies both, clamped to the domain ranges.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from daedalus.domain import DialogTurn, ExposureEvent, Relationship, relationship_key

__all__ = ["MAX_SHARED_KNOWLEDGE", "apply_dialog", "interaction_counts", "pairs_of"]

MAX_SHARED_KNOWLEDGE = 24
"""Shared-knowledge items kept per relationship (the most recent)."""


def pairs_of(participants: Sequence[str]) -> list[str]:
    """Relationship keys of every pair among ``participants``, sorted."""
    people = sorted(dict.fromkeys(participants))
    return [relationship_key(a, b) for i, a in enumerate(people) for b in people[i + 1 :]]


def interaction_counts(turns: Sequence[DialogTurn]) -> Counter[str]:
    """Exchanges per pair: a turn counts for (speaker, target) when aimed, else for the reply
    to the previous speaker."""
    counts: Counter[str] = Counter()
    previous: str | None = None
    for turn in turns:
        other = turn.target or previous
        if other is not None and other != turn.speaker:
            counts[relationship_key(turn.speaker, other)] += 1
        previous = turn.speaker
    return counts


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def apply_dialog(
    relationships: Mapping[str, Relationship],
    participants: Sequence[str],
    turns: Sequence[DialogTurn],
    told: Iterable[ExposureEvent],
    deltas: Mapping[str, tuple[float, float]],
) -> dict[str, Relationship]:
    """Relationships of the participants after a dialog (only the pairs that changed).

    ``deltas`` maps a pair key to (trust_delta, alignment_delta). Pairs with no relationship yet
    gain an ``acquaintance`` one once they have exchanged a turn. Shared knowledge gains every
    told item one side said and the other heard.
    """
    counts = interaction_counts(turns)
    shared: dict[str, list[str]] = {}
    for event in told:
        if event.source in participants:
            shared.setdefault(relationship_key(event.source, event.entity_id), []).append(
                event.information
            )
    updated: dict[str, Relationship] = {}
    for key in pairs_of(participants):
        a, b = key.split("|")
        exchanged = counts.get(key, 0)
        trust_delta, alignment_delta = deltas.get(key, (0.0, 0.0))
        current = relationships.get(key)
        if current is None:
            if not exchanged:
                continue
            current = Relationship(a=a, b=b)
        if not (exchanged or trust_delta or alignment_delta or key in shared):
            continue
        knowledge = list(dict.fromkeys([*current.shared_knowledge, *shared.get(key, [])]))
        updated[key] = current.model_copy(
            update={
                "trust": _clamp(current.trust + trust_delta, 0.0, 1.0),
                "alignment": _clamp(current.alignment + alignment_delta, -1.0, 1.0),
                "interaction_count": current.interaction_count + exchanged,
                "shared_knowledge": tuple(knowledge[-MAX_SHARED_KNOWLEDGE:]),
            }
        )
    return updated

"""Text blocks and lookups the training formatters share: who someone is, what they knew,
how they stood with others, what was said (M3, M7, M13)."""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from daedalus.domain import (
    CognitiveState,
    Dialog,
    DialogTurn,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    Relationship,
    Timepoint,
    relationship_key,
)
from daedalus.exports._markdown import one_line
from daedalus.provenance import Provenance
from daedalus.store.record import RunRecord
from daedalus.validators.enforcement import told_at, trusted_material

__all__ = [
    "HISTORY_LIMIT",
    "KNOWLEDGE_LIMIT",
    "Known",
    "Trusted",
    "causal_history",
    "dialog_exposures",
    "entity_card",
    "initial_relationship",
    "is_stage_direction",
    "knowledge_block",
    "relationship_after",
    "relationship_before",
    "relationship_text",
    "scene_line",
    "short_card",
    "state_text",
    "transcript",
    "trusted",
]

HISTORY_LIMIT = 6
"""Most recent causal ancestors listed in a prompt."""

KNOWLEDGE_LIMIT = 15
"""Most recent knowledge items listed in a prompt."""

Known = tuple[bool, Relationship | None]
"""(whether the value is known, the relationship or None when the pair had none)."""


def entity_card(record: RunRecord, entity_id: str) -> str:
    """``Name (role; kind). Traits: a, b.`` for an entity of the record."""
    entity = record.entity(entity_id)
    if entity is None:
        return entity_id
    role = f"{entity.role}; " if entity.role else ""
    traits = f" Traits: {', '.join(entity.traits)}." if entity.traits else ""
    return f"{entity.name} ({role}{entity.kind.value}).{traits}"


def scene_line(timepoint: Timepoint) -> str:
    """``[id] 2026-03-19 09:00: event.`` for a timepoint."""
    when = timepoint.timestamp.isoformat(sep=" ", timespec="minutes")
    event = one_line(timepoint.event_description) or "(no description)"
    end = "" if event[-1] in ".!?" else "."
    return f"[{timepoint.id}] {when}: {event}{end}"


def causal_history(prov: Provenance, timepoint_id: str | None) -> list[str]:
    """The causal path up to and including ``timepoint_id``, oldest first, at most
    ``HISTORY_LIMIT`` lines (M7)."""
    if timepoint_id is None:
        return []
    path = list(reversed(prov.timeline.path_to_root(timepoint_id)))[-HISTORY_LIMIT:]
    return [f"- {scene_line(prov.timeline[tp_id])}" for tp_id in path]


def knowledge_block(
    record: RunRecord, events: Sequence[ExposureEvent], private: Set[str] = frozenset()
) -> list[str]:
    """One line per exposure (the most recent ``KNOWLEDGE_LIMIT``), or a line saying none.
    Exposures whose id is in ``private`` are marked as not to be said."""
    if not events:
        return ["- (nothing yet)"]
    return [
        f"- [{e.kind.value}] {one_line(e.information)} "
        f"(from {record.name_of(e.source)}, confidence {e.confidence:.2f})"
        + (" [private: never said aloud]" if e.id in private else "")
        for e in events[-KNOWLEDGE_LIMIT:]
    ]


def short_card(record: RunRecord, entity_id: str) -> str:
    """``Name (role)`` or just the name."""
    entity = record.entity(entity_id)
    if entity is None:
        return entity_id
    return f"{entity.name} ({entity.role})" if entity.role else entity.name


def state_text(mind: CognitiveState | None, body: PhysicalState | None) -> str | None:
    """``valence .., arousal .., energy ../..; fatigue .., pain ..`` or None when unknown."""
    parts = []
    if mind is not None:
        parts.append(
            f"valence {mind.valence:.2f}, arousal {mind.arousal:.2f}, "
            f"energy {mind.energy:.1f}/{mind.energy_capacity:.1f}"
        )
    if body is not None:
        parts.append(f"fatigue {body.fatigue:.2f}, pain {body.pain:.2f}")
    return "; ".join(parts) if parts else None


def relationship_text(record: RunRecord, rel: Relationship | None) -> str:
    """A relationship on one line, or a line saying there was none."""
    if rel is None:
        return "no relationship yet"
    return (
        f"{rel.kind}, trust {rel.trust:.2f}, alignment {rel.alignment:.2f}, power of "
        f"{record.name_of(rel.a)} over {record.name_of(rel.b)} {rel.power:.2f}, "
        f"{rel.interaction_count} exchanges"
    )


def is_stage_direction(turn: DialogTurn) -> bool:
    """True for a turn that is wholly parenthesised, such as ``(stays silent)``."""
    text = turn.content.strip()
    return text.startswith("(") and text.endswith(")")


def transcript(record: RunRecord, turns: Sequence[DialogTurn], *, indexed: bool = False) -> str:
    """``Name (tone): line`` rows (``i. `` prefixed when ``indexed``)."""
    if not turns:
        return "(nothing has been said yet)"
    rows = []
    for index, turn in enumerate(turns):
        prefix = f"{index}. " if indexed else ""
        rows.append(
            f"{prefix}{record.name_of(turn.speaker)} ({one_line(turn.emotional_tone)}): "
            f"{one_line(turn.content)}"
        )
    return "\n".join(rows)


def dialog_exposures(record: RunRecord, dialog: Dialog) -> list[ExposureEvent]:
    """The ``told`` exposures a dialog created (M19): at its timepoint, from one participant
    to another, in log order."""
    people = set(dialog.participants)
    return [
        e
        for e in record.exposures
        if e.kind is ExposureKind.TOLD
        and e.timepoint_id == dialog.timepoint_id
        and e.source in people
        and e.entity_id in people
    ]


def initial_relationship(record: RunRecord, key: str) -> Relationship | None:
    """The pair's relationship as the scenario declared it, or None."""
    if record.scenario is None:
        return None
    for spec in record.scenario.relationships:
        if relationship_key(spec.a, spec.b) == key:
            return Relationship(
                a=spec.a, b=spec.b, kind=spec.kind, trust=spec.trust,
                alignment=spec.alignment, power=spec.power,
            )
    return None


def _with_pair(record: RunRecord, key: str) -> list[Dialog]:
    return [d for d in record.dialogs if key in _pair_keys(d.participants)]


def _pair_keys(participants: Sequence[str]) -> set[str]:
    people = sorted(set(participants))
    return {relationship_key(a, b) for i, a in enumerate(people) for b in people[i + 1 :]}


def relationship_before(
    record: RunRecord, prov: Provenance, dialog: Dialog, key: str
) -> Known:
    """The pair's relationship just before ``dialog`` (M13).

    Known from the nearest snapshot up the causal path that holds the pair (every dialog files
    one, M13); else, when no earlier dialog on the causal path involved the pair, it is the
    scenario's initial relationship.
    """
    timepoint = prov.timeline[dialog.timepoint_id]
    for moment in prov.timeline.path_to_root(timepoint.id)[1:]:
        snapshot = record.snapshot_at(moment)
        if snapshot is not None and key in snapshot.relationships:
            return True, snapshot.relationships[key]
    here = timepoint.id
    earlier = [
        d for d in _with_pair(record, key)
        if d.timepoint_id != here and prov.timeline.is_upstream(d.timepoint_id, here)
    ]
    if earlier:
        return False, None
    return True, initial_relationship(record, key)


def relationship_after(record: RunRecord, dialog: Dialog, key: str) -> Known:
    """The pair's relationship right after ``dialog``: from the snapshot of its timepoint, else
    the final value when this is the only dialog of the run involving the pair."""
    snapshot = record.snapshot_at(dialog.timepoint_id)
    if snapshot is not None:
        return True, snapshot.relationships.get(key)
    if [d.id for d in _with_pair(record, key)] == [dialog.id]:
        return True, record.relationships.get(key)
    return False, None


@dataclass(frozen=True)
class Trusted:
    """Material that passed the run's M4 checks: (dialog id, turn index) pairs and told
    exposure ids. Turns citing what the speaker could not know, and told exposures whose
    source could not have known them, stay in the log but are never a training answer."""

    turns: frozenset[tuple[str, int]]
    told: frozenset[str]

    def allows(self, event: ExposureEvent) -> bool:
        """True unless ``event`` is a told exposure that failed network flow."""
        return event.kind is not ExposureKind.TOLD or event.id in self.told


def trusted(record: RunRecord, prov: Provenance) -> Trusted:
    """Recompute ``enforcement.trusted_material`` (M4) for every timepoint of the run,
    as progressive training (M2) applied it: one dialog and the told exposures per timepoint,
    relationships as of the timepoint's snapshot (the final ones when none was taken)."""
    entities = {e.id: e for e in record.entities}
    turns: set[tuple[str, int]] = set()
    told_ok: set[str] = set()
    for tp in record.timepoints:
        dialogs = [d for d in record.dialogs if d.timepoint_id == tp.id]
        told = told_at(record.exposures, tp.id)
        if not dialogs and not told:
            continue
        snapshot = record.snapshot_at(tp.id)
        rels = (snapshot.relationships if snapshot is not None else record.relationships).values()
        for index, dialog in enumerate(dialogs or [None]):
            material = trusted_material(
                dialog=dialog,
                told=told if index == 0 else (),
                provenance=prov,
                relationships=rels,
                entities=entities,
                co_present={tp.id: tp.entities_present},
            )
            if dialog is not None:
                turns.update((dialog.id, i) for i in material.turns)
            told_ok.update(material.told)
    return Trusted(turns=frozenset(turns), told=frozenset(told_ok))

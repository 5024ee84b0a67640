"""Who takes part at a timepoint: rest between moments, circadian and bodily limits, ADPRS gating.

Pure rules the per-timepoint graph runs before each dialog (M1, M14, ADPRS):

- rest: between two moments bodies and minds recover in proportion to the hours elapsed
  (``ENERGY_RECOVERY_PER_HOUR``, ``FATIGUE_RECOVERY_PER_HOUR``); time running backwards recovers
  nothing.
- refusal (M14, M4): an entity present but unlikely awake at that hour
  (``availability < AVAILABILITY_THRESHOLD``), or whose body forbids speaking
  (``biological_constraints`` on ``SPEAKING``), does not take part; each refusal is a
  ``ValidationRecord`` with action ``"rejected"``.
- activation (ADPRS): envelopes from presence and importance along the causal path to the
  moment, weighted by relationship centrality, give each present entity's phi there.
- participants: present, admitted by the animism level (M16), not refused, band at least
  DIALOG, ordered by phi, capped. Everyone else present gets a trajectory snapshot level.

Nothing here calls a model or reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import (
    CognitiveState,
    Entity,
    PhysicalState,
    Relationship,
    ResolutionLevel,
    Timepoint,
)
from daedalus.errors import ConfigError
from daedalus.kernel.adprs import band, composite_phi, envelopes_for
from daedalus.kernel.animism import animism_allows
from daedalus.kernel.circadian import Chronotype, availability, chronotype_of
from daedalus.kernel.fidelity import relationship_centrality
from daedalus.state import ValidationRecord
from daedalus.validators import Action, Severity, ValidatorName, biological_constraints

__all__ = [
    "AVAILABILITY_THRESHOLD",
    "CIRCADIAN",
    "ENERGY_RECOVERY_PER_HOUR",
    "FATIGUE_RECOVERY_PER_HOUR",
    "SALIENCE_FLOOR",
    "SNAPSHOT_CEILING",
    "SPEAKING",
    "GateDecision",
    "activation",
    "causal_steps",
    "chronotype_for",
    "find_timepoint",
    "gate_timepoint",
    "hours_between",
    "previous_moment_time",
    "refusals",
    "refused_participation",
    "rest",
    "rest_all",
    "salience",
]

ENERGY_RECOVERY_PER_HOUR = 5.0
"""Cognitive energy regained per hour between moments (a night of eight hours gives 40)."""
FATIGUE_RECOVERY_PER_HOUR = 0.05
"""Fatigue shed per hour between moments (eight hours clear 0.4 of it)."""
AVAILABILITY_THRESHOLD = 0.3
"""Circadian availability (M14) below which a present entity is taken to be asleep or away."""
SALIENCE_FLOOR = 0.5
"""Salience of an isolated entity; the most central one gets 1.0 (linear in between)."""
SNAPSHOT_CEILING = ResolutionLevel.GRAPH
"""Highest level a present entity that does not talk is recorded at (no dialog was spent)."""
SPEAKING = Action(kind="speak", exertion=0.05, description="take part in a conversation")
"""The action a participant's body must allow."""
CIRCADIAN = "circadian"
"""Validator label of circadian refusals (bodily ones use ``biological_constraints``)."""

_REFUSERS = frozenset({CIRCADIAN, ValidatorName.BIOLOGICAL_CONSTRAINTS.value})


def _instant(moment: datetime) -> datetime:
    # Naive timestamps are read as UTC, as provenance does.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def hours_between(earlier: datetime, later: datetime) -> float:
    """Hours from ``earlier`` to ``later``; 0 when ``later`` is not after ``earlier``."""
    seconds = (_instant(later) - _instant(earlier)).total_seconds()
    return max(0.0, seconds / 3600.0)


def rest(
    cognitive: CognitiveState, physical: PhysicalState, hours: float
) -> tuple[CognitiveState, PhysicalState]:
    """Mind and body after ``hours`` of rest: energy up by ``ENERGY_RECOVERY_PER_HOUR`` an hour
    (never above capacity, never lowered), fatigue down by ``FATIGUE_RECOVERY_PER_HOUR`` an hour
    (never below 0). Zero hours returns the inputs unchanged."""
    if math.isnan(hours) or hours < 0.0:
        raise ConfigError(f"hours of rest must be a number >= 0, got {hours!r}")
    if hours == 0.0:
        return cognitive, physical
    energy = cognitive.energy
    if energy < cognitive.energy_capacity:
        energy = min(cognitive.energy_capacity, energy + ENERGY_RECOVERY_PER_HOUR * hours)
    fatigue = max(0.0, physical.fatigue - FATIGUE_RECOVERY_PER_HOUR * hours)
    mind = (
        cognitive if energy == cognitive.energy else cognitive.model_copy(update={"energy": energy})
    )
    body = (
        physical
        if fatigue == physical.fatigue
        else physical.model_copy(update={"fatigue": fatigue})
    )
    return mind, body


def rest_all(
    cognitive: Mapping[str, CognitiveState],
    physical: Mapping[str, PhysicalState],
    hours: float,
) -> tuple[dict[str, CognitiveState], dict[str, PhysicalState]]:
    """``rest`` for every entity with a stored state; only the states that changed come back.

    An entity with no stored mind (or body) is at the default, already rested, and is skipped.
    """
    minds: dict[str, CognitiveState] = {}
    bodies: dict[str, PhysicalState] = {}
    for entity_id in sorted(set(cognitive) | set(physical)):
        mind = cognitive.get(entity_id)
        body = physical.get(entity_id)
        new_mind, new_body = rest(mind or CognitiveState(), body or PhysicalState(), hours)
        if mind is not None and new_mind is not mind:
            minds[entity_id] = new_mind
        if body is not None and new_body is not body:
            bodies[entity_id] = new_body
    return minds, bodies


def _by_id(timepoints: Iterable[Timepoint]) -> dict[str, Timepoint]:
    return {tp.id: tp for tp in timepoints}


def _find(timepoints: Mapping[str, Timepoint], timepoint_id: str) -> Timepoint:
    found = timepoints.get(timepoint_id)
    if found is None:
        raise ConfigError(f"timepoint {timepoint_id!r} is not in the state's timepoints")
    return found


def find_timepoint(timepoints: Iterable[Timepoint], timepoint_id: str | None) -> Timepoint:
    """The timepoint with this id (the graph's ``cursor``); ``ConfigError`` naming what is
    missing otherwise."""
    if timepoint_id is None:
        raise ConfigError("the timestep needs 'cursor' (the current timepoint id) in the state")
    return _find(_by_id(timepoints), timepoint_id)


def previous_moment_time(timepoints: Sequence[Timepoint], timepoint_id: str) -> datetime | None:
    """When the moment before ``timepoint_id`` ended: the latest timestamp of its causal parent
    and the parent's details (M8 sub-moments). ``None`` for a root (nothing to rest from)."""
    known = _by_id(timepoints)
    parent_id = _find(known, timepoint_id).causal_parent
    if parent_id is None or parent_id not in known:
        return None
    inside = {parent_id}
    latest = known[parent_id].timestamp
    grew = True
    while grew:
        grew = False
        for tp in timepoints:
            if tp.moment_of in inside and tp.id not in inside:
                inside.add(tp.id)
                latest = max(latest, tp.timestamp, key=_instant)
                grew = True
    return latest


def causal_steps(timepoints: Sequence[Timepoint], timepoint_id: str) -> list[Timepoint]:
    """The moments from the root down to ``timepoint_id`` along ``causal_parent`` links, without
    M8 sub-moments: step ``i`` of the ADPRS timeline. Other branches are not on the path."""
    known = _by_id(timepoints)
    path: list[Timepoint] = []
    seen: set[str] = set()
    current: str | None = timepoint_id
    while current is not None and current in known:
        if current in seen:
            raise ConfigError(f"timepoint {current!r} is part of a causal cycle")
        seen.add(current)
        tp = known[current]
        if tp.moment_of is None or tp.id == timepoint_id:
            path.append(tp)
        current = tp.causal_parent
    if not path or path[0].id != timepoint_id:
        raise ConfigError(f"timepoint {timepoint_id!r} is not in the state's timepoints")
    return path[::-1]


def salience(entity_ids: Iterable[str], relationships: Iterable[Relationship]) -> dict[str, float]:
    """ADPRS weight per entity from its relationship centrality (M5):
    ``SALIENCE_FLOOR + (1 - SALIENCE_FLOOR) * centrality``.

    With no weighted relationship at all there is nothing to rank by, and every entity gets 1.0.
    """
    centrality = relationship_centrality(entity_ids, relationships)
    if not any(centrality.values()):
        return dict.fromkeys(centrality, 1.0)
    return {e: SALIENCE_FLOOR + (1.0 - SALIENCE_FLOOR) * c for e, c in centrality.items()}


def activation(
    timepoints: Sequence[Timepoint],
    timepoint_id: str,
    entity_ids: Iterable[str],
    weights: Mapping[str, float],
) -> dict[str, float]:
    """phi of each entity at ``timepoint_id`` (ADPRS): envelopes from presence and importance
    over ``causal_steps`` up to it, scaled by ``weights`` (see ``salience``)."""
    steps = causal_steps(timepoints, timepoint_id)
    ids = list(dict.fromkeys(entity_ids))
    envelopes = envelopes_for(ids, steps, salience={e: weights.get(e, 1.0) for e in ids})
    here = len(steps) - 1
    return {e: round(composite_phi(envelopes[e], here), 12) for e in ids}


def chronotype_for(entity: Entity, declared: str | None = None) -> Chronotype:
    """The chronotype the entity's traits name, else the one its scenario declares, else
    STANDARD."""
    named = chronotype_of(entity)
    if named is not Chronotype.STANDARD or declared is None:
        return named
    try:
        return Chronotype(declared)
    except ValueError:
        choices = ", ".join(c.value for c in Chronotype)
        raise ConfigError(f"unknown chronotype {declared!r}; expected one of {choices}") from None


def _record(timepoint_id: str, entity_id: str, validator: str, message: str) -> ValidationRecord:
    return ValidationRecord(
        id=f"val-{timepoint_id}-{validator}-{entity_id}",
        validator=validator,
        entity_id=entity_id,
        timepoint_id=timepoint_id,
        message=message,
        action="rejected",
    )


def refusals(
    entity: Entity,
    physical: PhysicalState,
    timepoint: Timepoint,
    chronotype: Chronotype,
) -> list[ValidationRecord]:
    """Why ``entity`` cannot take part at ``timepoint`` (empty when it can) (M14, M4, M8).

    A circadian refusal when its availability at that hour is below ``AVAILABILITY_THRESHOLD``;
    a bodily one when ``biological_constraints`` finds an error for ``SPEAKING`` (asleep, pain,
    fatigue or illness beyond what speaking allows). Warnings do not refuse anyone.
    """
    found: list[ValidationRecord] = []
    odds = availability(entity, timepoint.timestamp, chronotype)
    if odds < AVAILABILITY_THRESHOLD:
        hour = timepoint.timestamp.strftime("%H:%M")
        message = (
            f"{entity.id} is unlikely to be awake at {hour} (availability {odds:.2f} < "
            f"{AVAILABILITY_THRESHOLD:g}, chronotype {chronotype.value}); participation refused"
        )
        found.append(_record(timepoint.id, entity.id, CIRCADIAN, message))
    hour_value = timepoint.timestamp.hour + timepoint.timestamp.minute / 60.0
    body = biological_constraints(
        entity, physical, hour_value, (SPEAKING,), timepoint_id=timepoint.id
    )
    errors = [v.message for v in body.violations if v.severity is Severity.ERROR]
    if errors:
        message = "; ".join(errors) + "; participation refused"
        validator = ValidatorName.BIOLOGICAL_CONSTRAINTS.value
        found.append(_record(timepoint.id, entity.id, validator, message))
    return found


def refused_participation(records: Iterable[ValidationRecord], timepoint_id: str) -> frozenset[str]:
    """Entities whose participation at ``timepoint_id`` a circadian or bodily check refused."""
    return frozenset(
        r.entity_id
        for r in records
        if r.timepoint_id == timepoint_id
        and r.action == "rejected"
        and r.validator in _REFUSERS
        and r.entity_id is not None
    )


class GateDecision(BaseModel):
    """Who talks at one timepoint and what everyone present gets (M1, M14, ADPRS).

    ``phi`` covers every present entity; ``participants`` are ordered by phi (highest first);
    ``snapshot_levels`` holds the level recorded for each present entity that does not talk:
    its band when ADPRS gated it out, at most ``SNAPSHOT_CEILING`` otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timepoint_id: str
    phi: Mapping[str, float]
    participants: tuple[str, ...]
    refused: tuple[ValidationRecord, ...] = ()
    checked: int = Field(default=0, ge=0, description="entities the circadian check saw (M14)")
    snapshot_levels: Mapping[str, ResolutionLevel]


def gate_timepoint(
    *,
    timepoint_id: str,
    timepoints: Sequence[Timepoint],
    entities: Mapping[str, Entity],
    relationships: Iterable[Relationship],
    physical: Mapping[str, PhysicalState],
    animism: int,
    cap: int,
    chronotypes: Mapping[str, str] | None = None,
    floors: Mapping[str, ResolutionLevel] | None = None,
) -> GateDecision:
    """Decide who takes part in the dialog at ``timepoint_id`` (see the module docstring).

    An entity's level here is the higher of its ADPRS band and its ``floors`` entry — the
    fidelity plan's cell for this moment or the resolution it has earned (M1, M2, M5) — so the
    plan can spend more than the activation predicts, which the shadow report then shows.
    Present entities missing from ``entities`` are ignored. Fewer than two participants means
    no dialog; the snapshot levels then cover every present entity.
    """
    if cap < 1:
        raise ConfigError(f"the dialog participant cap must be at least 1, got {cap}")
    timepoint = _find(_by_id(timepoints), timepoint_id)
    present = [e for e in dict.fromkeys(timepoint.entities_present) if e in entities]
    weights = salience(entities, relationships)
    phi = activation(timepoints, timepoint_id, present, weights)
    declared = chronotypes or {}
    refused: list[ValidationRecord] = []
    admitted: list[str] = []
    checked = 0
    for entity_id in present:
        entity = entities[entity_id]
        if not animism_allows(entity.kind, animism):
            continue
        checked += 1
        chronotype = chronotype_for(entity, declared.get(entity_id))
        found = refusals(entity, physical.get(entity_id, PhysicalState()), timepoint, chronotype)
        refused.extend(found)
        if not found:
            admitted.append(entity_id)
    floor = floors or {}
    level = {
        e: max(band(phi[e]), floor.get(e, ResolutionLevel.TENSOR_ONLY)) for e in present
    }
    gated = [e for e in admitted if level[e] >= ResolutionLevel.DIALOG]
    ranked = sorted(gated, key=lambda e: (-phi[e], present.index(e)))[:cap]
    talking = tuple(ranked) if len(ranked) >= 2 else ()
    snapshots = {e: min(level[e], SNAPSHOT_CEILING) for e in present if e not in talking}
    return GateDecision(
        timepoint_id=timepoint_id,
        phi=phi,
        participants=tuple(ranked),
        refused=tuple(refused),
        checked=checked,
        snapshot_levels=snapshots,
    )

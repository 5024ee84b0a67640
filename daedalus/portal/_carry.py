"""The accepted trials carried into the forward run (M3, M7, M8, M17).

The trial of the candidate chosen at slot ``k - 1`` predicted what each of its people would know
on arriving at slot ``k`` and how they would be (valence, arousal, energy, fatigue).
``trial_exposures`` turns the knowledge into ``learned`` exposures at slot ``k``'s timepoint and
``trial_states`` gives the states, so the forward simulation starts each moment from what the
search accepted (bodies then recover over the time since the previous moment, as at every
moment). ``trial_knowledge_drift`` compares the finished run with the predictions and names
every predicted item an entity does not hold at slot ``k`` (for instance because a validator
removed it); ``trial_state_drift`` names every person whose mood (valence, arousal) after slot
``k`` was simulated lies more than ``STATE_TOLERANCE`` from the prediction. Energy and fatigue
are carried but not compared: the body recovers over the months between moments before the
moment runs, so a gap there is rest, not an inconsistency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.portal._distinct import normalised
from daedalus.portal._records import PortalRecord
from daedalus.portal._trial import Condition, EntityForecast

__all__ = [
    "STATE_TOLERANCE",
    "TRIAL_SOURCE",
    "trial_exposures",
    "trial_knowledge_drift",
    "trial_state_drift",
    "trial_states",
]

STATE_TOLERANCE = 0.3
"""Largest gap in valence or arousal between a trial's predicted state and the run's that is
not reported."""
_COMPARED = ("valence", "arousal")

TRIAL_SOURCE = "portal-trial"
"""The ``source`` prefix of exposures carried from accepted trials (``portal-trial:<id>``)."""


def _slot_of(record: PortalRecord, timepoint: Timepoint) -> int | None:
    ids = [tp.id for tp in record.timeline]
    return ids.index(timepoint.id) if timepoint.id in ids else None


def trial_exposures(
    record: PortalRecord, timepoint: Timepoint, known: Iterable[ExposureEvent] = ()
) -> tuple[ExposureEvent, ...]:
    """``learned`` exposures at ``timepoint`` (a chain timepoint) of what the accepted trial
    into its slot predicted each person would know there; items an entity already holds in
    ``known`` (compared by normalised text) are left out. None for the origin."""
    slot = _slot_of(record, timepoint)
    trial = record.chosen_trial(slot - 1) if slot else None
    if trial is None:
        return ()
    held = {(e.entity_id, normalised(e.information)) for e in known}
    events = []
    for forecast in trial.forecasts:
        for number, item in enumerate(forecast.knows):
            if (forecast.entity, normalised(item)) in held:
                continue
            held.add((forecast.entity, normalised(item)))
            events.append(
                ExposureEvent(
                    id=f"{timepoint.id}-trial-{forecast.entity}-{number}",
                    entity_id=forecast.entity,
                    kind=ExposureKind.LEARNED,
                    information=item,
                    source=f"{TRIAL_SOURCE}:{trial.candidate_id}",
                    timepoint_id=timepoint.id,
                    timestamp=timepoint.timestamp,
                )
            )
    return tuple(events)


def trial_knowledge_drift(
    record: PortalRecord, knowledge_at: Callable[[str, str], Sequence[ExposureEvent]]
) -> tuple[str, ...]:
    """One line per item an accepted trial predicted an entity would know at the next slot
    that ``knowledge_at(entity, timepoint id)`` of the finished run does not hold."""
    drift: list[str] = []
    for slot, timepoint in enumerate(record.timeline):
        trial = record.chosen_trial(slot - 1) if slot else None
        if trial is None:
            continue
        for forecast in trial.forecasts:
            held = {normalised(e.information) for e in knowledge_at(forecast.entity, timepoint.id)}
            missing = [item for item in forecast.knows if normalised(item) not in held]
            drift.extend(
                f"{forecast.entity} at {timepoint.id}: the accepted trial "
                f"{trial.candidate_id} predicted '{item[:80]}', which the run does not hold"
                for item in missing
            )
    return tuple(drift)


def trial_states(record: PortalRecord, timepoint: Timepoint) -> dict[str, EntityForecast]:
    """What the accepted trial into ``timepoint``'s slot predicted of each of its people on
    arrival, by entity id (empty for the origin and for timepoints off the chain)."""
    slot = _slot_of(record, timepoint)
    trial = record.chosen_trial(slot - 1) if slot else None
    return {} if trial is None else {f.entity: f for f in trial.forecasts}


def trial_state_drift(
    record: PortalRecord, after: Mapping[str, Mapping[str, Condition]]
) -> tuple[str, ...]:
    """One line per person and slot whose mood after the slot was simulated (``after``:
    timepoint id -> entity id -> (valence, arousal, energy, fatigue)) lies more than
    ``STATE_TOLERANCE`` from the accepted trial's prediction in valence or arousal; people the
    run holds no state for there are not compared."""
    drift: list[str] = []
    for timepoint in record.timeline:
        held = after.get(timepoint.id, {})
        for entity, forecast in trial_states(record, timepoint).items():
            if entity not in held:
                continue
            gaps = [
                f"{name} {predicted:.2f} -> {actual:.2f}"
                for name, predicted, actual in zip(
                    _COMPARED, forecast.condition, held[entity], strict=False
                )
                if abs(predicted - actual) > STATE_TOLERANCE
            ]
            if gaps:
                drift.append(
                    f"{entity} at {timepoint.id}: the run's state after the moment departs from "
                    f"what the accepted trial predicted on arrival ({', '.join(gaps)})"
                )
    return tuple(drift)

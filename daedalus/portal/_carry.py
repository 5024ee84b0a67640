"""The accepted trials carried into the forward run (M3, M7, M17).

The trial of the candidate chosen at slot ``k - 1`` predicted what each of its people would know
on arriving at slot ``k``. ``trial_exposures`` turns that prediction into ``learned`` exposures
at slot ``k``'s timepoint, so the forward simulation starts each moment from the state the
search accepted; ``trial_knowledge_drift`` compares the finished run with the predictions and
names every predicted item an entity does not hold at slot ``k`` (for instance because a
validator removed it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.portal._distinct import normalised
from daedalus.portal._records import PortalRecord

__all__ = ["TRIAL_SOURCE", "trial_exposures", "trial_knowledge_drift"]

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

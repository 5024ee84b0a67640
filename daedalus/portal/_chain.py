"""PORTAL bookkeeping between search and graph: timepoint ids, the chosen chain as timepoints,
witnessed exposures, fresh records, candidate and trial requests; re-exported by the package."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from daedalus.domain import Entity, ExposureEvent, ExposureKind, Timepoint
from daedalus.errors import ConfigError
from daedalus.portal._records import (
    ENDPOINT_ID,
    PendingRound,
    PortalCandidate,
    PortalRecord,
    ProposalRound,
    RoundReason,
)
from daedalus.portal._rules import (
    normalise_weights,
    resolve_strategy,
    slot_times,
)
from daedalus.portal._search import (
    candidate_ids,
)
from daedalus.portal._trial import (
    Condition,
    TrialRequest,
    TrialSheet,
    fact_labels,
    most_relevant,
    target_facts,
)
from daedalus.scenario import PortalSection, Scenario

__all__ = [
    "backward_chain",
    "cast_of",
    "chain_timepoints",
    "new_candidates",
    "portal_timepoint_id",
    "start_record",
    "trial_requests",
    "with_chain",
    "witnessed_exposures",
]


def portal_timepoint_id(slot: int) -> str:
    """Deterministic timepoint id of a slot: ``portal-000`` is the origin."""
    return f"portal-{slot:03d}"


def chain_timepoints(record: PortalRecord, entity_ids: Sequence[str]) -> tuple[Timepoint, ...]:
    """The chosen chain as timepoints, origin first (M7).

    Each slot's parent is the slot before it (the origin has none); the endpoint holds every
    entity in ``entity_ids`` and importance 1. Raises ``ConfigError`` while slots are unfilled.
    """
    missing = sorted(set(range(record.slot_count)) - record.filled)
    if missing:
        raise ConfigError(f"the portal search has not filled slots {missing} yet")
    timepoints: list[Timepoint] = []
    for slot in range(record.slot_count + 1):
        chosen = record.chosen_candidate(slot) if slot < record.slot_count else None
        timepoints.append(
            Timepoint(
                id=portal_timepoint_id(slot),
                timestamp=record.times[slot],
                causal_parent=portal_timepoint_id(slot - 1) if slot else None,
                event_description=chosen.description if chosen else record.endpoint,
                entities_present=chosen.entities if chosen else tuple(entity_ids),
                importance=chosen.importance if chosen else 1.0,
            )
        )
    return tuple(timepoints)


def cast_of(entities: Mapping[str, Entity]) -> dict[str, str]:
    """How prompts name each entity: ``"Name, role"`` (or the name alone), by entity id."""
    return {
        entity_id: f"{entity.name}, {entity.role}" if entity.role else entity.name
        for entity_id, entity in entities.items()
    }


def with_chain(record: PortalRecord, entity_ids: Sequence[str]) -> PortalRecord:
    """``record`` holding its finished chain: ``timeline`` (origin first, see
    ``chain_timepoints``) and ``chain`` (ids endpoint -> origin)."""
    timeline = chain_timepoints(record, entity_ids)
    return record.model_copy(update={"timeline": timeline, "chain": backward_chain(record)})


def backward_chain(record: PortalRecord) -> tuple[str, ...]:
    """Timepoint ids endpoint -> origin, the order ``check_portal`` expects."""
    return tuple(portal_timepoint_id(slot) for slot in range(record.slot_count, -1, -1))


def witnessed_exposures(timepoint: Timepoint) -> tuple[ExposureEvent, ...]:
    """One ``witnessed`` exposure of the event per entity present (M3)."""
    return tuple(
        ExposureEvent(
            id=f"{timepoint.id}-witnessed-{entity}",
            entity_id=entity,
            kind=ExposureKind.WITNESSED,
            information=timepoint.event_description,
            source="portal",
            timepoint_id=timepoint.id,
            timestamp=timepoint.timestamp,
        )
        for entity in timepoint.entities_present
    )


def start_record(portal: PortalSection, scenario: Scenario) -> PortalRecord:
    """A fresh search record for ``scenario`` with the first proposal pending."""
    steps = scenario.timeline.steps
    strategy = resolve_strategy(portal.strategy, steps=steps, entity_count=len(scenario.entities))
    return PortalRecord(
        endpoint=portal.endpoint,
        configured=portal.strategy,
        strategy=strategy,
        threshold=portal.coherence_threshold,
        max_backtracks=portal.max_backtracks,
        weights=normalise_weights(portal.weights),
        candidates=portal.candidates,
        forward_steps=portal.forward_steps,
        times=slot_times(scenario.start_time, portal.endpoint_time, steps),
        # Every strategy starts at the late end: the slot just before the endpoint.
        pending=PendingRound(slot=steps - 1, reason=RoundReason.INITIAL),
    )


def new_candidates(
    proposal: ProposalRound, drafts: Sequence[tuple[str, Sequence[str], float, str]]
) -> ProposalRound:
    """``proposal`` holding candidates built from (description, entities, importance, rationale)
    drafts, numbered in order; repeated entity ids are kept once."""
    ids = candidate_ids(proposal, len(drafts))
    candidates = tuple(
        PortalCandidate(
            id=candidate_id,
            description=description.strip(),
            entities=tuple(dict.fromkeys(entities)),
            importance=importance,
            rationale=rationale.strip(),
        )
        for candidate_id, (description, entities, importance, rationale) in zip(
            ids, drafts, strict=True
        )
    )
    return proposal.model_copy(update={"candidates": candidates})


def trial_requests(
    record: PortalRecord,
    cast: Mapping[str, str],
    setting: str,
    knows: Mapping[str, Sequence[str]],
    condition: Mapping[str, Condition] | None = None,
) -> tuple[TrialRequest, ...]:
    """One forward trial request per candidate of the latest round, aimed at its target.

    ``cast`` maps entity ids to how prompts name them, ``knows`` what each entity knows at the
    slot (causally filtered, see ``knowledge_before``; each sheet shows the items most relevant
    to its event and target, ``most_relevant``) and ``condition`` its (valence, arousal,
    energy, fatigue) there;
    each request carries only the entities its candidate involves. On the early end
    of the chain, what the accepted antecedent's trial predicted each person would know here
    is carried in as well, and the state it predicted replaces ``condition``.
    """
    latest = record.latest
    carried: dict[str, list[str]] = {}
    condition = dict(condition or {})
    if latest.antecedent is not None:
        before = record.chosen_trial(latest.antecedent.slot)
        for forecast in before.forecasts if before is not None else ():
            carried.setdefault(forecast.entity, []).extend(forecast.knows)
            condition[forecast.entity] = forecast.condition
    facts = fact_labels(target_facts(latest.target.description))
    requests = []
    for candidate in latest.candidates:
        people = candidate.entities
        sheet = TrialSheet(
            event=candidate.description,
            rationale=candidate.rationale,
            cast={e: cast.get(e, e) for e in people},
            knows={
                e: most_relevant(
                    list(dict.fromkeys([*knows.get(e, ()), *carried.get(e, ())])),
                    f"{candidate.description} {latest.target.description}",
                )
                for e in people
            },
            state={e: condition[e] for e in people if e in condition},
            facts=facts,
            endpoint=latest.target.id == ENDPOINT_ID,
        )
        requests.append(
            TrialRequest(
                round_id=latest.id,
                candidate_id=candidate.id,
                time=latest.time,
                target_time=latest.target.time,
                beats=record.forward_steps,
                sheet=sheet,
                setting=setting,
            )
        )
    return tuple(requests)

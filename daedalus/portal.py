"""PORTAL mode kernel: backward inference from a known endpoint (M17, M7).

The span between the scenario's start (the origin) and ``portal.endpoint_time`` is cut into
``timeline.steps + 1`` evenly spaced slots (``slot_times``). The last slot holds the known
endpoint; every other slot is filled by one search step: one proposal of N candidate events
(``open_round`` gives its context, ``add_round`` records it), a forward mini simulation from
each candidate toward the next established event (``trial_requests``), one judge call scoring
all candidates on plausibility, precedent, necessity, capability and forward coherence
(``judge_round`` stores the weighted totals), and ``decide`` / ``apply_decision``:

- accept the best candidate reaching ``coherence_threshold``;
- otherwise re-propose the slot once with the judge's feedback, excluding the failed candidates;
- otherwise, while ``max_backtracks`` allows, step back to the link the slot was anchored to,
  drop its choice and take its next-best passing candidate (or re-propose there);
- otherwise keep the best candidate and record a warning.

Strategies (``resolve_strategy``, ``next_slot``, ``slot_order``):

- reverse_chronological fills slots from the endpoint back to the origin;
- oscillating alternates the late end (backward from the endpoint) and the early end (forward
  from the origin: each candidate is a consequent of the early chain) until the chains meet in a
  bridge slot judged against both neighbours;
- adaptive starts oscillating for complex scenarios (``ADAPTIVE_MIN_STEPS`` backward steps or
  ``ADAPTIVE_MIN_ENTITIES`` entities), else reverse, and switches a reverse run to oscillating
  once ``ADAPTIVE_SWITCH_AFTER`` accepted steps average below the threshold.

Pivots (``detect_pivots``): a step whose top two totals lie within ``PIVOT_MARGIN``, or whose
totals spread by ``PIVOT_SPREAD`` or more. When every slot is filled, ``chain_timepoints`` turns
the chain into timepoints linked by ``causal_parent`` from the origin forward, and
``witnessed_exposures`` gives each entity present a ``witnessed`` exposure of its event.
Everything here takes plain values and returns plain values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from daedalus._portal_records import (
    CRITERIA,
    ENDPOINT_ID,
    Backtrack,
    CandidateScore,
    CriterionScores,
    ForwardTrial,
    LinkRef,
    PendingRound,
    Pivot,
    PortalCandidate,
    PortalRecord,
    PortalState,
    PortalStep,
    ProposalRound,
    RoundReason,
    Side,
    TrialRequest,
)
from daedalus._portal_rules import (
    ADAPTIVE_MIN_ENTITIES,
    ADAPTIVE_MIN_STEPS,
    ADAPTIVE_SWITCH_AFTER,
    PIVOT_MARGIN,
    PIVOT_SPREAD,
    detect_pivots,
    next_slot,
    normalise_weights,
    resolve_strategy,
    side_of,
    slot_order,
    slot_times,
    weighted_total,
)
from daedalus._portal_search import (
    Decision,
    DecisionKind,
    add_round,
    apply_decision,
    candidate_ids,
    decide,
    judge_feedback,
    judge_round,
    open_round,
)
from daedalus.domain import Entity, ExposureEvent, ExposureKind, Timepoint
from daedalus.errors import ConfigError
from daedalus.scenario import PortalSection, Scenario

__all__ = [
    "ADAPTIVE_MIN_ENTITIES",
    "ADAPTIVE_MIN_STEPS",
    "ADAPTIVE_SWITCH_AFTER",
    "CRITERIA",
    "ENDPOINT_ID",
    "PIVOT_MARGIN",
    "PIVOT_SPREAD",
    "Backtrack",
    "CandidateScore",
    "CriterionScores",
    "Decision",
    "DecisionKind",
    "ForwardTrial",
    "LinkRef",
    "PendingRound",
    "Pivot",
    "PortalCandidate",
    "PortalRecord",
    "PortalState",
    "PortalStep",
    "ProposalRound",
    "RoundReason",
    "Side",
    "TrialRequest",
    "add_round",
    "apply_decision",
    "backward_chain",
    "candidate_ids",
    "cast_of",
    "chain_timepoints",
    "decide",
    "detect_pivots",
    "judge_feedback",
    "judge_round",
    "new_candidates",
    "next_slot",
    "normalise_weights",
    "open_round",
    "portal_timepoint_id",
    "resolve_strategy",
    "side_of",
    "slot_order",
    "slot_times",
    "start_record",
    "trial_requests",
    "weighted_total",
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
    record: PortalRecord, cast: Mapping[str, str], setting: str
) -> tuple[TrialRequest, ...]:
    """One forward-simulation request per candidate of the latest round, aimed at its target.

    ``cast`` maps entity ids to how prompts name them; each request carries only the entities
    its candidate involves.
    """
    latest = record.latest
    return tuple(
        TrialRequest(
            round_id=latest.id,
            candidate=candidate,
            time=latest.time,
            target=latest.target,
            beats=record.forward_steps,
            cast={e: cast.get(e, e) for e in candidate.entities},
            setting=setting,
        )
        for candidate in latest.candidates
    )

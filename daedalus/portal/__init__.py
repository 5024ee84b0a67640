"""The PORTAL search kernel (M17): records, slot rules, scoring and decisions, as plain values.
May import the kernel, state, scenario and below: no langgraph, no model.

The span between the scenario's start (the origin) and ``portal.endpoint_time`` is cut into
``timeline.steps + 1`` evenly spaced slots (``slot_times``). The last slot holds the known
endpoint; every other slot is filled by one search step: one proposal of N distinct candidate
events (``open_round`` gives its context, ``distinct_drafts`` drops near-duplicates and
instruction echoes, ``add_round`` records it), a forward trial from each candidate toward the
next established event (``trial_requests``: the candidate's people with what they know there,
``knowledge_before``, carried to the target's facts, ``target_facts``) returning a typed
``ForwardTrial`` (verdict reached / partly / missed, facts explained and contradicted, each
person's knowledge and state on arrival), one judge call scoring all candidates on
plausibility, precedent, necessity, capability and forward coherence (``judge_round`` stores
the weighted totals beside each trial's evidence), and ``decide`` / ``apply_decision``:

- accept the best passing candidate: its trial reached or partly reached the target without
  contradicting it and its total reaches ``coherence_threshold``; candidates rank by verdict
  before total, and one whose trial contradicts the fixed endpoint is disqualified;
- otherwise re-propose the slot once with the judge's feedback and the trials' verdicts,
  excluding the failed candidates (or, when every trial contradicted the later link, step
  back at once);
- otherwise, while ``max_backtracks`` allows, step back to the link the slot was anchored to,
  drop its choice and take its next-best passing candidate (or re-propose there);
- otherwise keep the best-ranked candidate and record a warning.

Each decision is traced (``DecisionTrace``) with the evidence that drove it.

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
``witnessed_exposures`` gives each entity present a ``witnessed`` exposure of its event and
``trial_exposures`` what the accepted trial predicted each person would know on arrival
(``trial_states``: and how they would be; both drifts are reported as consistency warnings).
``slot_reports`` tells the search per slot (candidates, trial outcomes, why the winner won).
Everything here takes plain values and returns plain values.
"""

from daedalus.portal._carry import (
    STATE_TOLERANCE,
    TRIAL_SOURCE,
    trial_exposures,
    trial_knowledge_drift,
    trial_state_drift,
    trial_states,
)
from daedalus.portal._chain import (
    backward_chain,
    cast_of,
    chain_timepoints,
    new_candidates,
    portal_timepoint_id,
    start_record,
    trial_requests,
    with_chain,
    witnessed_exposures,
)
from daedalus.portal._distinct import (
    ECHO_WORDS,
    NEAR_DUPLICATE,
    distinct_drafts,
    instruction_overlap,
    normalised,
)
from daedalus.portal._records import (
    CRITERIA,
    ENDPOINT_ID,
    Backtrack,
    CandidateScore,
    CriterionScores,
    DecisionKind,
    DecisionTrace,
    LinkRef,
    PendingRound,
    Pivot,
    PortalCandidate,
    PortalRecord,
    PortalStep,
    ProposalRound,
    RoundReason,
    Side,
)
from daedalus.portal._report import CandidateReport, SlotReport, slot_reports
from daedalus.portal._rules import (
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
from daedalus.portal._search import (
    Decision,
    add_round,
    apply_decision,
    candidate_ids,
    decide,
    judge_feedback,
    judge_round,
    open_round,
)
from daedalus.portal._state import PortalPatch, PortalState, patch_of
from daedalus.portal._trial import (
    JUDGE_SCHEMA,
    KNOW_CHARS,
    KNOWS_PER_PERSON,
    TRIAL_SCHEMA,
    Condition,
    EntityForecast,
    ForwardTrial,
    JudgeEntry,
    JudgeSheet,
    TrialRequest,
    TrialSheet,
    TrialVerdict,
    fact_labels,
    knowledge_before,
    most_relevant,
    target_facts,
)

__all__ = [
    "ADAPTIVE_MIN_ENTITIES",
    "ADAPTIVE_MIN_STEPS",
    "ADAPTIVE_SWITCH_AFTER",
    "CRITERIA",
    "ECHO_WORDS",
    "ENDPOINT_ID",
    "JUDGE_SCHEMA",
    "KNOWS_PER_PERSON",
    "KNOW_CHARS",
    "NEAR_DUPLICATE",
    "PIVOT_MARGIN",
    "PIVOT_SPREAD",
    "STATE_TOLERANCE",
    "TRIAL_SCHEMA",
    "TRIAL_SOURCE",
    "Backtrack",
    "CandidateReport",
    "CandidateScore",
    "Condition",
    "CriterionScores",
    "Decision",
    "DecisionKind",
    "DecisionTrace",
    "EntityForecast",
    "ForwardTrial",
    "JudgeEntry",
    "JudgeSheet",
    "LinkRef",
    "PendingRound",
    "Pivot",
    "PortalCandidate",
    "PortalPatch",
    "PortalRecord",
    "PortalState",
    "PortalStep",
    "ProposalRound",
    "RoundReason",
    "Side",
    "SlotReport",
    "TrialRequest",
    "TrialSheet",
    "TrialVerdict",
    "add_round",
    "apply_decision",
    "backward_chain",
    "candidate_ids",
    "cast_of",
    "chain_timepoints",
    "decide",
    "detect_pivots",
    "distinct_drafts",
    "fact_labels",
    "instruction_overlap",
    "judge_feedback",
    "judge_round",
    "knowledge_before",
    "most_relevant",
    "new_candidates",
    "next_slot",
    "normalise_weights",
    "normalised",
    "open_round",
    "patch_of",
    "portal_timepoint_id",
    "resolve_strategy",
    "side_of",
    "slot_order",
    "slot_reports",
    "slot_times",
    "start_record",
    "target_facts",
    "trial_exposures",
    "trial_knowledge_drift",
    "trial_requests",
    "trial_state_drift",
    "trial_states",
    "weighted_total",
    "with_chain",
    "witnessed_exposures",
]


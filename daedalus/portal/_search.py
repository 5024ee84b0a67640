"""The PORTAL step decision (M17): open a round, score it, accept, re-propose or backtrack.

Code combines the judge's totals with each candidate's trial evidence by one rule:

- a candidate whose trial contradicts a fact of the fixed endpoint is disqualified: it is
  never accepted, and kept on giving up only when every candidate is disqualified;
- a candidate passes when its trial reached or partly reached the target without
  contradicting any of its facts and its total reaches the coherence threshold; a missed
  trial never passes;
- candidates rank by (not disqualified, verdict reached > partly > missed, total), so a
  missed target never wins against a reached one unless every candidate missed.

A slot is accepted as soon as a candidate in its current context (the adjacent established
links) passes; the best passing one wins. Otherwise the evidence decides the next move: when
every trial contradicted the later chain link the slot leads to, the search steps back to that
link at once; else the slot is re-proposed once with the judge's feedback and the trials'
verdicts, and if that fails too and the backtrack budget allows, the search steps back to the
link this slot was anchored to, drops its choice and takes its next-best passing candidate (or
re-proposes there); when nothing is left, the best-ranked candidate is kept with a warning.
Every decision is traced in the record with the evidence that drove it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean

from pydantic import BaseModel, ConfigDict

from daedalus.errors import ConfigError
from daedalus.portal._ranking import best_candidate, describe, verdict_tally, why_won
from daedalus.portal._records import (
    ENDPOINT_ID,
    Backtrack,
    CandidateScore,
    CriterionScores,
    DecisionKind,
    DecisionTrace,
    LinkRef,
    PendingRound,
    PortalRecord,
    ProposalRound,
    RoundReason,
    Side,
)
from daedalus.portal._rules import (
    ADAPTIVE_SWITCH_AFTER,
    detect_pivots,
    next_slot,
    side_of,
    weighted_total,
)
from daedalus.portal._trial import ForwardTrial
from daedalus.scenario import PortalStrategy

__all__ = [
    "Decision",
    "DecisionKind",
    "add_round",
    "apply_decision",
    "candidate_ids",
    "decide",
    "judge_feedback",
    "judge_round",
    "open_round",
]

_CRITIQUE_CHARS = 200


class Decision(BaseModel):
    """What the search does after a judged round.

    accept / give_up: ``candidate_id`` fills ``slot``. repropose: ask ``slot`` again with
    ``feedback``, excluding ``excluded``. backtrack: drop ``to_slot``'s choice and fill it with
    ``candidate_id`` (None: re-propose there).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DecisionKind
    slot: int
    candidate_id: str | None = None
    to_slot: int | None = None
    feedback: str = ""
    excluded: tuple[str, ...] = ()
    evidence: str = ""


def open_round(record: PortalRecord) -> ProposalRound:
    """The frame (context, no candidates yet) of the round ``record.pending`` asks for."""
    pending = record.pending
    if pending is None:
        raise ConfigError("the portal search has no pending proposal; it is finished")
    slot = pending.slot
    filled = record.filled
    consequent = record.link(slot + 1)
    antecedent = record.link(slot - 1) if slot > 0 else None
    target = consequent or _late_frontier(record, slot)
    return ProposalRound(
        id=f"s{slot:03d}-r{len(record.step(slot).rounds)}",
        slot=slot,
        number=record.round_count,
        time=record.times[slot],
        side=side_of(slot, filled, record.slot_count),
        reason=pending.reason,
        antecedent=antecedent,
        consequent=consequent,
        target=target,
        feedback=pending.feedback,
        excluded=pending.excluded,
    )


def _late_frontier(record: PortalRecord, slot: int) -> LinkRef:
    later = slot + 1
    while (link := record.link(later)) is None:
        later += 1
    return link


def candidate_ids(proposal: ProposalRound, count: int) -> tuple[str, ...]:
    """Deterministic ids for ``count`` candidates of ``proposal``: ``<round id>-c<i>``."""
    return tuple(f"{proposal.id}-c{index}" for index in range(count))


def add_round(record: PortalRecord, proposal: ProposalRound) -> PortalRecord:
    """``record`` with ``proposal`` (now holding its candidates) added; nothing is pending."""
    expected = open_round(record)
    if (proposal.id, proposal.number) != (expected.id, expected.number):
        raise ConfigError(f"round {proposal.id!r} is not the one the search asked for")
    if not proposal.candidates:
        raise ConfigError(f"round {proposal.id!r} has no candidates")
    ids = [c.id for c in proposal.candidates]
    if ids != list(candidate_ids(proposal, len(ids))):
        raise ConfigError(f"round {proposal.id!r} candidates must be numbered {proposal.id}-c<i>")
    step = record.step(proposal.slot)
    step = step.model_copy(update={"rounds": (*step.rounds, proposal)})
    return record.with_step(step).model_copy(update={"pending": None})


def judge_round(
    record: PortalRecord,
    round_id: str,
    trials: Mapping[str, ForwardTrial],
    judged: Mapping[str, tuple[CriterionScores, str]],
) -> PortalRecord:
    """``record`` with round ``round_id`` holding its trials and weighted scores.

    ``judged`` maps each candidate id to (scores, critique); every candidate needs a trial and
    a judgement, else ``ConfigError`` names the missing ones.
    """
    latest = record.latest
    if latest.id != round_id:
        raise ConfigError(f"round {round_id!r} is not the latest round ({latest.id!r})")
    ids = [c.id for c in latest.candidates]
    missing = [i for i in ids if i not in trials or i not in judged]
    if missing:
        raise ConfigError(f"round {round_id!r} lacks trials or judgements for {missing}")
    endpoint = latest.target.id == ENDPOINT_ID
    scores = tuple(
        CandidateScore(
            candidate_id=i,
            scores=judged[i][0],
            total=weighted_total(judged[i][0], record.weights),
            critique=judged[i][1],
            verdict=trials[i].verdict,
            contradictions=len(trials[i].contradicts),
            disqualified=endpoint and bool(trials[i].contradicts),
        )
        for i in ids
    )
    scored = latest.model_copy(update={"trials": tuple(trials[i] for i in ids), "scores": scores})
    step = record.step(latest.slot)
    rounds = tuple(scored if r.id == round_id else r for r in step.rounds)
    return record.with_step(step.model_copy(update={"rounds": rounds}))


Context = tuple[str | None, str | None]


def _pool(record: PortalRecord, slot: int, context: Context) -> list[CandidateScore]:
    """The scored candidates of ``slot`` proposed in ``context``, minus those dropped."""
    step = record.step(slot)
    return [
        scored
        for proposal in step.rounds
        if proposal.context == context
        for scored in proposal.scores
        if scored.candidate_id not in step.dropped
    ]


def judge_feedback(proposal: ProposalRound, threshold: float) -> str:
    """Why a round failed, one line per candidate: its event, its total, its trial's verdict
    and contradicted facts, the judge's critique."""
    by_id = {c.id: c for c in proposal.candidates}
    trials = {t.candidate_id: t for t in proposal.trials}
    rows = []
    for scored in proposal.scores:
        event = by_id[scored.candidate_id].description
        critique = scored.critique[:_CRITIQUE_CHARS] or "no critique"
        trial = trials.get(scored.candidate_id)
        against = ""
        if trial is not None and trial.contradicts:
            against = "; contradicts: " + "; ".join(trial.contradicts)
        rows.append(
            f"- {event} (total {scored.total:.2f} < {threshold:.2f}; trial "
            f"{scored.verdict.value}{against}): {critique}"
        )
    return "\n".join(rows)


def _revisit(record: PortalRecord, proposal: ProposalRound) -> int | None:
    """The established slot ``proposal`` was anchored to (never the endpoint)."""
    later = proposal.consequent
    earlier = proposal.antecedent
    if proposal.side is Side.EARLY:
        return earlier.slot if earlier else None
    if later is not None and later.id != ENDPOINT_ID:
        return later.slot
    if proposal.side is Side.BRIDGE and earlier is not None:
        return earlier.slot
    return None


def _contradicts_later(proposal: ProposalRound) -> bool:
    """Every trial of ``proposal`` contradicted the chain link it leads to (not the endpoint)."""
    later = proposal.consequent
    if later is None or later.id == ENDPOINT_ID or not proposal.trials:
        return False
    return all(trial.contradicts for trial in proposal.trials)


def decide(record: PortalRecord) -> Decision:
    """The next move after the latest round was judged (see the module docstring)."""
    latest = record.latest
    if not latest.scores:
        raise ConfigError(f"round {latest.id!r} has not been judged yet")
    slot = latest.slot
    pool = _pool(record, slot, latest.context)
    passing = best_candidate(pool, record.threshold)
    if passing is not None:
        return Decision(
            kind=DecisionKind.ACCEPT,
            slot=slot,
            candidate_id=passing.candidate_id,
            evidence=why_won(record, slot, passing, pool),
        )
    failed = tuple(score.candidate_id for score in pool)
    tally = verdict_tally(pool, record.threshold)
    revisit = _revisit(record, latest)
    can_backtrack = revisit is not None and len(record.backtracks) < record.max_backtracks
    if can_backtrack and revisit is not None and _contradicts_later(latest):
        why = f"{tally}; every trial contradicted slot {revisit}'s event"
        return _backtrack(record, slot, revisit, pool, why)
    if latest.reason is not RoundReason.FEEDBACK:
        feedback = judge_feedback(latest, record.threshold)
        return Decision(
            kind=DecisionKind.REPROPOSE, slot=slot, feedback=feedback, excluded=failed,
            evidence=tally,
        )
    if can_backtrack and revisit is not None:
        return _backtrack(record, slot, revisit, pool, f"{tally}; re-proposal failed too")
    best = best_candidate(pool)
    if best is None:
        raise ConfigError(f"slot {slot} has no scored candidate left to keep")
    why = (
        "its only anchor is the fixed endpoint or origin"
        if revisit is None
        else f"the backtrack budget ({record.max_backtracks}) is spent"
    )
    return Decision(
        kind=DecisionKind.GIVE_UP,
        slot=slot,
        candidate_id=best.candidate_id,
        feedback=why,
        evidence=f"{tally}; {why}; kept the best-ranked: {why_won(record, slot, best, pool)}",
    )


def _backtrack(
    record: PortalRecord, slot: int, revisit: int, pool: Sequence[CandidateScore], why: str
) -> Decision:
    step = record.step(revisit)
    if step.chosen is None:
        raise ConfigError(f"slot {revisit} has no choice to step back from")
    context = step.holding(step.chosen).context
    others = [s for s in _pool(record, revisit, context) if s.candidate_id != step.chosen]
    replacement = best_candidate(others, record.threshold)
    best_here = max(score.total for score in pool)
    dropped = step.holding(step.chosen).candidate(step.chosen)
    feedback = (
        f"The earlier choice here, '{dropped.description}', was dropped: no event at "
        f"{record.times[slot].date().isoformat()} connected it coherently to the rest of the "
        f"chain (best total {best_here:.2f} < {record.threshold:.2f})."
    )
    excluded = tuple(s.candidate_id for s in _pool(record, revisit, context))
    return Decision(
        kind=DecisionKind.BACKTRACK,
        slot=slot,
        to_slot=revisit,
        candidate_id=replacement.candidate_id if replacement else None,
        feedback=feedback,
        excluded=excluded,
        evidence=why
        if replacement is None
        else f"{why}; next-best here: {describe(record, revisit, replacement)}",
    )


def apply_decision(record: PortalRecord, decision: Decision) -> PortalRecord:
    """``record`` after ``decision``: a slot filled (with pivots, and a warning when given up),
    a re-proposal pending, or a backtrack recorded; then the next slot is made pending. The
    decision and its evidence are traced in ``decisions``."""
    trace = DecisionTrace(
        round_id=record.latest.id,
        slot=decision.slot,
        kind=decision.kind,
        candidate_id=decision.candidate_id,
        to_slot=decision.to_slot,
        evidence=decision.evidence,
    )
    record = record.model_copy(update={"decisions": (*record.decisions, trace)})
    if decision.kind is DecisionKind.REPROPOSE:
        pending = PendingRound(
            slot=decision.slot,
            reason=RoundReason.FEEDBACK,
            feedback=decision.feedback,
            excluded=decision.excluded,
        )
        return record.model_copy(update={"pending": pending})
    if decision.kind is DecisionKind.BACKTRACK:
        return _apply_backtrack(record, decision)
    if decision.candidate_id is None:
        raise ConfigError(f"a {decision.kind.value} decision needs a candidate id")
    step = record.step(decision.slot)
    context = step.holding(decision.candidate_id).context
    pool = _pool(record, decision.slot, context)
    filled = record.with_step(step.model_copy(update={"chosen": decision.candidate_id}))
    pivots = (*record.pivots, *detect_pivots(decision.slot, pool))
    warnings = record.warnings
    if decision.kind is DecisionKind.GIVE_UP:
        total = step.score(decision.candidate_id).total
        warnings = (
            *warnings,
            f"slot {decision.slot} ({record.times[decision.slot].isoformat()}): no candidate "
            f"reached the coherence threshold {record.threshold:.2f} and {decision.feedback}; "
            f"kept {decision.candidate_id!r} with total {total:.2f}",
        )
    return _advance(filled.model_copy(update={"pivots": pivots, "warnings": warnings}))


def _apply_backtrack(record: PortalRecord, decision: Decision) -> PortalRecord:
    if decision.to_slot is None:
        raise ConfigError("a backtrack decision needs the slot to step back to")
    step = record.step(decision.to_slot)
    if step.chosen is None:
        raise ConfigError(f"slot {decision.to_slot} has no choice to step back from")
    entry = Backtrack(
        number=len(record.backtracks) + 1,
        from_slot=decision.slot,
        to_slot=decision.to_slot,
        dropped=step.chosen,
        replacement=decision.candidate_id,
        reason=decision.feedback,
    )
    revised = step.model_copy(
        update={"chosen": decision.candidate_id, "dropped": (*step.dropped, step.chosen)}
    )
    if decision.candidate_id is None:
        pending = PendingRound(
            slot=decision.to_slot,
            reason=RoundReason.BACKTRACK,
            feedback=decision.feedback,
            excluded=decision.excluded,
        )
    else:
        # The failed slot now sits in a new context, so it starts afresh.
        pending = PendingRound(slot=decision.slot, reason=RoundReason.INITIAL)
    updated = record.with_step(revised)
    return updated.model_copy(
        update={"backtracks": (*record.backtracks, entry), "pending": pending}
    )


def _advance(record: PortalRecord) -> PortalRecord:
    strategy = record.strategy
    switched = record.switched_after
    totals = record.accepted_totals()
    weak = len(totals) >= ADAPTIVE_SWITCH_AFTER and fmean(totals) < record.threshold
    if (
        record.configured is PortalStrategy.ADAPTIVE
        and strategy is PortalStrategy.REVERSE_CHRONOLOGICAL
        and switched is None
        and weak
    ):
        strategy, switched = PortalStrategy.OSCILLATING, len(totals)
    slot = next_slot(record.filled, record.slot_count, strategy)
    pending = None if slot is None else PendingRound(slot=slot, reason=RoundReason.INITIAL)
    return record.model_copy(
        update={"strategy": strategy, "switched_after": switched, "pending": pending}
    )


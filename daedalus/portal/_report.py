"""The PORTAL search told per slot (M17): every candidate, its trial's outcome, and why the
winner won, for run exports and narratives."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from daedalus.portal._records import DecisionKind, PortalRecord, PortalStep

__all__ = ["CandidateReport", "SlotReport", "slot_reports"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CandidateReport(_Record):
    """One candidate of a slot: its round, event, people, its trial's outcome and its total."""

    id: str
    round_id: str
    event: str
    people: tuple[str, ...]
    verdict: str | None
    explains: tuple[str, ...]
    contradicts: tuple[str, ...]
    outcome: str
    total: float | None
    disqualified: bool
    chosen: bool


class SlotReport(_Record):
    """One slot: when it is, how many rounds it took, the candidate kept, why, and every
    candidate proposed for it (dropped ones included)."""

    slot: int
    time: datetime
    rounds: int
    chosen: str | None
    why: str
    candidates: tuple[CandidateReport, ...]


def _why(record: PortalRecord, step: PortalStep) -> str:
    """The evidence of the decision that put the slot's current choice there."""
    for trace in reversed(record.decisions):
        if trace.candidate_id != step.chosen or step.chosen is None:
            continue
        if trace.kind in (DecisionKind.ACCEPT, DecisionKind.GIVE_UP) and trace.slot == step.slot:
            return f"{trace.kind.value}: {trace.evidence}"
        if trace.kind is DecisionKind.BACKTRACK and trace.to_slot == step.slot:
            return f"kept when slot {trace.slot} stepped back here: {trace.evidence}"
    return "no decision recorded"


def slot_reports(record: PortalRecord) -> tuple[SlotReport, ...]:
    """Every slot the search tried, by slot: candidates with their trial's verdict, facts
    explained and contradicted, total, and the evidence that chose the winner."""
    reports = []
    for step in sorted(record.steps, key=lambda s: s.slot):
        candidates = []
        for proposal in step.rounds:
            trials = {t.candidate_id: t for t in proposal.trials}
            scores = {s.candidate_id: s for s in proposal.scores}
            for candidate in proposal.candidates:
                trial, score = trials.get(candidate.id), scores.get(candidate.id)
                candidates.append(
                    CandidateReport(
                        id=candidate.id,
                        round_id=proposal.id,
                        event=candidate.description,
                        people=candidate.entities,
                        verdict=trial.verdict.value if trial else None,
                        explains=trial.explains if trial else (),
                        contradicts=trial.contradicts if trial else (),
                        outcome=trial.outcome if trial else "",
                        total=score.total if score else None,
                        disqualified=score.disqualified if score else False,
                        chosen=candidate.id == step.chosen,
                    )
                )
        reports.append(
            SlotReport(
                slot=step.slot,
                time=step.time,
                rounds=len(step.rounds),
                chosen=step.chosen,
                why=_why(record, step),
                candidates=tuple(candidates),
            )
        )
    return tuple(reports)

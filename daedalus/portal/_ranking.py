"""How the PORTAL search ranks judged candidates by their trials' evidence (M17): which pass,
which is best, and the one-line reasons decisions record (see ``daedalus.portal._search``)."""

from __future__ import annotations

from collections.abc import Sequence

from daedalus.portal._records import CandidateScore, PortalRecord
from daedalus.portal._trial import ForwardTrial, TrialVerdict

__all__ = ["best_candidate", "describe", "passes", "verdict_tally", "why_won"]


def passes(score: CandidateScore, threshold: float) -> bool:
    return (
        score.contradictions == 0
        and score.verdict is not TrialVerdict.MISSED
        and score.total >= threshold
    )


def best_candidate(
    pool: Sequence[CandidateScore], threshold: float | None = None
) -> CandidateScore | None:
    """The best-ranked candidate of ``pool`` (see ``CandidateScore.rank``); with a
    ``threshold``, the best passing one."""
    # Ties go to the earlier proposal, so the outcome never depends on sort stability.
    eligible = [
        (score.rank, -position, score)
        for position, score in enumerate(pool)
        if threshold is None or passes(score, threshold)
    ]
    return max(eligible, key=lambda item: (item[0], item[1]))[2] if eligible else None


def _trial_of(record: PortalRecord, slot: int, candidate_id: str) -> ForwardTrial | None:
    for proposal in record.step(slot).rounds:
        for trial in proposal.trials:
            if trial.candidate_id == candidate_id:
                return trial
    return None


def describe(record: PortalRecord, slot: int, score: CandidateScore) -> str:
    """One line on a scored candidate of ``slot``: its verdict, facts and total."""
    return _describe(score, _trial_of(record, slot, score.candidate_id))


def _describe(score: CandidateScore, trial: ForwardTrial | None) -> str:
    facts = ""
    if trial is not None:
        facts = f", explains {len(trial.explains)} fact(s), contradicts {len(trial.contradicts)}"
    flag = ", disqualified: contradicts the endpoint" if score.disqualified else ""
    return f"{score.candidate_id} {score.verdict.value}{facts}, total {score.total:.2f}{flag}"


def why_won(
    record: PortalRecord, slot: int, winner: CandidateScore, pool: Sequence[CandidateScore]
) -> str:
    rest = sorted(
        (s for s in pool if s.candidate_id != winner.candidate_id),
        key=lambda s: s.rank,
        reverse=True,
    )
    text = f"won: {_describe(winner, _trial_of(record, slot, winner.candidate_id))}"
    if rest:
        runner = rest[0]
        text += f"; runner-up {_describe(runner, _trial_of(record, slot, runner.candidate_id))}"
    return text


def verdict_tally(pool: Sequence[CandidateScore], threshold: float) -> str:
    """How the trials of ``pool`` came out, for a failed slot."""
    counts = {verdict: 0 for verdict in TrialVerdict}
    for score in pool:
        counts[score.verdict] += 1
    disqualified = sum(score.disqualified for score in pool)
    best = max((score.total for score in pool), default=0.0)
    return (
        f"no candidate passed: {counts[TrialVerdict.REACHED]} reached, "
        f"{counts[TrialVerdict.PARTLY]} partly, {counts[TrialVerdict.MISSED]} missed, "
        f"{disqualified} contradicted the endpoint; best total {best:.2f} "
        f"(threshold {threshold:.2f})"
    )

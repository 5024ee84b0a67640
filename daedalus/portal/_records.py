"""PORTAL search records (M17): what each proposal, trial, score and decision left behind.

Every record is a frozen pydantic model that serialises to plain JSON, so the whole search can
sit in graph state and in a run's export. See ``daedalus.portal`` for the algorithm.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import Timepoint, Unit
from daedalus.errors import ConfigError
from daedalus.portal._trial import ForwardTrial, TrialVerdict
from daedalus.scenario import PortalStrategy

__all__ = [
    "CRITERIA",
    "ENDPOINT_ID",
    "Backtrack",
    "CandidateScore",
    "CriterionScores",
    "DecisionKind",
    "DecisionTrace",
    "LinkRef",
    "PendingRound",
    "Pivot",
    "PortalCandidate",
    "PortalRecord",
    "PortalStep",
    "ProposalRound",
    "RoundReason",
    "Side",
]

CRITERIA: tuple[str, ...] = ("plausibility", "precedent", "necessity", "capability", "coherence")
"""The judge's five criteria, each scored in [0, 1]."""

ENDPOINT_ID = "endpoint"
"""The link id of the known endpoint (candidates have ids like ``s003-r0-c2``)."""

class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Side(StrEnum):
    """Where a slot is filled from: backward from a later link, forward from an earlier one,
    or between both (the bridge where two oscillating chains meet)."""

    LATE = "late"
    EARLY = "early"
    BRIDGE = "bridge"


class RoundReason(StrEnum):
    """Why a proposal round was asked for."""

    INITIAL = "initial"
    FEEDBACK = "feedback"
    BACKTRACK = "backtrack"


class CriterionScores(_Record):
    """The judge's scores for one candidate."""

    plausibility: Unit
    precedent: Unit
    necessity: Unit
    capability: Unit
    coherence: Unit


class LinkRef(_Record):
    """An established member of the chain as a prompt names it."""

    slot: int = Field(ge=0)
    id: str
    description: str
    time: datetime


class PortalCandidate(_Record):
    """One proposed event for a slot."""

    id: str
    description: str = Field(min_length=1)
    entities: tuple[str, ...] = Field(min_length=1)
    importance: Unit = 0.5
    rationale: str = ""


class CandidateScore(_Record):
    """A judged candidate: per-criterion scores, the weighted total, the judge's critique, and
    its trial's evidence: the verdict, how many target facts it contradicted, and whether it
    contradicted the fixed endpoint (``disqualified``)."""

    candidate_id: str
    scores: CriterionScores
    total: Unit
    critique: str = ""
    verdict: TrialVerdict
    contradictions: int = Field(default=0, ge=0)
    disqualified: bool = False

    @property
    def rank(self) -> tuple[int, int, float]:
        """How evidence orders candidates: not disqualified first, then by verdict (reached,
        partly, missed), then by total."""
        return (int(not self.disqualified), self.verdict.rank, self.total)


class ProposalRound(_Record):
    """One proposal for a slot: its context, candidates, trials and scores.

    ``antecedent`` and ``consequent`` are the adjacent established links (the context);
    ``target`` is where forward simulations aim (the consequent, or for the early end the
    earliest link of the late chain).
    """

    id: str
    slot: int = Field(ge=0)
    number: int = Field(ge=0)
    time: datetime
    side: Side
    reason: RoundReason
    antecedent: LinkRef | None = None
    consequent: LinkRef | None = None
    target: LinkRef
    feedback: str = ""
    excluded: tuple[str, ...] = ()
    candidates: tuple[PortalCandidate, ...] = ()
    trials: tuple[ForwardTrial, ...] = ()
    scores: tuple[CandidateScore, ...] = ()

    @property
    def context(self) -> tuple[str | None, str | None]:
        """(antecedent id, consequent id): rounds with equal context compete with each other."""
        return (
            self.antecedent.id if self.antecedent else None,
            self.consequent.id if self.consequent else None,
        )

    def candidate(self, candidate_id: str) -> PortalCandidate:
        for candidate in self.candidates:
            if candidate.id == candidate_id:
                return candidate
        raise KeyError(candidate_id)


class PortalStep(_Record):
    """Every round asked for one slot, the candidate chosen and the ones dropped by backtracks."""

    slot: int = Field(ge=0)
    time: datetime
    rounds: tuple[ProposalRound, ...] = ()
    chosen: str | None = None
    dropped: tuple[str, ...] = ()

    def holding(self, candidate_id: str) -> ProposalRound:
        """The round that proposed ``candidate_id``."""
        for proposal in self.rounds:
            if any(c.id == candidate_id for c in proposal.candidates):
                return proposal
        raise KeyError(candidate_id)

    @property
    def chosen_index(self) -> int | None:
        """Position of the chosen candidate in the round that proposed it."""
        if self.chosen is None:
            return None
        ids = [c.id for c in self.holding(self.chosen).candidates]
        return ids.index(self.chosen)

    def score(self, candidate_id: str) -> CandidateScore:
        for proposal in self.rounds:
            for scored in proposal.scores:
                if scored.candidate_id == candidate_id:
                    return scored
        raise KeyError(candidate_id)


class Backtrack(_Record):
    """A step back: ``from_slot`` failed, so ``to_slot`` dropped its choice."""

    number: int = Field(ge=1)
    from_slot: int
    to_slot: int
    dropped: str
    replacement: str | None = Field(description="next-best passing candidate, or None: re-proposed")
    reason: str


class Pivot(_Record):
    """A step where the path could have gone another way."""

    slot: int
    kind: Literal["close_call", "wide_spread"]
    candidate_ids: tuple[str, ...]
    totals: tuple[float, ...]
    why: str


class DecisionKind(StrEnum):
    ACCEPT = "accept"
    REPROPOSE = "repropose"
    BACKTRACK = "backtrack"
    GIVE_UP = "give_up"


class DecisionTrace(_Record):
    """One decision of the search and the evidence that drove it (for reports)."""

    round_id: str
    slot: int
    kind: DecisionKind
    candidate_id: str | None = None
    to_slot: int | None = None
    evidence: str


class PendingRound(_Record):
    """The next proposal the search wants."""

    slot: int = Field(ge=0)
    reason: RoundReason
    feedback: str = ""
    excluded: tuple[str, ...] = ()


class PortalRecord(_Record):
    """The whole backward search of a PORTAL run (JSON-serialisable).

    ``times[s]`` is slot ``s``'s timestamp (``times[0]`` the origin, ``times[-1]`` the
    endpoint); ``steps`` holds the slots tried so far, by slot; ``chain`` the timepoint ids
    endpoint -> origin and ``timeline`` its timepoints (origin first) once the chain is built.
    """

    endpoint: str
    configured: PortalStrategy
    strategy: PortalStrategy
    switched_after: int | None = None
    threshold: Unit
    max_backtracks: int = Field(ge=0)
    weights: dict[str, float]
    candidates: int = Field(ge=1)
    forward_steps: int = Field(ge=1)
    times: tuple[datetime, ...] = Field(min_length=2)
    steps: tuple[PortalStep, ...] = ()
    backtracks: tuple[Backtrack, ...] = ()
    pivots: tuple[Pivot, ...] = ()
    warnings: tuple[str, ...] = ()
    decisions: tuple[DecisionTrace, ...] = ()
    pending: PendingRound | None = None
    chain: tuple[str, ...] = ()
    timeline: tuple[Timepoint, ...] = ()

    @property
    def slot_count(self) -> int:
        """Slots the search fills (every slot but the endpoint)."""
        return len(self.times) - 1

    def step(self, slot: int) -> PortalStep:
        for step in self.steps:
            if step.slot == slot:
                return step
        return PortalStep(slot=slot, time=self.times[slot])

    @property
    def filled(self) -> frozenset[int]:
        return frozenset(step.slot for step in self.steps if step.chosen is not None)

    @property
    def done(self) -> bool:
        """True when every slot holds a chosen candidate."""
        return len(self.filled) == self.slot_count

    @property
    def latest(self) -> ProposalRound:
        """The most recently added round (rounds are numbered in the order they were asked)."""
        rounds = [proposal for step in self.steps for proposal in step.rounds]
        if not rounds:
            raise ConfigError("the portal search has no proposal round yet")
        return max(rounds, key=lambda proposal: proposal.number)

    @property
    def round_count(self) -> int:
        return sum(len(step.rounds) for step in self.steps)

    def link(self, slot: int) -> LinkRef | None:
        """The established member at ``slot`` (the endpoint for the last slot), or None."""
        if slot == self.slot_count:
            end = self.times[-1]
            return LinkRef(slot=slot, id=ENDPOINT_ID, description=self.endpoint, time=end)
        step = self.step(slot)
        if step.chosen is None:
            return None
        chosen = step.holding(step.chosen).candidate(step.chosen)
        return LinkRef(slot=slot, id=chosen.id, description=chosen.description, time=step.time)

    def chosen_trial(self, slot: int) -> ForwardTrial | None:
        """The trial of the candidate chosen for ``slot`` (None while the slot is open)."""
        step = self.step(slot)
        if step.chosen is None:
            return None
        trials = step.holding(step.chosen).trials
        return next((t for t in trials if t.candidate_id == step.chosen), None)

    def chosen_candidate(self, slot: int) -> PortalCandidate | None:
        step = self.step(slot)
        return None if step.chosen is None else step.holding(step.chosen).candidate(step.chosen)

    def accepted_totals(self) -> list[float]:
        """Totals of the chosen candidates, by slot."""
        return [
            step.score(step.chosen).total
            for step in sorted(self.steps, key=lambda s: s.slot)
            if step.chosen is not None
        ]

    def with_step(self, step: PortalStep) -> PortalRecord:
        """This record with ``step`` replacing the step of its slot (steps stay sorted)."""
        others = [s for s in self.steps if s.slot != step.slot]
        return self.model_copy(update={"steps": tuple(sorted([*others, step], key=_slot_key))})


def _slot_key(step: PortalStep) -> int:
    return step.slot

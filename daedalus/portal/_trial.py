"""PORTAL forward trials (M17): what a trial is asked, what it returns, and the evidence sheets.

A trial starts from a candidate event with the cast's state (what each person knows there,
causally filtered, and how they feel) and carries it to the target slot. It returns a typed
outcome: a ``TrialVerdict``, the target facts it explains and those it contradicts, and per
person the knowledge and state held on arrival (``EntityForecast``).

The sheets (``TrialSheet``, ``JudgeSheet``) are the evidence a prompt shows as one JSON object:
the trial prompt shows its ``TrialSheet``, the judge prompt a ``JudgeSheet`` with every
candidate's trial. Any model can read them; the offline model weighs them by these types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import ExposureEvent, Signed, Unit

__all__ = [
    "JUDGE_SCHEMA",
    "KNOWS_PER_PERSON",
    "KNOW_CHARS",
    "TRIAL_SCHEMA",
    "Condition",
    "EntityForecast",
    "ForwardTrial",
    "JudgeEntry",
    "JudgeSheet",
    "TrialRequest",
    "TrialSheet",
    "TrialVerdict",
    "fact_labels",
    "knowledge_before",
    "most_relevant",
    "target_facts",
]

TRIAL_SCHEMA = "PortalTrial"
"""The title of the trial answer's schema."""
JUDGE_SCHEMA = "PortalJudgements"
"""The title of the judge answer's schema."""

KNOWS_PER_PERSON = 3
"""Items of a person's knowledge a sheet shows: those most relevant to the event and target."""
KNOW_CHARS = 160
"""Longest item of knowledge a sheet shows (longer ones are cut)."""

_WORDS = re.compile(r"[a-z0-9]{4,}")
_FACT_SPLIT = re.compile(r"(?<=[.!?;])\s+|;\s*")
_MIN_FACT_CHARS = 12


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrialVerdict(StrEnum):
    """How far a trial got: the target reached, partly reached, or missed."""

    REACHED = "reached"
    PARTLY = "partly"
    MISSED = "missed"

    @property
    def rank(self) -> int:
        """2 for reached, 1 for partly, 0 for missed: the order evidence ranks trials in."""
        return {TrialVerdict.REACHED: 2, TrialVerdict.PARTLY: 1, TrialVerdict.MISSED: 0}[self]


class EntityForecast(_Record):
    """One person at the end of a trial: what they know on arrival and how they are: mood
    (valence, arousal), the share of their energy left and their fatigue."""

    entity: str
    knows: tuple[str, ...] = ()
    valence: Signed = 0.0
    arousal: Unit = 0.5
    energy: Unit = 1.0
    fatigue: Unit = 0.0

    @property
    def condition(self) -> tuple[float, float, float, float]:
        """(valence, arousal, energy, fatigue): the state a trial carries forward."""
        return (self.valence, self.arousal, self.energy, self.fatigue)


class ForwardTrial(_Record):
    """A forward trial from one candidate: its beats, verdict, the target facts it explains
    and contradicts (texts), where it led, and each person's state on arrival."""

    candidate_id: str
    verdict: TrialVerdict
    explains: tuple[str, ...] = ()
    contradicts: tuple[str, ...] = ()
    beats: tuple[str, ...]
    outcome: str
    forecasts: tuple[EntityForecast, ...] = ()

    @property
    def reaches_target(self) -> bool:
        return self.verdict is TrialVerdict.REACHED

    def forecast(self, entity_id: str) -> EntityForecast | None:
        return next((f for f in self.forecasts if f.entity == entity_id), None)


Condition = tuple[float, float, float, float]
"""A person's (valence, arousal, energy share, fatigue) as a sheet shows it."""


class TrialSheet(_Record):
    """The evidence a trial prompt shows: the event, who takes part (id -> the person as the
    renderer shows them at their level), what each knows at the start and their state, and
    the target's facts by label (``f1`` ..: together they are the target)."""

    event: str
    rationale: str = ""
    cast: dict[str, str]
    knows: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    state: dict[str, Condition] = Field(
        default_factory=dict, description="id -> (valence, arousal, energy, fatigue)"
    )
    facts: dict[str, str]
    endpoint: bool = Field(description="the target is the fixed endpoint")


class TrialRequest(_Record):
    """What one trial needs: its round, the candidate, its time, the target (time and sheet),
    how many beats to narrate and the setting."""

    round_id: str
    candidate_id: str
    time: datetime
    target_time: datetime
    beats: int = Field(ge=1)
    sheet: TrialSheet
    setting: str = ""


class JudgeEntry(_Record):
    """One candidate as the judge sees it: the event, its people, and its trial's evidence
    (facts explained and contradicted by their labels in the sheet's ``facts``; what each
    person knew on arrival by their labels in the sheet's ``known``)."""

    event: str
    people: tuple[str, ...]
    rationale: str = ""
    verdict: TrialVerdict
    explains: tuple[str, ...] = ()
    contradicts: tuple[str, ...] = ()
    outcome: str = ""
    knows: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class JudgeSheet(_Record):
    """The evidence a judge prompt shows: the target's facts, every item some person knew on
    arrival (stated once, by label: candidates sharing people share most of them), and one
    entry per candidate label."""

    facts: dict[str, str]
    endpoint: bool
    known: dict[str, str] = Field(default_factory=dict)
    candidates: dict[str, JudgeEntry]

    def knowledge(self, entry: JudgeEntry) -> dict[str, tuple[str, ...]]:
        """What each of ``entry``'s people knew on arrival, as texts."""
        return {
            person: tuple(self.known.get(label, label) for label in labels)
            for person, labels in entry.knows.items()
        }


def target_facts(text: str) -> tuple[str, ...]:
    """The separate facts of a target description: its sentences and ``;`` clauses (a
    fragment shorter than 12 characters joins the fact before it)."""
    facts: list[str] = []
    for part in _FACT_SPLIT.split(text.strip()):
        part = part.strip().rstrip(".;").strip()
        if not part:
            continue
        if facts and len(part) < _MIN_FACT_CHARS:
            facts[-1] = f"{facts[-1]}; {part}"
        else:
            facts.append(part)
    return tuple(facts) or (text.strip(),)


def fact_labels(facts: Sequence[str]) -> dict[str, str]:
    """``{"f1": first fact, ...}``: how prompts and schemas name the facts."""
    return {f"f{index + 1}": fact for index, fact in enumerate(facts)}


def most_relevant(
    items: Sequence[str], about: str, limit: int = KNOWS_PER_PERSON, chars: int = KNOW_CHARS
) -> tuple[str, ...]:
    """Up to ``limit`` of ``items`` sharing the most words (four letters or more) with
    ``about``, in their original order, each cut to ``chars`` characters."""
    wanted = set(_WORDS.findall(about.casefold()))
    ranked = sorted(
        range(len(items)),
        key=lambda i: (-len(wanted & set(_WORDS.findall(items[i].casefold()))), i),
    )
    return tuple(items[i][:chars].rstrip() for i in sorted(ranked[:limit]))


def knowledge_before(
    exposures: Iterable[ExposureEvent],
    entity_ids: Iterable[str],
    carried: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """What each entity knows at a moment of the search, by id (M3, M7).

    During the backward search no chain timepoint exists yet, so only what an entity knew
    before the timeline began (exposures with no timepoint) is causally upstream of any slot;
    ``carried`` adds what an accepted earlier trial predicted it would know there.
    """
    wanted = list(dict.fromkeys(entity_ids))
    known: dict[str, list[str]] = {entity: [] for entity in wanted}
    for event in exposures:
        if event.timepoint_id is None and event.entity_id in known:
            known[event.entity_id].append(event.information)
    for entity, items in (carried or {}).items():
        if entity in known:
            known[entity].extend(items)
    return {entity: tuple(dict.fromkeys(items)) for entity, items in known.items()}

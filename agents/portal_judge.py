"""PORTAL judge (M17): one call scores every candidate of a round on the five criteria.

The judge sees the moment's context and an evidence sheet (``judge_sheet``): per candidate, its
event, people and rationale and its trial's verdict, explained and contradicted target facts,
outcome and each person's knowledge on arrival — not whole histories. Code then combines the
weighted totals with that evidence (``daedalus.portal.decide``). Candidates are labelled
``c1..cN`` and the schema has one required entry per label, so every candidate gets exactly one
judgement. Weighted totals come from ``portal.weights``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import render, schema_cache
from daedalus.agents._portal_cast import portal_people, scene_place
from daedalus.agents.portal_candidates import cast_lines, portal_cast, setting_of
from daedalus.context import RunContext
from daedalus.domain import ResolutionLevel
from daedalus.errors import ConfigError
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.portal import (
    CRITERIA,
    ENDPOINT_ID,
    JUDGE_SCHEMA,
    CriterionScores,
    ForwardTrial,
    JudgeEntry,
    JudgeSheet,
    PortalState,
    ProposalRound,
    fact_labels,
    judge_round,
    most_relevant,
    target_facts,
)

__all__ = [
    "ACTION",
    "NODE",
    "SCHEMA_NAME",
    "Judgement",
    "build_judge_messages",
    "judge_context",
    "judge_schema",
    "judge_sheet",
    "judged_people",
    "labels",
    "portal_judge",
]

NODE = "portal_judge"
ACTION = ActionType.PORTAL_PATH_SCORING
SCHEMA_NAME = JUDGE_SCHEMA
"""The title of the judge schema (the offline model answers it from the evidence sheet)."""
_TOKENS_PER_CANDIDATE = 110
_KNOWS_SHOWN = 3
_KNOW_CHARS = 160


class Judgement(BaseModel):
    """The judge's answer for one candidate."""

    plausibility: float = Field(ge=0.0, le=1.0)
    precedent: float = Field(ge=0.0, le=1.0)
    necessity: float = Field(ge=0.0, le=1.0)
    capability: float = Field(ge=0.0, le=1.0)
    coherence: float = Field(ge=0.0, le=1.0)
    critique: str = Field(min_length=1, max_length=300)


def labels(count: int) -> tuple[str, ...]:
    """``c1 .. c<count>``: how the prompt and the schema name the candidates."""
    return tuple(f"c{index + 1}" for index in range(count))


@schema_cache
def judge_schema(count: int) -> type[BaseModel]:
    """One required ``Judgement`` per label ``c1 .. c<count>``."""
    fields: dict[str, Any] = {label: (Judgement, ...) for label in labels(count)}
    return create_model(SCHEMA_NAME, **fields)


def judge_sheet(
    proposal: ProposalRound, trials: Mapping[str, ForwardTrial], cast: Mapping[str, str]
) -> JudgeSheet:
    """The evidence the judge sees: the target's facts and, per label, the candidate and its
    trial's verdict, explained and contradicted facts (by fact label), outcome and each
    person's knowledge on arrival (the event itself left out, then the items most relevant to
    the target), each item stated once in ``known`` and named by its label."""
    facts = fact_labels(target_facts(proposal.target.description))
    label_of = {fact: label for label, fact in facts.items()}
    known: dict[str, str] = {}
    entries = {}
    for label, candidate in zip(labels(len(proposal.candidates)), proposal.candidates, strict=True):
        trial = trials[candidate.id]
        knows = {}
        for forecast in trial.forecasts:
            items = most_relevant(
                [k for k in forecast.knows if k != candidate.description],
                proposal.target.description,
                limit=_KNOWS_SHOWN,
                chars=_KNOW_CHARS,
            )
            for item in items:
                known.setdefault(item, f"k{len(known) + 1}")
            name = cast.get(forecast.entity, forecast.entity).split(",")[0]
            knows[name] = tuple(known[item] for item in items)
        entries[label] = JudgeEntry(
            event=candidate.description,
            people=tuple(cast.get(e, e).split(",")[0] for e in candidate.entities),
            rationale=candidate.rationale,
            verdict=trial.verdict,
            explains=tuple(label_of.get(fact, fact) for fact in trial.explains),
            contradicts=tuple(label_of.get(fact, fact) for fact in trial.contradicts),
            outcome=trial.outcome,
            knows=knows,
        )
    return JudgeSheet(
        facts=facts,
        endpoint=proposal.target.id == ENDPOINT_ID,
        known={label: item for item, label in known.items()},
        candidates=entries,
    )


def judge_context(proposal: ProposalRound) -> str:
    """The moment's neighbours by date only where the sheet states them: the target is the
    sheet's facts, so only an antecedent (the early end) is described here."""
    rows = []
    if proposal.slot == 0:
        rows.append("This is the origin of the timeline: it must fit the scenario's start.")
    if proposal.antecedent is not None:
        rows.append(
            f"What came just before ({proposal.antecedent.time:%Y-%m-%d}): "
            f"{proposal.antecedent.description}"
        )
    kind = "the fixed endpoint" if proposal.target.id == ENDPOINT_ID else "the next link"
    rows.append(
        f"Target ({kind}, {proposal.target.time:%Y-%m-%d}): the sheet's facts, together."
    )
    return "\n".join(rows)


def build_judge_messages(
    proposal: ProposalRound,
    trials: Mapping[str, ForwardTrial],
    setting: str,
    people: str,
    cast: Mapping[str, str],
) -> list[BaseMessage]:
    """The judging prompt for ``proposal`` with its evidence sheet (``judge_sheet``) as JSON;
    ``people`` are the candidates' people as rendered rows, ``cast`` names them in the sheet."""
    return render(
        "portal_judge",
        setting=setting,
        cast=people,
        when=f"{proposal.time:%Y-%m-%d}",
        context=judge_context(proposal),
        sheet=judge_sheet(proposal, trials, cast).model_dump_json(),
    )


def judged_people(state: PortalState, proposal: ProposalRound, cast: Mapping[str, str]) -> str:
    """The people of ``proposal``'s candidates as the judge sees them: rendered at their level
    for the slot, raised to DIALOG as the events' actors and capped at GRAPH, since the sheet
    states what each knows on arrival (M1); ``cast_lines`` without simulated entities."""
    acting = list(dict.fromkeys(e for c in proposal.candidates for e in c.entities))
    if not state.get("entities"):
        return cast_lines({e: cast.get(e, e) for e in acting})
    rows = portal_people(
        state, proposal.slot, acting, attention=acting, cap=ResolutionLevel.GRAPH
    )
    return "\n".join(rows.values())


async def portal_judge(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Score the latest round's candidates and store trials, scores and totals in the record."""
    record = state["portal"]
    proposal = record.latest
    trials = state.get("portal_trials", {})
    missing = [c.id for c in proposal.candidates if c.id not in trials]
    if missing:
        message = f"portal_judge needs a forward trial for every candidate; missing {missing}"
        raise ConfigError(message)
    cast = portal_cast(state)
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=judge_schema(len(proposal.candidates)),
        messages=build_judge_messages(
            proposal,
            trials,
            setting_of(state["scenario"], scene_place(state)),
            judged_people(state, proposal, cast),
            cast,
        ),
        params=SamplingParams(
            temperature=0.2, max_tokens=_TOKENS_PER_CANDIDATE * len(proposal.candidates) + 100
        ),
    )
    data = answer.model_dump()
    judged = {}
    for label, candidate in zip(labels(len(proposal.candidates)), proposal.candidates, strict=True):
        entry = Judgement.model_validate(data[label])
        scores = CriterionScores(**{name: getattr(entry, name) for name in CRITERIA})
        judged[candidate.id] = (scores, entry.critique.strip())
    updated = judge_round(record, proposal.id, trials, judged)
    return {"portal": updated, "mechanisms": {"M17": 1}}

"""PORTAL judge (M17): one call scores every candidate of a round on the five criteria.

The judge sees the moment's context and, per candidate, its event, people, rationale and the
summary of its forward simulation (beats, outcome, whether it reached the target) — not whole
histories. Candidates are labelled ``c1..cN`` and the schema has one required entry per label,
so every candidate gets exactly one judgement. Weighted totals come from ``portal.weights``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import render
from daedalus.agents.portal_candidates import cast_lines, portal_cast, round_context, setting_of
from daedalus.context import RunContext
from daedalus.errors import ConfigError
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.portal import (
    CRITERIA,
    CriterionScores,
    ForwardTrial,
    PortalState,
    ProposalRound,
    judge_round,
)
from daedalus.scenario import Scenario

__all__ = [
    "ACTION",
    "NODE",
    "Judgement",
    "build_judge_messages",
    "judge_schema",
    "labels",
    "portal_judge",
]

NODE = "portal_judge"
ACTION = ActionType.PORTAL_PATH_SCORING
_TOKENS_PER_CANDIDATE = 110


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


def judge_schema(count: int) -> type[BaseModel]:
    """One required ``Judgement`` per label ``c1 .. c<count>``."""
    fields: dict[str, Any] = {label: (Judgement, ...) for label in labels(count)}
    return create_model("PortalJudgements", **fields)


def _candidate_block(
    label: str, proposal: ProposalRound, index: int, trial: ForwardTrial, cast: Mapping[str, str]
) -> str:
    candidate = proposal.candidates[index]
    people = ", ".join(cast.get(e, e).split(",")[0] for e in candidate.entities)
    reached = "yes" if trial.reaches_target else "no"
    beats = " / ".join(trial.beats)
    return (
        f"{label}: {candidate.description}\n"
        f"    people: {people}\n"
        f"    why: {candidate.rationale}\n"
        f"    forward simulation: {beats}\n"
        f"    outcome: {trial.outcome} (reaches the target: {reached})"
    )


def build_judge_messages(
    proposal: ProposalRound,
    trials: Mapping[str, ForwardTrial],
    scenario: Scenario,
    cast: Mapping[str, str],
) -> list[BaseMessage]:
    """The judging prompt for ``proposal`` with each candidate's trial summary."""
    blocks = [
        _candidate_block(label, proposal, index, trials[candidate.id], cast)
        for index, (label, candidate) in enumerate(
            zip(labels(len(proposal.candidates)), proposal.candidates, strict=True)
        )
    ]
    return render(
        "portal_judge",
        setting=setting_of(scenario),
        cast=cast_lines(cast),
        when=f"{proposal.time:%Y-%m-%d}",
        context=round_context(proposal),
        candidates="\n".join(blocks),
    )


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
        messages=build_judge_messages(proposal, trials, state["scenario"], cast),
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

"""PORTAL forward mini simulation (M17): from one candidate, narrate toward the target.

One call per candidate, run in parallel (the graph sends one ``ForwardTask`` per candidate).
The model narrates ``beats`` beats forward from the candidate event, says where they actually
lead and whether that reaches the target; the judge reads this trial when it scores forward
coherence. Only the candidate, its people and the target are in the prompt, never the history.
"""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import render
from daedalus.agents.portal_candidates import cast_lines
from daedalus.context import RunContext
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.portal import ForwardTrial, TrialRequest

__all__ = [
    "ACTION",
    "NODE",
    "ForwardTask",
    "build_forward_messages",
    "forward_schema",
    "portal_forward",
]

NODE = "portal_forward"
ACTION = ActionType.COUNTERFACTUAL_PREDICTION
_TOKENS_PER_BEAT = 90


class ForwardTask(TypedDict):
    """The input of one parallel branch: the request for one candidate's trial."""

    portal_trial: TrialRequest


def forward_schema(beats: int) -> type[BaseModel]:
    """Exactly ``beats`` narrated beats, the outcome, and whether it reaches the target."""
    return create_model(
        "ForwardSimulation",
        beats=(list[str], Field(min_length=beats, max_length=beats)),
        outcome=(str, Field(min_length=1, max_length=400)),
        reaches_target=(bool, Field(description="the outcome arrives at or sets up the target")),
    )


def build_forward_messages(request: TrialRequest) -> list[BaseMessage]:
    """The trial prompt: the candidate, its people and the target, nothing else."""
    return render(
        "portal_forward",
        setting=request.setting,
        cast=cast_lines(request.cast),
        start_time=f"{request.time:%Y-%m-%d}",
        event=request.candidate.description,
        target_time=f"{request.target.time:%Y-%m-%d}",
        target=request.target.description,
        beats=f"{request.beats} beat" if request.beats == 1 else f"{request.beats} beats",
    )


async def portal_forward(state: ForwardTask, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Run one candidate's forward simulation; returns its trial keyed by candidate id."""
    request = state["portal_trial"]
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=forward_schema(request.beats),
        messages=build_forward_messages(request),
        params=SamplingParams(temperature=0.7, max_tokens=_TOKENS_PER_BEAT * request.beats + 120),
    )
    data = answer.model_dump()
    trial = ForwardTrial(
        candidate_id=request.candidate.id,
        beats=tuple(beat.strip() for beat in data["beats"]),
        outcome=data["outcome"].strip(),
        reaches_target=data["reaches_target"],
    )
    return {"portal_trials": {trial.candidate_id: trial}, "mechanisms": {"M17": 1}}

"""PORTAL forward trial (M17): from one candidate, carry its people forward to the target.

One structured call per candidate, run in parallel (the graph sends one ``ForwardTask`` per
candidate). The prompt shows the trial's evidence sheet: the candidate event, each person
involved (rendered at its level, ``agents._portal_cast``) with what they know at that moment
(causally filtered) and their state (valence, arousal, energy, fatigue), and the target's facts
by label. The answer is a typed outcome: the beats, each person's knowledge and
state on arrival, the facts explained and contradicted, and a verdict (reached, partly,
missed) that ``daedalus.portal.decide`` reads. Only the candidate, its people and the target
are in the prompt, never the history.
"""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field, create_model

from daedalus.agents._common import choice, render, schema_cache
from daedalus.context import RunContext
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.portal import (
    TRIAL_SCHEMA,
    EntityForecast,
    ForwardTrial,
    TrialRequest,
    TrialVerdict,
)

__all__ = [
    "ACTION",
    "NODE",
    "SCHEMA_NAME",
    "ForwardTask",
    "build_forward_messages",
    "forward_schema",
    "portal_forward",
    "read_trial",
]

NODE = "portal_forward"
ACTION = ActionType.COUNTERFACTUAL_PREDICTION
SCHEMA_NAME = TRIAL_SCHEMA
"""The title of the trial schema (the offline model answers it from the evidence sheet)."""
_TOKENS_PER_BEAT = 90
_TOKENS_PER_PERSON = 80
_MAX_KNOWS = 8


def _untitled(schema: dict[str, Any]) -> None:
    # Field titles repeat the field names; dropping them keeps every trial prompt shorter.
    for field in schema.get("properties", {}).values():
        field.pop("title", None)


class _Compact(BaseModel):
    model_config = ConfigDict(json_schema_extra=_untitled)


class ForwardTask(TypedDict):
    """The input of one parallel branch: the request for one candidate's trial."""

    portal_trial: TrialRequest


@schema_cache
def forward_schema(beats: int, people: tuple[str, ...], facts: tuple[str, ...]) -> type[BaseModel]:
    """Exactly ``beats`` beats, one state per person in ``people`` (ids), explained and
    contradicted facts among the labels ``facts``, a verdict and the outcome."""
    person: Any = choice(people)
    label: Any = choice(facts)
    verdicts: Any = choice([verdict.value for verdict in TrialVerdict])
    arrival = create_model(
        "PersonOnArrival",
        __base__=_Compact,
        entity=(person, ...),
        knows=(list[str], Field(max_length=_MAX_KNOWS)),
        valence=(float, Field(ge=-1.0, le=1.0)),
        arousal=(float, Field(ge=0.0, le=1.0)),
        energy=(float, Field(ge=0.0, le=1.0)),
        fatigue=(float, Field(ge=0.0, le=1.0)),
    )
    return create_model(
        SCHEMA_NAME,
        __base__=_Compact,
        beats=(list[str], Field(min_length=beats, max_length=beats)),
        people=(list[arrival], Field(min_length=len(people), max_length=len(people))),
        explains=(list[label], Field(max_length=len(facts))),
        contradicts=(list[label], Field(max_length=len(facts))),
        verdict=(verdicts, ...),
        outcome=(str, Field(min_length=1, max_length=400)),
    )


def build_forward_messages(request: TrialRequest) -> list[BaseMessage]:
    """The trial prompt: the setting, the two moments and the evidence sheet as JSON."""
    return render(
        "portal_forward",
        setting=request.setting,
        start_time=f"{request.time:%Y-%m-%d}",
        target_time=f"{request.target_time:%Y-%m-%d}",
        sheet=request.sheet.model_dump_json(),
        beats=f"{request.beats} beat" if request.beats == 1 else f"{request.beats} beats",
    )


def read_trial(request: TrialRequest, data: dict[str, Any]) -> ForwardTrial:
    """The typed trial from a schema-valid answer: fact labels become the facts' texts, one
    forecast per person (a person named twice keeps the first; one left out gets none)."""
    facts = request.sheet.facts
    forecasts: dict[str, EntityForecast] = {}
    for entry in data["people"]:
        if entry["entity"] not in forecasts:
            knows = tuple(dict.fromkeys(k.strip() for k in entry["knows"] if k.strip()))
            forecasts[entry["entity"]] = EntityForecast(
                entity=entry["entity"],
                knows=knows,
                valence=entry["valence"],
                arousal=entry["arousal"],
                energy=entry["energy"],
                fatigue=entry["fatigue"],
            )
    return ForwardTrial(
        candidate_id=request.candidate_id,
        verdict=TrialVerdict(data["verdict"]),
        explains=tuple(facts[label] for label in dict.fromkeys(data["explains"])),
        contradicts=tuple(facts[label] for label in dict.fromkeys(data["contradicts"])),
        beats=tuple(beat.strip() for beat in data["beats"]),
        outcome=data["outcome"].strip(),
        forecasts=tuple(forecasts.values()),
    )


async def portal_forward(state: ForwardTask, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Run one candidate's forward trial; returns its trial keyed by candidate id."""
    request = state["portal_trial"]
    people = tuple(request.sheet.cast)
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=forward_schema(request.beats, people, tuple(request.sheet.facts)),
        messages=build_forward_messages(request),
        params=SamplingParams(
            temperature=0.7,
            max_tokens=_TOKENS_PER_BEAT * request.beats + _TOKENS_PER_PERSON * len(people) + 150,
        ),
    )
    trial = read_trial(request, answer.model_dump(mode="json"))
    return {"portal_trials": {trial.candidate_id: trial}, "mechanisms": {"M17": 1}}

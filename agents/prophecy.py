"""Prophecy (M17, CYCLICAL): the future constrains the past.

``make_prophecy`` records a prophecy at the current moment: the scenario's
``cyclical.prophecy`` when given, else one model call writes it from the scenario and the
opening event. Everyone present witnesses it (M3), so it can shape what they say, and later
events are written with it as a constraint. ``judge_prophecies`` asks a judge, once per open
prophecy at the end of the run, which later moment fulfils it (or none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import choice, render, schema_cache
from daedalus.context import RunContext
from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.narrative import forward_line, whole_cycles
from daedalus.kernel.temporal import Prophecy
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.scenario import CyclicalSection
from daedalus.state import SimState, ValidationRecord

__all__ = [
    "ACTION",
    "JUDGE_ACTION",
    "JUDGE_NODE",
    "NODE",
    "NOT_FULFILLED",
    "PROPHECY_SOURCE",
    "ProphecyState",
    "judge_prophecies",
    "judge_schema",
    "make_prophecy",
]

NODE = "prophecy"
ACTION = ActionType.TEMPORAL_REASONING
JUDGE_NODE = "prophecy_judge"
JUDGE_ACTION = ActionType.VALIDATION
NOT_FULFILLED = "none"
"""The judge's answer when no moment fulfils a prophecy."""
PROPHECY_SOURCE = "prophecy"
"""``source`` of the exposures a spoken prophecy leaves in the entities present."""
_PARAMS = SamplingParams(temperature=0.9, max_tokens=200)
_JUDGE_PARAMS = SamplingParams(temperature=0.0, max_tokens=300)


class ProphecyState(SimState, total=False):
    """What the prophecy nodes read besides the simulation: the prophecies made so far."""

    prophecies: list[Prophecy]


class Foretelling(BaseModel):
    prophecy: str = Field(min_length=10, max_length=400)


@schema_cache
def judge_schema(candidates: Sequence[str]) -> type[BaseModel]:
    """Verdict schema: ``fulfilled_at`` offers only ``candidates`` and ``NOT_FULFILLED``."""
    options: Any = choice([*candidates, NOT_FULFILLED])
    return create_model(
        "ProphecyVerdict",
        fulfilled_at=(options, Field(description="id of the fulfilling moment, or none")),
        evidence=(str, Field(min_length=1, max_length=400)),
    )


def _current(state: SimState) -> Timepoint:
    cursor = state.get("cursor")
    if cursor is None:
        raise ConfigError("make_prophecy needs 'cursor' (the moment the prophecy is spoken at)")
    for tp in state.get("timepoints", []):
        if tp.id == cursor:
            return tp
    raise ConfigError(f"cursor {cursor!r} names no timepoint in the state")


def _people(state: SimState) -> str:
    return "\n".join(
        f"- {spec.id}: {spec.name}{', ' + spec.role if spec.role else ''}"
        for spec in state["scenario"].entities
    )


async def make_prophecy(state: ProphecyState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: a prophecy made at ``cursor``, appended to ``prophecies``, with one ``witnessed``
    exposure per entity present there."""
    scenario = state["scenario"]
    section = scenario.cyclical or CyclicalSection()
    moment = _current(state)
    if section.prophecy.strip():
        text = section.prophecy.strip()
    else:
        steps = whole_cycles(scenario.timeline.steps, section.cycle_length)
        answer = await runtime.context.router.astructured(
            node=NODE,
            action=ACTION,
            schema=Foretelling,
            messages=render(
                "prophecy",
                name=scenario.name,
                description=scenario.description,
                people=_people(state),
                made_at=moment.id,
                time=f"{moment.timestamp:%Y-%m-%d %H:%M}",
                event=moment.event_description or "(not described)",
                cycles=steps // section.cycle_length,
                cycle_length=section.cycle_length,
            ),
            params=_PARAMS,
        )
        text = answer.prophecy.strip()
    existing = list(state.get("prophecies", []))
    number = len(existing)
    heard = [
        ExposureEvent(
            id=f"{moment.id}-prophecy-{number}-{entity}",
            entity_id=entity,
            kind=ExposureKind.WITNESSED,
            information=f"A prophecy was spoken: {text}",
            source=PROPHECY_SOURCE,
            timepoint_id=moment.id,
            timestamp=moment.timestamp,
        )
        for entity in moment.entities_present
    ]
    return {
        "prophecies": [*existing, Prophecy(text=text, made_at=moment.id)],
        "exposures": heard,
        "mechanisms": {"M17": 1, "M3": len(heard)},
    }


async def judge_prophecies(state: ProphecyState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: for each unfulfilled prophecy, one judge call chooses among the moments of the
    line after the one it was made at (or none). Returns the updated ``prophecies`` and one
    ``validation`` record per verdict with the judge's evidence."""
    prophecies = list(state.get("prophecies", []))
    line = forward_line(state.get("timepoints", []))
    ids = [tp.id for tp in line]
    judged: list[Prophecy] = []
    records: list[ValidationRecord] = []
    for number, prophecy in enumerate(prophecies):
        if prophecy.fulfilled_at is not None or prophecy.made_at not in ids:
            judged.append(prophecy)
            continue
        later = line[ids.index(prophecy.made_at) + 1 :]
        if not later:
            judged.append(prophecy)
            continue
        answer = await runtime.context.router.astructured(
            node=JUDGE_NODE,
            action=JUDGE_ACTION,
            schema=judge_schema([tp.id for tp in later]),
            messages=render(
                "prophecy_judge",
                prophecy=prophecy.text,
                made_at=prophecy.made_at,
                moments="\n".join(
                    f"- {tp.id} ({tp.timestamp:%Y-%m-%d %H:%M}): {tp.event_description}"
                    for tp in later
                ),
            ),
            params=_JUDGE_PARAMS,
        )
        verdict = answer.model_dump()
        where = None if verdict["fulfilled_at"] == NOT_FULFILLED else str(verdict["fulfilled_at"])
        judged.append(prophecy.model_copy(update={"fulfilled_at": where}))
        outcome = f"fulfilled at {where}" if where else "not fulfilled"
        records.append(
            ValidationRecord(
                id=f"prophecy-{number}-verdict",
                validator="prophecy_judge",
                timepoint_id=where or prophecy.made_at,
                message=f"prophecy {number} {outcome}: {verdict['evidence'].strip()}",
                action="recorded",
            )
        )
    return {"prophecies": judged, "validation": records, "mechanisms": {"M17": len(records)}}

"""Event writer (M7, M17): a model writes the next moment of a forward timeline.

The prompt carries the scenario, the moments so far in causal order, what the last
conversation settled (lines, contradictions, expectations from prospection) and the mode's
direction (act and tension target, cycle position and prophecy, ...). The answer becomes a
``Timepoint`` chained to the previous moment of the line (M7) plus one ``witnessed`` exposure
per entity present (M3): the only way the event enters anyone's knowledge.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._cast import cast_text
from daedalus.agents._common import SILENT, choice, render, schema_cache
from daedalus.agents._world import moment_world
from daedalus.context import RunContext
from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.narrative import (
    MAIN_BRANCH,
    DecisionPoint,
    EventGuidance,
    forward_line,
    line_timepoint_id,
)
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.state import SimState

__all__ = [
    "ACTION",
    "NODE",
    "WITNESS_SOURCE",
    "build_event_messages",
    "event_schema",
    "next_event",
    "write_event",
]

NODE = "next_event"
ACTION = ActionType.TEMPORAL_REASONING
WITNESS_SOURCE = "event"
"""``source`` of the exposures an event leaves in the entities present."""
_PARAMS = SamplingParams(temperature=0.8, max_tokens=700)
_SHOWN_EVENTS = 12
_SHOWN_TURNS = 6


class DecisionChoice(BaseModel):
    question: str = Field(min_length=3, max_length=200)
    options: list[str] = Field(min_length=2, max_length=4)


@schema_cache
def event_schema(entity_ids: Sequence[str]) -> type[BaseModel]:
    """Output schema whose ``entities_present`` can only name known entities."""
    present: Any = list[choice(entity_ids)]  # type: ignore[misc]
    return create_model(
        "NextEvent",
        description=(str, Field(min_length=10, max_length=900)),
        # a moment worth simulating involves at least two people when the cast has them
        entities_present=(
            present, Field(min_length=min(2, len(entity_ids)), max_length=len(entity_ids))
        ),
        importance=(float, Field(ge=0.0, le=1.0)),
        focus=(str, Field(default="", max_length=160)),
        decision=(DecisionChoice | None, Field(default=None)),
    )


def _entity_ids(state: SimState) -> list[str]:
    """Scenario entities first (template order), then any generated later (M9)."""
    scenario_ids = list(state["scenario"].entity_ids)
    known = state.get("entities", {})
    if not known:
        return scenario_ids
    return [e for e in scenario_ids if e in known] + sorted(set(known) - set(scenario_ids))


def _names(state: SimState) -> dict[str, str]:
    names = {spec.id: spec.name for spec in state["scenario"].entities}
    names.update({eid: entity.name for eid, entity in state.get("entities", {}).items()})
    return names


def _people(state: SimState, ids: Sequence[str], depth: int, known_at: str | None) -> str:
    """The cast at each entity's level for the moment about to be written (slot ``depth``),
    knowledge read at the moment before it; scenario entities not built yet by name and role."""
    entities = state.get("entities", {})
    built = [e for e in ids if e in entities]
    rows = [cast_text(state, built, None, depth=depth, known_at=known_at)]
    for eid in ids:
        if eid not in entities:
            spec = state["scenario"].entity(eid)
            rows.append(f"- {eid}: {spec.name}{', ' + spec.role if spec.role else ''}")
    return "\n".join(row for row in rows if row)


def _events(line: Sequence[Timepoint], names: dict[str, str]) -> str:
    if not line:
        return "(none yet: this is the opening moment)"
    shown = line[-_SHOWN_EVENTS:]
    hidden = len(line) - len(shown)
    rows = [f"({hidden} earlier moments not shown)"] if hidden else []
    for tp in shown:
        who = ", ".join(names.get(e, e) for e in tp.entities_present)
        rows.append(f"- {tp.id} ({tp.timestamp:%Y-%m-%d %H:%M}; {who}): {tp.event_description}")
    return "\n".join(rows)


def _outcomes(state: SimState, previous: Timepoint | None, names: dict[str, str]) -> str:
    if previous is None:
        return "(no conversation yet)"
    rows: list[str] = []
    for dialog in state.get("dialogs", []):
        if dialog.timepoint_id != previous.id:
            continue
        spoken = [t for t in dialog.turns if t.content != SILENT][-_SHOWN_TURNS:]
        rows.extend(f"- {names.get(t.speaker, t.speaker)} said: {t.content}" for t in spoken)
    for clash in state.get("contradictions", []):
        if clash.timepoint_id == previous.id:
            first = names.get(clash.first_speaker, clash.first_speaker)
            second = names.get(clash.second_speaker, clash.second_speaker)
            rows.append(f"- {first} and {second} contradicted each other about {clash.topic}")
    for eid, outlook in sorted(state.get("prospection", {}).items()):
        if outlook.expectations:
            best = max(outlook.expectations, key=lambda e: e.probability)
            rows.append(
                f"- {names.get(eid, eid)} expects: {best.description} "
                f"(likelihood {best.probability:.1f})"
            )
    return "\n".join(rows) or "(the last moment had no conversation)"


def build_event_messages(
    state: SimState, guidance: EventGuidance, number: int, total: int, timestamp: datetime
) -> list[BaseMessage]:
    """The event writer's prompt for moment ``number`` (1-based) of ``total``."""
    scenario = state["scenario"]
    names = _names(state)
    line = forward_line(state.get("timepoints", []))
    notes = list(guidance.notes)
    if guidance.required:
        must = ", ".join(f"{names.get(e, e)} ({e})" for e in guidance.required)
        notes.append(f"These must take part in the moment: {must}.")
    return render(
        "event_writer",
        name=scenario.name,
        description=scenario.description,
        goals="\n".join(f"- {g}" for g in scenario.scene.goals) or "- none stated",
        people=_people(state, _entity_ids(state), len(line), line[-1].id if line else None),
        number=number,
        total=total,
        time=f"{timestamp:%Y-%m-%d %H:%M}",
        world=moment_world(scenario, timestamp),
        events=_events(line, names),
        outcomes=_outcomes(state, line[-1] if line else None, names),
        guidance="\n".join(f"- {n}" for n in notes) or "- let the moment follow from the story",
    )


async def write_event(
    state: SimState,
    runtime: Runtime[RunContext],
    guidance: EventGuidance | None = None,
    *,
    total: int | None = None,
) -> dict[str, Any]:
    """The next moment of the line as a state delta.

    Returns ``timepoints`` (the new one: id ``tp-NNN``, causal parent the previous moment of
    the line, timestamp ``NNN`` steps after the scenario's start by ``TimelineSection.at``, so
    month and year steps keep the calendar day), ``exposures`` (one ``witnessed`` per entity
    present), ``cursor`` (the new id), ``focus`` and, when the model saw a choice,
    ``decision_points``. Entities in ``guidance.required`` are always present (placed first).
    Emits a ``timepoint`` custom stream event.
    """
    scenario = state["scenario"]
    guidance = guidance or EventGuidance()
    total = total or scenario.timeline.steps
    line = forward_line(state.get("timepoints", []))
    previous = line[-1] if line else None
    index = len(line)
    branch = state.get("branch_id") or MAIN_BRANCH
    tp_id = line_timepoint_id(index, branch)
    timestamp = scenario.timeline.at(scenario.start_time, index)
    ids = _entity_ids(state)
    unknown = [e for e in guidance.required if e not in ids]
    if unknown:
        raise ConfigError(f"guidance requires unknown entities {unknown}; known: {ids}")
    intervention = state.get("intervention")
    mechanisms: dict[str, int] = {}
    if intervention and previous is not None and previous.branch_id != branch:
        # M12: the first moment of a branch is the intervention itself, among the people of
        # the moment it forks from; later moments are written from it like any other.
        data: dict[str, Any] = {
            "description": intervention,
            "entities_present": list(previous.entities_present),
            "importance": 0.9,
            "focus": "the intervention",
            "decision": None,
        }
        mechanisms["M12"] = 1
    else:
        answer = await runtime.context.router.astructured(
            node=NODE,
            action=ACTION,
            schema=event_schema(ids),
            messages=build_event_messages(state, guidance, index + 1, total, timestamp),
            params=_PARAMS,
        )
        data = answer.model_dump()
    present = tuple(dict.fromkeys([*guidance.required, *data["entities_present"]]))
    timepoint = Timepoint(
        id=tp_id,
        timestamp=timestamp,
        causal_parent=None if previous is None else previous.id,
        event_description=data["description"].strip(),
        entities_present=present,
        importance=data["importance"],
        branch_id=branch,
    )
    witnessed = [
        ExposureEvent(
            id=f"{tp_id}-witnessed-{entity}",
            entity_id=entity,
            kind=ExposureKind.WITNESSED,
            information=timepoint.event_description,
            source=WITNESS_SOURCE,
            timepoint_id=tp_id,
            timestamp=timestamp,
        )
        for entity in present
    ]
    mechanisms["M3"] = len(witnessed)
    if timepoint.causal_parent is not None:
        mechanisms["M7"] = 1  # a causal link every later knowledge query follows
    delta: dict[str, Any] = {
        "timepoints": [timepoint],
        "exposures": witnessed,
        "cursor": tp_id,
        "focus": {tp_id: data["focus"].strip()},
        "mechanisms": mechanisms,
    }
    decision = data.get("decision")
    if decision is not None:
        delta["decision_points"] = {
            tp_id: DecisionPoint(question=decision["question"], options=tuple(decision["options"]))
        }
    runtime.stream_writer({"event": "timepoint", "index": index, "of": total, "id": tp_id})
    return delta


async def next_event(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the next moment of a PEARL line (no mode direction)."""
    return await write_event(state, runtime)

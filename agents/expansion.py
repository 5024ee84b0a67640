"""Vertical expansion (M8): detail inside one moment instead of a step to the next one.

When the fidelity plan asks for it — the moment's importance reaches ``EXPANSION_IMPORTANCE``, or
the plan schedules it at TRAINED — one call splits the moment into 3-5 beats. Each beat becomes a
sub-moment ``Timepoint`` (``moment_of`` the moment, ids ``<moment>.m1``..., chained by
``causal_parent`` from the moment, same branch, same time or a few minutes later) and a
``witnessed`` exposure for every entity there (information = the beat's description). Later
moments know these details through provenance (M3, M7); entities whose participation was
refused at the moment (asleep, unfit) witness nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._cast import cast_text
from daedalus.agents._common import choice, render, transcript
from daedalus.context import RunContext
from daedalus.domain import ExposureEvent, ExposureKind, ResolutionLevel, Timepoint
from daedalus.kernel.strategy import FidelityPlan
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.scenario import Scenario
from daedalus.state import SimState
from daedalus.validators.enforcement import dialog_at
from daedalus.validators.gating import find_timepoint, refused_participation

__all__ = [
    "ACTION",
    "EXPANSION_IMPORTANCE",
    "EXPANSION_SOURCE",
    "MAX_BEAT_MINUTES",
    "NODE",
    "Beat",
    "beat_exposures",
    "beat_timepoints",
    "expansion_schema",
    "vertical_expansion",
    "wants_expansion",
]

NODE = "vertical_expansion"
ACTION = ActionType.TEMPORAL_REASONING
EXPANSION_IMPORTANCE = 0.8
"""Moment importance from which a moment is expanded into beats."""
MAX_BEAT_MINUTES = 120
"""Latest a beat may start after its moment began."""
EXPANSION_SOURCE = "vertical_expansion"
"""``source`` of the witnessed exposures a beat creates."""
_PARAMS = SamplingParams(temperature=0.5, max_tokens=900)


class Beat(BaseModel):
    """One beat inside a moment, as the model proposes it."""

    label: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=3, max_length=400)
    minutes_after: int = Field(ge=0, le=MAX_BEAT_MINUTES)
    present: tuple[str, ...] = ()


def moment_span(scenario: Scenario | None) -> int:
    """Minutes a moment's beats may spread over: at most half the time to the next moment, so
    details never outlast their moment (causes keep preceding effects), and never more than
    ``MAX_BEAT_MINUTES``."""
    if scenario is None:
        return MAX_BEAT_MINUTES
    half_step = int(scenario.timeline.step_delta.total_seconds() // 120)
    return max(0, min(MAX_BEAT_MINUTES, half_step))


def expansion_schema(present: Sequence[str], span: int = MAX_BEAT_MINUTES) -> type[BaseModel]:
    """Schema of 3-5 beats whose ``present`` ids can only name entities at the moment and whose
    times stay within ``span`` minutes of it."""
    people: Any = list[choice(present)] if present else list[str]  # type: ignore[misc]
    beat = create_model(
        "MomentBeat",
        label=(str, Field(min_length=1, max_length=60)),
        description=(str, Field(min_length=3, max_length=400)),
        minutes_after=(int, Field(ge=0, le=span)),
        present=(people, Field(max_length=max(len(present), 0))),
    )
    return create_model(
        "MomentBeats",
        beats=(list[beat], Field(min_length=3, max_length=5)),
    )


def wants_expansion(
    moment: Timepoint, timepoints: Sequence[Timepoint], plan: FidelityPlan | None
) -> bool:
    """True when the plan asks for detail inside ``moment`` and it has none yet.

    Asked for: importance at least ``EXPANSION_IMPORTANCE``, or the plan schedules the moment at
    TRAINED. A sub-moment is never expanded again here, nor a moment that already has details.
    """
    if moment.moment_of is not None or any(tp.moment_of == moment.id for tp in timepoints):
        return False
    planned = plan.timepoint_resolution.get(moment.id) if plan is not None else None
    return moment.importance >= EXPANSION_IMPORTANCE or planned == ResolutionLevel.TRAINED


def beat_timepoints(
    moment: Timepoint,
    beats: Sequence[Beat],
    allowed: Collection[str],
    span: int = MAX_BEAT_MINUTES,
) -> list[Timepoint]:
    """Sub-moments for ``beats`` (M8): ids ``<moment>.m1``..., each caused by the one before
    (the first by the moment), never earlier than the one before nor later than ``span``
    minutes after the moment, on the moment's branch, with the beat's people that are present
    at the moment and in ``allowed``."""
    result: list[Timepoint] = []
    parent = moment.id
    offset = 0
    for number, beat in enumerate(beats, start=1):
        offset = min(max(offset, beat.minutes_after), span)
        present = tuple(
            p for p in moment.entities_present if p in set(beat.present) and p in allowed
        )
        sub = Timepoint(
            id=f"{moment.id}.m{number}",
            timestamp=moment.timestamp + timedelta(minutes=offset),
            causal_parent=parent,
            event_description=f"{beat.label.strip()}: {beat.description.strip()}",
            entities_present=present,
            importance=moment.importance,
            branch_id=moment.branch_id,
            moment_of=moment.id,
        )
        result.append(sub)
        parent = sub.id
    return result


def beat_exposures(sub_moments: Sequence[Timepoint], beats: Sequence[Beat]) -> list[ExposureEvent]:
    """One ``witnessed`` exposure per entity present at each sub-moment; the information is the
    beat's description."""
    events: list[ExposureEvent] = []
    for sub, beat in zip(sub_moments, beats, strict=True):
        for entity_id in sub.entities_present:
            events.append(
                ExposureEvent(
                    id=f"{sub.id}-witnessed-{entity_id}",
                    entity_id=entity_id,
                    kind=ExposureKind.WITNESSED,
                    information=beat.description.strip(),
                    source=EXPANSION_SOURCE,
                    timepoint_id=sub.id,
                    timestamp=sub.timestamp,
                )
            )
    return events


async def vertical_expansion(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: expand the moment at ``cursor`` into beats when the plan asks for it (M8).

    Writes the sub-moments to ``timepoints`` and their witnessed exposures to ``exposures``,
    and emits a ``detail`` progress event naming them; returns ``{}`` (no call) when the plan
    does not ask.
    """
    timepoints = state["timepoints"]
    moment = find_timepoint(timepoints, state.get("cursor"))
    if not wants_expansion(moment, timepoints, state.get("plan")):
        return {}
    entities = state["entities"]
    present = [p for p in moment.entities_present if p in entities]
    names = {p: entities[p].name for p in present}
    people = cast_text(state, present, moment.id)
    dialog = dialog_at(state.get("dialogs", []), moment.id)
    scenario = state.get("scenario")
    environment = state.get("environment")
    place = environment.location if environment is not None else ""
    if not place and scenario is not None:
        place = scenario.scene.location
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=expansion_schema(present, moment_span(scenario)),
        messages=render(
            "expansion",
            moment=moment.event_description or f"the moment {moment.id}",
            time=moment.timestamp.isoformat(sep=" ", timespec="minutes"),
            place=place or "unspecified",
            people=people or "- (nobody named)",
            transcript=transcript(dialog.turns if dialog is not None else (), names),
        ),
        params=_PARAMS,
    )
    beats = [Beat.model_validate(b) for b in answer.model_dump()["beats"]]
    refused = refused_participation(state.get("validation", []), moment.id)
    allowed = frozenset(p for p in present if p not in refused)
    subs = beat_timepoints(moment, beats, allowed, moment_span(scenario))
    beat_exposures_written = beat_exposures(subs, beats)
    if subs:
        runtime.stream_writer({"event": "detail", "id": moment.id, "ids": [t.id for t in subs]})
    return {
        "timepoints": subs,
        "exposures": beat_exposures_written,
        "mechanisms": {"M8": len(subs), "M3": len(beat_exposures_written)} if subs else {},
    }

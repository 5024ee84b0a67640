"""Query answering (M5): what an entity knew at a moment, written from provenance only.

The model sees exactly the exposures visible to the entity at the timepoint (M3, M7) and must
cite them by id; the schema offers no other ids, so an answer can never lean on knowledge the
entity did not have. The resolution the query reached sets how much detail is written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import choice, render
from daedalus.domain import Entity, ExposureEvent, ResolutionLevel, Timepoint
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.llm.router import Router

__all__ = ["ACTION", "DETAIL", "NODE", "answer_schema", "knowledge_lines", "write_answer"]

NODE = "query_answer"
ACTION = ActionType.SUMMARIZATION

DETAIL: Mapping[ResolutionLevel, tuple[str, int]] = {
    ResolutionLevel.TENSOR_ONLY: ("one plain sentence", 120),
    ResolutionLevel.SCENE: ("two or three sentences", 220),
    ResolutionLevel.GRAPH: ("a short paragraph that also says where each item came from", 380),
    ResolutionLevel.DIALOG: (
        "a full paragraph from the entity's point of view, with sources and how sure it was",
        600,
    ),
    ResolutionLevel.TRAINED: (
        "a full paragraph from the entity's point of view, with sources, how sure it was and "
        "what it would make of it",
        800,
    ),
}
"""How much the answer says at each resolution, and the tokens it may take."""


def answer_schema(visible_ids: Sequence[str]) -> type[BaseModel]:
    """Answer text plus cited ids, which can only be ``visible_ids`` (repeats are dropped later)."""
    cited: Any = list[choice(visible_ids)]  # type: ignore[misc]
    return create_model(
        "QueryReply",
        answer=(str, Field(min_length=1, max_length=2000)),
        cited=(cited, Field(default_factory=list, max_length=2 * len(set(visible_ids)))),
    )


def knowledge_lines(
    knowledge: Sequence[ExposureEvent], withheld: Collection[str] = ()
) -> tuple[str, ...]:
    """One line per exposure: ``[id] information (how, from whom, when: the moment and its time,
    confidence)``."""
    lines = []
    for event in knowledge:
        when = "before the timeline" if event.timepoint_id is None else f"at {event.timepoint_id}"
        if event.timepoint_id is not None and event.timestamp is not None:
            when += f", {event.timestamp.isoformat(sep=' ', timespec='minutes')}"
        note = "; kept private" if event.id in withheld else ""
        lines.append(
            f"[{event.id}] {event.information} ({event.kind.value} from {event.source}, {when}, "
            f"confidence {event.confidence:.2f}{note})"
        )
    return tuple(lines)


async def write_answer(
    router: Router,
    *,
    question: str,
    entity: Entity,
    timepoint: Timepoint,
    knowledge: Sequence[ExposureEvent],
    withheld: Collection[str],
    level: ResolutionLevel,
) -> tuple[str, tuple[str, ...]]:
    """The answer and the exposure ids it cites (unique, in the order cited).

    With no visible knowledge there is nothing to cite: the answer says so and no call is made.
    """
    if not knowledge:
        return f"{entity.name} had no knowledge on record at {timepoint.id}.", ()
    detail, max_tokens = DETAIL[level]
    reply = await router.astructured(
        node=NODE,
        action=ACTION,
        schema=answer_schema([event.id for event in knowledge]),
        messages=render(
            "query_answer",
            question=question.strip(),
            name=entity.name,
            role=entity.role or "no stated role",
            time=timepoint.timestamp.isoformat(sep=" ", timespec="minutes"),
            moment=timepoint.event_description or timepoint.id,
            knowledge="\n".join(knowledge_lines(knowledge, withheld)),
            detail=detail,
        ),
        params=SamplingParams(temperature=0.2, max_tokens=max_tokens),
    )
    values = reply.model_dump()
    return str(values["answer"]).strip(), tuple(dict.fromkeys(values["cited"]))

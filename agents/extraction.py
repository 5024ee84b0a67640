"""Knowledge extraction (M19): what was said becomes ``told`` exposures for the listeners.

One model call per dialog names the statements a listener could now repeat. Each becomes an
exposure event for every participant except the speaker, with the speaker as source, at the
dialog's timepoint — the only way dialog knowledge enters anyone (M3).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import SILENT, render, schema_cache, transcript
from daedalus.context import RunContext
from daedalus.domain import DialogTurn, ExposureEvent, ExposureKind, Timepoint
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.state import DialogState

__all__ = ["ACTION", "NODE", "extraction", "extraction_schema", "told_exposures"]

NODE = "extraction"
ACTION = ActionType.SUMMARIZATION
_PARAMS = SamplingParams(temperature=0.1, max_tokens=800)


class StatedFact(BaseModel):
    turn_index: int = Field(ge=0)
    information: str = Field(min_length=3, max_length=300)
    confidence: float = Field(default=0.8, ge=0.0, le=1.0)


@schema_cache
def extraction_schema(turn_count: int) -> type[BaseModel]:
    """Facts schema with turn indices bounded to the transcript."""
    fact = create_model(
        "StatedFactInRange",
        __base__=StatedFact,
        turn_index=(int, Field(ge=0, le=max(turn_count - 1, 0))),
    )
    return create_model(
        "ExtractedFacts",
        facts=(list[fact], Field(default_factory=list, max_length=2 * max(turn_count, 1))),
    )


def told_exposures(
    dialog_id: str,
    timepoint: Timepoint,
    turns: list[DialogTurn],
    participants: tuple[str, ...],
    facts: list[StatedFact],
) -> list[ExposureEvent]:
    """One ``told`` exposure per (fact, listener); the speaker and absent entities get none."""
    events: list[ExposureEvent] = []
    seen: set[tuple[str, str]] = set()
    for number, fact in enumerate(facts):
        if not 0 <= fact.turn_index < len(turns):
            continue
        turn = turns[fact.turn_index]
        if turn.content == SILENT:
            continue
        information = fact.information.strip()
        for listener in participants:
            if listener == turn.speaker or (listener, information) in seen:
                continue
            seen.add((listener, information))
            events.append(
                ExposureEvent(
                    id=f"{dialog_id}-told-{number}-{listener}",
                    entity_id=listener,
                    kind=ExposureKind.TOLD,
                    information=information,
                    source=turn.speaker,
                    timepoint_id=timepoint.id,
                    timestamp=timepoint.timestamp,
                    confidence=round(fact.confidence * turn.confidence, 4),
                )
            )
    return events


async def extraction(state: DialogState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Extract stated facts and turn them into exposures for the listeners."""
    turns = list(state.get("turns", []))
    spoken = [t for t in turns if t.content != SILENT]
    if not spoken:
        return {"told": []}
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=extraction_schema(len(turns)),
        messages=render(
            "extraction", transcript=transcript(turns, dict(state["public"].names), indexed=True)
        ),
        params=_PARAMS,
    )
    facts = [StatedFact.model_validate(f) for f in answer.model_dump()["facts"]]
    told = told_exposures(
        state["dialog_id"], state["timepoint"], turns, state["participants"], facts
    )
    return {"told": told}

"""Query answer writer (M5): cites only visible ids; detail follows the resolution."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import pytest
from pydantic import ValidationError

from daedalus.agents.query_answer import (
    DETAIL,
    NODE,
    answer_schema,
    knowledge_lines,
    write_answer,
)
from daedalus.domain import Entity, ExposureEvent, ExposureKind, ResolutionLevel, Timepoint
from daedalus.llm.router import Router
from daedalus.testing import ScriptedModel

ADA = Entity(id="ada", name="Ada Lind", role="Night nurse")
MOMENT = Timepoint(id="t1", timestamp=datetime(2026, 3, 1, 22, 30), event_description="Shift change")
KNOWN = [
    ExposureEvent(id="k0", entity_id="ada", kind=ExposureKind.INITIAL, information="Ward B is short"),
    ExposureEvent(
        id="k1", entity_id="ada", kind=ExposureKind.TOLD, information="Bed 4 refused food",
        source="bo", timepoint_id="t1", confidence=0.6,
    ),
]


def ask(router: Router, level: ResolutionLevel, knowledge: list[ExposureEvent] = KNOWN) -> tuple[str, tuple[str, ...]]:
    return asyncio.run(
        write_answer(
            router, question="What did Ada know?", entity=ADA, timepoint=MOMENT,
            knowledge=knowledge, withheld=["k0"], level=level,
        )
    )


def test_knowledge_lines_say_what_how_whom_when() -> None:
    assert knowledge_lines(KNOWN, withheld=["k0"]) == (
        "[k0] Ward B is short (initial from external, before the timeline, confidence 1.00; "
        "kept private)",
        "[k1] Bed 4 refused food (told from bo, at t1, confidence 0.60)",
    )


def test_the_schema_offers_only_visible_ids() -> None:
    schema = answer_schema(["k0", "k1"])
    schema.model_validate({"answer": "x", "cited": ["k1", "k0", "k1"]})
    with pytest.raises(ValidationError):
        schema.model_validate({"answer": "x", "cited": ["k9"]})
    with pytest.raises(ValidationError):
        schema.model_validate({"answer": "", "cited": []})


def test_the_answer_cites_each_id_once_in_order(scripted_router: Callable[..., Router]) -> None:
    model = ScriptedModel({NODE: [{"answer": " She knew bed 4 refused food. ", "cited": ["k1", "k0", "k1"]}]})
    answer, cited = ask(scripted_router(model), ResolutionLevel.SCENE)
    assert (answer, cited) == ("She knew bed 4 refused food.", ("k1", "k0"))
    prompt = model.prompts_for(NODE)[0]
    assert "[k1] Bed 4 refused food" in prompt and "Ada Lind (Night nurse)" in prompt
    assert "Shift change, 2026-03-01 22:30" in prompt


def test_detail_and_length_follow_the_resolution(scripted_router: Callable[..., Router]) -> None:
    model = ScriptedModel({NODE: [{"answer": "a", "cited": []}, {"answer": "b", "cited": []}]})
    router = scripted_router(model)
    ask(router, ResolutionLevel.TENSOR_ONLY)
    ask(router, ResolutionLevel.DIALOG)
    low, high = model.calls_for(NODE)
    assert DETAIL[ResolutionLevel.TENSOR_ONLY][0] in low.prompt
    assert DETAIL[ResolutionLevel.DIALOG][0] in high.prompt
    assert low.kwargs["max_tokens"] < high.kwargs["max_tokens"]


def test_no_knowledge_means_no_call(scripted_router: Callable[..., Router]) -> None:
    model = ScriptedModel({})
    answer, cited = ask(scripted_router(model), ResolutionLevel.DIALOG, knowledge=[])
    assert answer == "Ada Lind had no knowledge on record at t1." and cited == ()
    assert model.calls == []


def test_offline_cites_only_what_it_was_shown(offline_router: Router) -> None:
    _, cited = ask(offline_router, ResolutionLevel.GRAPH)
    assert set(cited) <= {"k0", "k1"}

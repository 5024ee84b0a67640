"""A schema's JSON schema is computed once per class, whatever asks for it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from daedalus.llm._schemas import json_schema, schema_text
from daedalus.llm.actions import ActionType
from daedalus.llm.router import Router


class Finding(BaseModel):
    """What a reader found."""

    claim: str
    holds: bool


def test_the_text_is_canonical_and_the_dict_a_fresh_copy():
    assert schema_text(Finding) == schema_text(Finding)
    first = json_schema(Finding)
    assert first == Finding.model_json_schema()
    first["properties"].clear()
    assert json_schema(Finding) == Finding.model_json_schema()


def test_a_router_describes_each_schema_class_once(monkeypatch: pytest.MonkeyPatch):
    class Counted(BaseModel):
        holds: bool

    described: list[Any] = []
    original = Counted.model_json_schema

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        described.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(Counted, "model_json_schema", counting)
    router = Router.offline(seed=3)

    async def three_asks() -> None:
        for claim in ("first", "second", "third"):
            await router.astructured(
                node="reader",
                action=ActionType.VALIDATION,
                schema=Counted,
                messages=[HumanMessage(f"Does the {claim} claim hold?")],
            )

    asyncio.run(three_asks())
    router.close()
    assert len(router.ledger) == 3
    assert len(described) == 1  # cache key, binding and budget bound share one description

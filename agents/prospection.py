"""Prospection after a dialog (M15): how each participant now sees its own future.

One model call covers every participant (not one per person). Expectations, a contingency plan
for the worst of them and an anxiety level replace the previous prospective state; anxiety then
feeds the next dialog's back layer (suppressed impulses) and the steering of behaviour.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import SILENT, choice, render, schema_cache, transcript
from daedalus.context import RunContext
from daedalus.domain import Expectation, ProspectiveState
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.state import DialogState

__all__ = ["ACTION", "NODE", "prospection", "prospection_schema"]

NODE = "prospection"
ACTION = ActionType.PROSPECTION
_PARAMS = SamplingParams(temperature=0.4, max_tokens=900)


class ExpectationItem(BaseModel):
    description: str = Field(min_length=3, max_length=200)
    probability: float = Field(ge=0.0, le=1.0)
    valence: float = Field(ge=-1.0, le=1.0)


@schema_cache
def prospection_schema(participants: tuple[str, ...]) -> type[BaseModel]:
    """Schema with one outlook per participant id."""
    outlook = create_model(
        "Outlook",
        entity=(choice(participants), Field(description="participant id")),
        expectations=(list[ExpectationItem], Field(min_length=1, max_length=3)),
        contingency=(str, Field(default="", max_length=240)),
        anxiety=(float, Field(ge=0.0, le=1.0)),
    )
    return create_model(
        "Prospects",
        outlooks=(list[outlook], Field(min_length=1, max_length=len(participants))),
    )


async def prospection(state: DialogState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """New prospective states for the participants the model spoke for."""
    turns = list(state.get("turns", []))
    participants = state["participants"]
    if not any(t.content != SILENT for t in turns):
        return {"prospection": {}}
    view = state["public"]
    people = "\n".join(
        f"- {p}: {view.names[p]}, {view.roles.get(p) or 'participant'}" for p in participants
    )
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=prospection_schema(participants),
        messages=render(
            "prospection",
            people=people,
            transcript=transcript(turns, dict(view.names), indexed=True),
        ),
        params=_PARAMS,
    )
    outlooks: dict[str, ProspectiveState] = {}
    for item in answer.model_dump()["outlooks"]:
        expectations = tuple(Expectation(**e) for e in item["expectations"])
        worst = min(expectations, key=lambda e: (e.valence, -e.probability))
        plans = {worst.description: (item["contingency"],)} if item["contingency"] else {}
        outlooks[item["entity"]] = ProspectiveState(
            entity_id=item["entity"],
            expectations=expectations,
            contingency_plans=plans,
            anxiety=item["anxiety"],
        )
    return {"prospection": outlooks}

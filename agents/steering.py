"""Steering agent (M11): picks the next beat of a dialog from public state only.

It sees who is present, the scene, the goals, the mood and what was said aloud — never a
character's back layer or private knowledge (those live in ``contexts``, which it does not read).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import choice, render, schema_cache, transcript
from daedalus.context import RunContext
from daedalus.kernel.dialog import DialogMove, SteeringDecision
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.provenance.fourth_wall import PublicView
from daedalus.state import DialogState

__all__ = ["ACTION", "NODE", "build_steering_messages", "steering", "steering_schema"]

NODE = "steering"
ACTION = ActionType.DIALOG_SYNTHESIS
_PARAMS = SamplingParams(temperature=0.7, max_tokens=300)


@schema_cache
def steering_schema(participants: tuple[str, ...]) -> type[BaseModel]:
    """Output schema whose speaker and target fields only offer the people present."""
    speaker: Any = choice(participants)
    return create_model(
        "SteeringChoice",
        next_speaker=(speaker, Field(description="id of the next speaker")),
        move=(DialogMove, Field(description="the kind of line")),
        target=(speaker | None, Field(default=None, description="id the line is aimed at")),
        mood_shift=(str, Field(default="", max_length=120)),
        tension_delta=(float, Field(default=0.0, ge=-0.3, le=0.3)),
        end=(bool, Field(default=False)),
        reason=(str, Field(default="", max_length=240)),
    )


def build_steering_messages(view: PublicView, state: DialogState) -> list[Any]:
    """The steering prompt, built from the public view and the spoken turns only."""
    turns = state.get("turns", [])
    people = "\n".join(
        f"- {view.names[p]} (id {p}){', ' + view.roles[p] if view.roles.get(p) else ''}"
        for p in view.participants
    )
    if view.room:
        people += "\nAlso present, not in the conversation:\n" + view.room
    feedback = state.get("feedback", "")
    transcript_text = transcript(turns, view.names)
    if feedback:
        transcript_text += f"\n(Director's note: the last beat was dropped because {feedback}.)"
    return render(
        "steering",
        scene=view.scene,
        time=view.time,
        goals="\n".join(f"- {g}" for g in view.goals) or "- let the scene find its own course",
        people=people,
        mood=state.get("mood") or view.mood,
        tension=f"{state.get('tension', view.tension):.2f}",
        turn_count=len(turns),
        turn_budget=state["turn_budget"],
        transcript=transcript_text,
    )


async def steering(state: DialogState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Choose the next speaker, move, target, mood shift and whether the scene ends."""
    view = state["public"]
    schema = steering_schema(view.participants)
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=schema,
        messages=build_steering_messages(view, state),
        params=_PARAMS,
    )
    decision = SteeringDecision.model_validate(answer.model_dump())
    turns = state.get("turns", [])
    # Everyone present gets a chance to be heard before the scene may close.
    heard = {turn.speaker for turn in turns}
    if decision.end and len(heard) < min(len(view.participants), state["turn_budget"]):
        decision = decision.model_copy(update={"end": False})
    if decision.target == decision.next_speaker:
        decision = decision.model_copy(update={"target": None})
    tension = min(1.0, max(0.0, state.get("tension", view.tension) + decision.tension_delta))
    return {
        "decision": decision,
        "mood": decision.mood_shift or state.get("mood") or view.mood,
        "tension": tension,
        "feedback": "",
    }

"""Quality gate (M11): surface heuristics on every turn, a model verdict when the dialog ends.

A turn that fails the surface checks is *replaced*: it is dropped and the beat is played again
(re-steered for speaker-order problems, rewritten for content problems) until ``max_retries``
is spent, after which it is accepted and the finding kept in ``gate_log`` — except a line that
says a withheld secret aloud, which is withdrawn (the speaker stays silent) rather than
accepted. When the dialog ends — by the steering agent's choice or because the turn budget is
reached — one model call judges the whole conversation; a failing verdict rewrites the weakest
turn in place, once.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from pydantic import Field, create_model

from daedalus.agents._common import SILENT, instruction_runs, render, schema_cache, transcript
from daedalus.context import RunContext
from daedalus.kernel.dialog import (
    GateVerdict,
    SteeringDecision,
    SurfaceIssue,
    SurfaceReport,
    surface_check,
)
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.state import DialogState, GateRecord

__all__ = ["ACTION", "MAX_FINAL_RETRIES", "NODE", "after_gate", "quality_gate", "verdict_schema"]

NODE = "quality_gate"
ACTION = ActionType.VALIDATION
MAX_FINAL_RETRIES = 1
_PARAMS = SamplingParams(temperature=0.2, max_tokens=400)

Route = Literal["steer", "rewrite", "finish"]

_WITHDRAWN = {"content": SILENT, "knowledge_references": (), "emotional_tone": "withdrawn"}


@schema_cache
def verdict_schema(turn_count: int) -> type[GateVerdict]:
    """``GateVerdict`` with ``weakest_turn`` bounded to the turns that exist."""
    return create_model(
        "DialogVerdict",
        __base__=GateVerdict,
        weakest_turn=(int | None, Field(default=None, ge=0, le=max(turn_count - 1, 0))),
    )


def after_gate(state: DialogState) -> Route:
    """Where the loop goes next: a new beat, a rewrite of a turn, or the post-dialog nodes."""
    if state.get("ended"):
        return "finish"
    if state.get("redo_index") is not None or state.get("feedback_rewrite"):
        return "rewrite"
    return "steer"


async def _final_verdict(state: DialogState, runtime: Runtime[RunContext]) -> GateVerdict:
    turns = state["turns"]
    view = state["public"]
    people = ", ".join(
        f"{view.names[p]} ({view.roles.get(p) or 'participant'})" for p in view.participants
    )
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=verdict_schema(len(turns)),
        messages=render(
            "quality_gate",
            threshold=f"{runtime.context.quality_threshold:.2f}",
            scene=view.scene,
            people=people,
            transcript=transcript(turns, dict(view.names), indexed=True),
        ),
        params=_PARAMS,
    )
    return GateVerdict.model_validate(answer.model_dump())


def _withheld_texts(state: DialogState) -> dict[str, list[str]]:
    return {
        speaker: [line.information for line in ctx.back.withheld]
        for speaker, ctx in state["contexts"].items()
    }


async def quality_gate(state: DialogState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Accept, replace or finish; see the module docstring for the rules."""
    turns = list(state["turns"])
    decision = state["decision"]
    assert decision is not None
    update: dict[str, Any] = {"feedback_rewrite": False}
    if state.get("redo_index") is not None:
        return {**update, **await _finish(state, runtime, turns)}
    latest = turns[-1]
    report = (
        surface_check(
            turns,
            state["participants"],
            _withheld_texts(state),
            names=tuple(state["public"].names.values()),
            instructions=instruction_runs(),
        )
        if latest.content != SILENT
        else SurfaceReport()
    )
    if not report.passed:
        record = GateRecord(
            turn_index=len(turns) - 1,
            speaker=latest.speaker,
            issues=report.issues,
            details=report.details,
            action="replaced",
        )
        retries = state.get("retries", 0)
        if retries < state["max_retries"]:
            return {
                **update,
                "turns": turns[:-1],
                "retries": retries + 1,
                "feedback": "; ".join(report.details),
                "feedback_rewrite": not any(i.needs_new_beat for i in report.issues),
                "gate_log": [record],
            }
        if SurfaceIssue.WITHHELD_LEAK in report.issues:
            # A secret is never let through: the line is withdrawn and the speaker says nothing.
            turns[-1] = latest.model_copy(update=_WITHDRAWN)
            update["turns"] = turns
            record = record.model_copy(update={"action": "withdrawn"})
        else:
            record = record.model_copy(update={"action": "accepted_after_retries"})
        update["gate_log"] = [record]
    update.update({"retries": 0, "feedback": ""})
    if decision.end or len(turns) >= state["turn_budget"]:
        reason = "steering ended the scene" if decision.end else "turn budget reached"
        update.update(await _finish({**state, "end_reason": reason}, runtime, turns))
        update.setdefault("end_reason", reason)
    return update


async def _finish(
    state: DialogState, runtime: Runtime[RunContext], turns: list[Any]
) -> dict[str, Any]:
    """Judge the finished dialog; rewrite the weakest turn once if the verdict fails."""
    verdict = await _final_verdict(state, runtime)
    used = state.get("final_retries", 0)
    weakest = verdict.weakest_turn
    if (
        not verdict.meets(runtime.context.quality_threshold)
        and used < MAX_FINAL_RETRIES
        and weakest is not None
        and turns[weakest].content != SILENT
    ):
        redo = turns[weakest]
        beat = SteeringDecision(
            next_speaker=redo.speaker,
            move=redo.move or "direct_statement",
            target=redo.target,
            reason=f"Rewrite this line. {verdict.feedback}".strip(),
        )
        return {
            "verdict": verdict,
            "final_retries": used + 1,
            "redo_index": weakest,
            "decision": beat,
            "ended": False,
        }
    return {"verdict": verdict, "redo_index": None, "ended": True}

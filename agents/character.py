"""Character agent (M11, M16): writes exactly one turn for one speaker.

The prompt is the speaker's own Fourth Wall context and nothing else: the back layer shapes the
voice, the front layer supplies the facts (only exposures the speaker could know, M7). Sampling
parameters come from the speaker's tensor and current state, recomputed for every turn (energy
spent earlier in the dialog lowers the turn's token budget). Non-human speakers talk in their own
mode when the scenario's animism level admits them (M16).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import SILENT, choice, render, schema_cache, transcript
from daedalus.agents._world import split_world_knowledge, world_knowledge_section
from daedalus.context import RunContext
from daedalus.domain import CognitiveState, DialogTurn, EntityKind
from daedalus.kernel.dialog import DialogMove, SteeringDecision
from daedalus.kernel.persona import persona_params
from daedalus.llm.actions import ActionType
from daedalus.provenance.fourth_wall import FourthWallContext
from daedalus.state import DialogState, ValidationRecord
from daedalus.validators.aftermath import energy_spent

__all__ = [
    "ACTION",
    "ANIMISTIC_ACTION",
    "NODE",
    "animistic_mode",
    "build_character_messages",
    "character",
    "turn_schema",
]

NODE = "character"
ACTION = ActionType.DIALOG_SYNTHESIS
ANIMISTIC_ACTION = ActionType.ANIMISTIC_BEHAVIOR

_ANIMISTIC_MODES = {
    EntityKind.ANIMAL: "Describe what it does — movement, sound, posture — never human words.",
    EntityKind.BUILDING: "Narrate the building's pressure on the room: sounds, drafts, light.",
    EntityKind.PLACE: "Narrate the place as an environment acting on the people in it.",
    EntityKind.OBJECT: "Narrate the object's presence and how it resists or invites use.",
    EntityKind.INSTITUTION: "Speak as the institution's procedures and memos, impersonal.",
    EntityKind.CONCEPT: "Let the idea press on the scene as a felt force, in one image.",
    EntityKind.AI: "Speak as the system's terse status output and recommendations.",
}


def animistic_mode(kind: EntityKind) -> str | None:
    """How a non-human speaker expresses itself (M16); ``None`` for humans."""
    return _ANIMISTIC_MODES.get(kind)


@schema_cache
def turn_schema(usable_ids: frozenset[str]) -> type[BaseModel]:
    """Output schema whose references can only name exposures the speaker may use."""
    if usable_ids:
        refs: Any = list[choice(sorted(usable_ids))]  # type: ignore[misc]
        refs_field: Any = Field(default_factory=list, max_length=4)
    else:
        refs = list[str]
        refs_field = Field(default_factory=list, max_length=0)
    return create_model(
        "CharacterTurn",
        content=(str, Field(min_length=1, max_length=900, description="the spoken line")),
        emotional_tone=(str, Field(default="neutral", max_length=40)),
        confidence=(float, Field(default=0.8, ge=0.0, le=1.0)),
        knowledge_references=(refs, refs_field),
    )


def _knowledge_lines(ctx: FourthWallContext) -> tuple[str, str]:
    """``$knowledge`` (all but the world's news) and ``$world`` (that news, or "")."""
    own, world = split_world_knowledge(ctx.front.knowledge)
    known = "\n".join(f"- [{k.exposure_id}] {k.information}" for k in own)
    return known or "- (nothing specific)", world_knowledge_section(world)


def build_character_messages(
    ctx: FourthWallContext,
    kind: EntityKind,
    decision: SteeringDecision,
    prior: list[DialogTurn],
    names: dict[str, str],
    feedback: str = "",
    attempt: int = 1,
) -> list[Any]:
    """The speaker's prompt: their own two layers, the spoken turns and the beat to play."""
    target = f" aimed at {names.get(decision.target, decision.target)}" if decision.target else ""
    # A retry names its attempt, so it is a new request (a cached answer would only repeat
    # the refused line).
    retry = f" Attempt {attempt}; avoid this time: {feedback}." if feedback else ""
    reason = decision.reason + retry
    mode = animistic_mode(kind)
    knowledge, world = _knowledge_lines(ctx)
    if mode is not None:
        return render(
            "animistic",
            name=ctx.name,
            role=ctx.role or kind.value,
            kind=kind.value,
            mode_instruction=mode,
            traits=", ".join(ctx.traits) or "unremarkable",
            knowledge=knowledge,
            world=world,
            impulses="; ".join(ctx.back.suppressed_impulses) or "none in particular",
            scene=ctx.front.scene,
            time=ctx.front.time,
            transcript=transcript(prior, names),
            move=decision.move.value.replace("_", " "),
            target_line=target,
            beat_reason=reason,
        )
    withheld = "\n".join(f"  - {k.information}" for k in ctx.back.withheld) or "  - nothing"
    examples = "\n".join(f'Sounds like: "{e}"' for e in ctx.voice_examples)
    return render(
        "character",
        name=ctx.name,
        role=ctx.role or "a participant",
        voice=ctx.voice_style or "your own natural way of speaking",
        traits=", ".join(ctx.traits) or "none noted",
        examples=examples,
        true_emotion=ctx.back.true_emotion,
        withheld=withheld,
        impulses="; ".join(ctx.back.suppressed_impulses) or "none",
        band=ctx.back.band.label,
        knowledge=knowledge,
        world=world,
        relationships="\n".join(f"- {r}" for r in ctx.front.relationships) or "- no history",
        presented_emotion=ctx.front.presented_emotion,
        physical=ctx.front.physical.capitalize() + ".",
        scene=ctx.front.scene,
        time=ctx.front.time,
        transcript=transcript(prior, names),
        move=decision.move.value.replace("_", " "),
        target_line=target,
        beat_reason=reason,
    )


def _current_state(state: DialogState, speaker: str, prior: list[DialogTurn]) -> CognitiveState:
    """The speaker's state now: energy spent so far this dialog, arousal pulled by tension."""
    start = state["cognitive"][speaker]
    spent = energy_spent(prior, speaker, start)
    tension = state.get("tension", state["public"].tension)
    arousal = min(1.0, max(0.0, 0.7 * start.arousal + 0.3 * tension))
    return start.model_copy(update={"energy": max(0.0, start.energy - spent), "arousal": arousal})


async def _spoken_turn(
    state: DialogState, runtime: Runtime[RunContext], now: CognitiveState, prior: list[DialogTurn]
) -> tuple[DialogTurn, list[str]]:
    """Ask the model for the line; returns the turn and any references it was not allowed."""
    decision = state["decision"]
    assert decision is not None
    speaker = decision.next_speaker
    ctx = state["contexts"][speaker]
    kind = state.get("kinds", {}).get(speaker, EntityKind.HUMAN)
    phi = state.get("phi", {}).get(speaker)
    params = persona_params(now, state["tensors"][speaker], phi=phi)
    names = dict(state["public"].names)
    prompt = build_character_messages(
        ctx, kind, decision, prior, names, state.get("feedback", ""),
        state.get("retries", 0) + 1,
    )
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION if animistic_mode(kind) is None else ANIMISTIC_ACTION,
        schema=turn_schema(ctx.usable_exposure_ids),
        messages=prompt,
        params=params.to_sampling(),
    )
    data = answer.model_dump()
    refs = tuple(dict.fromkeys(data["knowledge_references"]))
    allowed = tuple(r for r in refs if r in ctx.usable_exposure_ids)
    turn = DialogTurn(
        speaker=speaker,
        content=data["content"].strip(),
        emotional_tone=data["emotional_tone"],
        confidence=data["confidence"],
        knowledge_references=allowed,
        move=decision.move,
        target=decision.target,
        physical_state_influence=ctx.front.physical,
    )
    return turn, sorted(set(refs) - set(allowed))


async def character(state: DialogState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Write one turn for the decided speaker (or rewrite turn ``redo_index`` in place)."""
    decision = state["decision"]
    if decision is None:
        raise ValueError("character node reached without a steering decision")
    speaker = decision.next_speaker
    turns = list(state.get("turns", []))
    redo = state.get("redo_index")
    prior = turns[:redo] if redo is not None else turns
    now = _current_state(state, speaker, prior)
    records: list[ValidationRecord] = []
    if decision.move is DialogMove.SILENCE:
        turn = DialogTurn(
            speaker=speaker, content=SILENT, emotional_tone="withdrawn",
            move=decision.move, target=decision.target,
        )
    else:
        turn, refused = await _spoken_turn(state, runtime, now, prior)
        records = [
            ValidationRecord(
                id=f"{state['dialog_id']}-ref-{len(prior)}-{ref}",
                validator="information_conservation",
                entity_id=speaker,
                timepoint_id=state["timepoint"].id,
                message=f"{speaker} cited {ref!r}, which it cannot know here",
                action="repaired",
            )
            for ref in refused
        ]
    if redo is not None:
        turns[redo] = turn
    else:
        turns.append(turn)
    update: dict[str, Any] = {"turns": turns}
    if records:
        update["validation"] = [*state.get("validation", []), *records]
    return update

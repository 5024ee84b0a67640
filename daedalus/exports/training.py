"""Fine-tuning data from a run: chat examples in the OpenAI chat format, one JSON per line.

Four formatters, each a pure function of a ``RunRecord``:

- ``entity_evolution``: an entity before a timepoint (who it is, causal history, what it
  knew, its state) -> what it learned there and the state it ended in (M3, M6, M7);
- ``dialog_synthesis``: the scene, the speaker's own knowledge and the talk so far -> the
  line the speaker said (M11; knowledge stripped by causal ancestry as the run did, M7);
- ``knowledge_flow``: a transcript -> the ``told`` exposures it created (M19);
- ``relationship_dynamics``: a pair's relationship before a dialog and its transcript -> the
  relationship after (M13).

Examples are only built from values the record holds: a state or relationship the run did
not record is left out of the prompt, and an example whose answer is unknown is not written.
Material the run's M4 checks flagged (``validators.enforcement.trusted_material``: a turn citing
what its speaker could not know, a told fact its source could not have known) stays visible as
context but is never an answer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from daedalus.domain import CognitiveState, PhysicalState, Relationship, relationship_key
from daedalus.exports import _training_context as ctx
from daedalus.exports._files import write_text
from daedalus.exports._markdown import one_line
from daedalus.store.record import RunRecord

__all__ = [
    "FORMATTERS",
    "SYSTEM_PROMPTS",
    "TRAINING_FILES",
    "ChatExample",
    "ChatMessage",
    "dialog_synthesis",
    "entity_evolution",
    "knowledge_flow",
    "relationship_dynamics",
    "to_jsonl",
    "training_examples",
    "write_training",
]

SYSTEM_PROMPTS: dict[str, str] = {
    "entity_evolution": (
        "You model how one entity of a simulated world changes during a single moment. You "
        "are told who it is, the chain of events behind the moment, what it knew and how it "
        "was before. Reply with a JSON object: what it learned there and the state it ended in."
    ),
    "dialog_synthesis": (
        "You voice one character in a simulated scene. Use only what this character knows "
        "and keep to their manner. Reply with the character's next line and nothing else."
    ),
    "knowledge_flow": (
        "You trace information through a conversation. Reply with a JSON object listing each "
        "fact a listener learned from a speaker, with the listener, the speaker and how sure "
        "the listener can be."
    ),
    "relationship_dynamics": (
        "You judge how a conversation changes the relationship between two entities. Reply "
        "with a JSON object giving the relationship after the conversation and the change in "
        "trust and alignment."
    ),
}
"""The system message of each formatter's examples."""

TRAINING_FILES: dict[str, str] = {
    "entity_evolution": "training_entity_evolution.jsonl",
    "dialog_synthesis": "training_dialog_synthesis.jsonl",
    "knowledge_flow": "training_knowledge_flow.jsonl",
    "relationship_dynamics": "training_relationship_dynamics.jsonl",
    "combined": "training.jsonl",
}
"""File name of each formatter's output, and of all examples together (``combined``)."""


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class ChatExample(BaseModel):
    """One fine-tuning example: a system, a user and an assistant message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    messages: tuple[ChatMessage, ChatMessage, ChatMessage]

    @classmethod
    def of(cls, kind: str, user: str, assistant: str) -> ChatExample:
        return cls(
            messages=(
                ChatMessage(role="system", content=SYSTEM_PROMPTS[kind]),
                ChatMessage(role="user", content=user),
                ChatMessage(role="assistant", content=assistant),
            )
        )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _state(mind: CognitiveState | None, body: PhysicalState | None) -> dict[str, float]:
    values: dict[str, float] = {}
    if mind is not None:
        values |= {"valence": mind.valence, "arousal": mind.arousal, "energy": mind.energy}
    if body is not None:
        values |= {"fatigue": body.fatigue, "pain": body.pain}
    return {key: round(value, 4) for key, value in values.items()}


def entity_evolution(record: RunRecord) -> list[ChatExample]:
    """One example per (timepoint, entity present) where the entity learned something or its
    state after the timepoint was recorded, in story order."""
    prov = record.provenance()
    checked = ctx.trusted(record, prov)
    examples = []
    for tp in record.story_order():
        parent = tp.causal_parent
        before_snap = record.snapshot_at(parent) if parent is not None else None
        after_snap = record.snapshot_at(tp.id)
        present = [e for e in tp.entities_present if record.entity(e) is not None]
        for entity_id in present:
            seen = prov.knowledge_at(entity_id, tp.id)
            learned = [e for e in seen if e.timepoint_id == tp.id and checked.allows(e)]
            before = [e for e in seen if e.timepoint_id != tp.id]
            after: dict[str, float] = {}
            if after_snap is not None:
                after = _state(
                    after_snap.cognitive.get(entity_id), after_snap.physical.get(entity_id)
                )
            if not learned and not after:
                continue
            name = record.name_of(entity_id)
            lines = [f"Entity: {ctx.entity_card(record, entity_id)}", ""]
            history = ctx.causal_history(prov, parent)
            if history:
                lines += ["Events leading here:", *history, ""]
            rels = _relations_of(record, entity_id, parent, present)
            if rels:
                lines += ["Relationships:", *rels, ""]
            lines += [f"Known before this moment ({len(before)}):"]
            lines += [*ctx.knowledge_block(record, before), ""]
            if before_snap is not None:
                state = ctx.state_text(
                    before_snap.cognitive.get(entity_id), before_snap.physical.get(entity_id)
                )
                if state:
                    lines += [f"State before: {state}", ""]
            others = ", ".join(record.name_of(e) for e in tp.entities_present if e != entity_id)
            lines.append(f"Moment {ctx.scene_line(tp)} Also present: {others or 'nobody'}.")
            lines.append(f"What does {name} learn here, and in what state does {name} end?")
            answer: dict[str, Any] = {
                "learned": [
                    {"information": e.information, "kind": e.kind.value, "source": e.source,
                     "confidence": e.confidence}
                    for e in learned
                ]
            }
            if after:
                answer["state_after"] = after
            examples.append(ChatExample.of("entity_evolution", "\n".join(lines), _json(answer)))
    return examples


def _relations_of(
    record: RunRecord, entity_id: str, parent: str | None, present: list[str]
) -> list[str]:
    """Relationship lines with the others present, as they stood before the moment."""
    snap = record.snapshot_at(parent) if parent is not None else None
    lines = []
    for other in present:
        if other == entity_id:
            continue
        key = relationship_key(entity_id, other)
        if snap is not None:
            rel = snap.relationships.get(key)
        elif parent is None:
            rel = ctx.initial_relationship(record, key)
        else:
            continue
        lines.append(f"- {record.name_of(other)}: {ctx.relationship_text(record, rel)}")
    return lines


def dialog_synthesis(record: RunRecord) -> list[ChatExample]:
    """One example per spoken turn that passed the run's M4 reference check (stage directions
    skipped), dialogs in story order."""
    prov = record.provenance()
    checked = ctx.trusted(record, prov)
    examples = []
    for dialog in _dialogs_in_story_order(record):
        tp = prov.timeline[dialog.timepoint_id]
        created = {e.id for e in ctx.dialog_exposures(record, dialog)}
        cast = ", ".join(ctx.short_card(record, p) for p in dialog.participants)
        for index, turn in enumerate(dialog.turns):
            if ctx.is_stage_direction(turn) or (dialog.id, index) not in checked.turns:
                continue
            # What the speaker knew when the talk began: not what this dialog told them.
            known = [
                e for e in prov.knowledge_at(turn.speaker, tp.id) if e.id not in created
            ]
            private = set(record.withheld.get(turn.speaker, ()))
            name = record.name_of(turn.speaker)
            aim = f", speaking to {record.name_of(turn.target)}" if turn.target else ""
            lines = [
                f"Scene {ctx.scene_line(tp)}",
                f"In the scene: {cast}",
                "",
                f"You are {ctx.entity_card(record, turn.speaker)}",
                "What you know:",
                *ctx.knowledge_block(record, known, private),
                "",
                "Conversation so far:",
                ctx.transcript(record, dialog.turns[:index]),
                "",
                f"Give {name}'s next line ({one_line(turn.emotional_tone)}{aim}).",
            ]
            examples.append(
                ChatExample.of("dialog_synthesis", "\n".join(lines), turn.content.strip())
            )
    return examples


def knowledge_flow(record: RunRecord) -> list[ChatExample]:
    """One example per dialog with at least one spoken turn; the answer lists the told
    exposures that passed network flow (M4), and an empty list is a real answer."""
    prov = record.provenance()
    checked = ctx.trusted(record, prov)
    examples = []
    for dialog in _dialogs_in_story_order(record):
        if all(ctx.is_stage_direction(turn) for turn in dialog.turns):
            continue
        tp = prov.timeline[dialog.timepoint_id]
        people = ", ".join(f"{record.name_of(p)} ({p})" for p in dialog.participants)
        lines = [
            f"Scene {ctx.scene_line(tp)}",
            f"Participants: {people}",
            "",
            "Transcript:",
            ctx.transcript(record, dialog.turns, indexed=True),
            "",
            "Who learned what from whom in this conversation? Use the participant ids.",
        ]
        answer = {
            "exposures": [
                {"listener": e.entity_id, "speaker": e.source, "information": e.information,
                 "confidence": e.confidence}
                for e in ctx.dialog_exposures(record, dialog)
                if checked.allows(e)
            ]
        }
        examples.append(ChatExample.of("knowledge_flow", "\n".join(lines), _json(answer)))
    return examples


def relationship_dynamics(record: RunRecord) -> list[ChatExample]:
    """One example per (dialog, pair of participants) whose relationship before and after the
    dialog the record holds (snapshots, or the scenario and final values when unambiguous)."""
    prov = record.provenance()
    examples = []
    for dialog in _dialogs_in_story_order(record):
        people = sorted(set(dialog.participants))
        tp = prov.timeline[dialog.timepoint_id]
        for i, first in enumerate(people):
            for second in people[i + 1 :]:
                key = relationship_key(first, second)
                known_before, before = ctx.relationship_before(record, prov, dialog, key)
                known_after, after = ctx.relationship_after(record, dialog, key)
                if not (known_before and known_after) or after is None:
                    continue
                lines = [
                    f"{ctx.entity_card(record, first)}",
                    f"{ctx.entity_card(record, second)}",
                    "",
                    f"Scene {ctx.scene_line(tp)}",
                    f"Before: {ctx.relationship_text(record, before)}.",
                    "",
                    "Transcript:",
                    ctx.transcript(record, dialog.turns),
                    "",
                    f"How do {record.name_of(first)} and {record.name_of(second)} stand after "
                    "this conversation?",
                ]
                examples.append(
                    ChatExample.of(
                        "relationship_dynamics", "\n".join(lines), _json(_rel_answer(before, after))
                    )
                )
    return examples


def _rel_answer(before: Relationship | None, after: Relationship) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "a": after.a,
        "b": after.b,
        "kind": after.kind,
        "trust": after.trust,
        "alignment": after.alignment,
        "power": after.power,
        "interaction_count": after.interaction_count,
    }
    if before is not None:
        answer["trust_change"] = round(after.trust - before.trust, 4)
        answer["alignment_change"] = round(after.alignment - before.alignment, 4)
    return answer


def _dialogs_in_story_order(record: RunRecord) -> list[Any]:
    position = {tp.id: i for i, tp in enumerate(record.story_order())}
    ordered = sorted(
        enumerate(record.dialogs), key=lambda pair: (position[pair[1].timepoint_id], pair[0])
    )
    return [dialog for _, dialog in ordered]


FORMATTERS: dict[str, Callable[[RunRecord], list[ChatExample]]] = {
    "entity_evolution": entity_evolution,
    "dialog_synthesis": dialog_synthesis,
    "knowledge_flow": knowledge_flow,
    "relationship_dynamics": relationship_dynamics,
}
"""The four formatters by name, in the order the combined file lists their examples."""


def training_examples(record: RunRecord) -> dict[str, list[ChatExample]]:
    """Every formatter's examples, keyed by formatter name."""
    return {name: formatter(record) for name, formatter in FORMATTERS.items()}


def to_jsonl(examples: list[ChatExample]) -> str:
    """One ``{"messages": [...]}`` JSON object per line (empty text for no examples)."""
    return "".join(_json(example.model_dump(mode="json")) + "\n" for example in examples)


def write_training(record: RunRecord, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write one JSONL file per formatter and the combined file into ``out_dir``.

    Files are written whether or not any example came out (an empty file says so) and
    whether or not an upload service is configured. Keys are the formatter names and
    ``combined``.
    """
    folder = Path(out_dir)
    sets = training_examples(record)
    written = {
        name: write_text(folder / TRAINING_FILES[name], to_jsonl(examples))
        for name, examples in sets.items()
    }
    everything = [example for examples in sets.values() for example in examples]
    written["combined"] = write_text(folder / TRAINING_FILES["combined"], to_jsonl(everything))
    return written

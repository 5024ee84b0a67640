"""Offline answers for the dialog's three structured calls (M11, M19), read from the prompts'
own sections rather than stitched from their sentences.

- ``SteeringChoice``: the participant heard least so far speaks next (never the last speaker
  while someone else waits), aimed at whoever spoke last; the scene closes once everyone was
  heard and the turn budget is nearly spent.
- ``CharacterTurn``: the speaker says the most recent thing it knows that nobody has said yet,
  in a line shaped by the beat's move, and cites it.
- ``ExtractedFacts``: each spoken line that states something becomes one fact of that turn.

Each writer returns ``None`` when the prompt does not have the sections it reads, and the
generic schema filler answers instead. Pure: text in, values out, randomness from ``Dice``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from daedalus.llm._dice import Dice

__all__ = ["scene_answer"]

_PERSON = re.compile(r"^- (?P<name>.+?) \(id (?P<id>[^)]+)\)", re.M)
_TURN_ROW = re.compile(r"^(?:(?P<index>\d+): )?(?P<name>[^:\n]{1,80}): (?P<line>.+)$")
_BUDGET = re.compile(r"Turns so far \((?P<count>\d+) of at most (?P<budget>\d+)\)")
_KNOWLEDGE = re.compile(r"^- \[(?P<id>[^\]]+)\] (?P<text>.+)$", re.M)
_SPEAKER = re.compile(r"^You are (?P<name>[^,\n]+),", re.M)
_BEAT = re.compile(r"^Your beat: (?P<move>[a-z ]+?)(?: aimed at (?P<target>[^.]+))?\.", re.M)
_WORD = re.compile(r"[a-z0-9']+")
_SILENT = "(stays silent)"
_ATTEMPT = re.compile(r"Attempt (?P<n>\d+); avoid this time:")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_VOCATIVE = re.compile(r"^[A-Z][\w'-]+, (?=[a-z])")

_MOVES = ("direct_statement", "strategic_question", "partial_disclosure", "alliance_signal",
          "deflection", "status_move")
_MOVE_WEIGHTS = (5.0, 3.0, 2.0, 1.0, 1.0, 1.0)
_SHAPES: dict[str, tuple[tuple[str, str], ...]] = {
    "direct statement": (("", ""), ("Here is where we stand: ", "")),
    "strategic question": (("Here is what I know: ", " What do we do about it?"),
                           ("Think about this: ", " Where does that leave us?")),
    "partial disclosure": (("I can tell you this much: ", ""), ("Part of it is simple: ", "")),
    "alliance signal": (("You and I both need to hear this: ", ""),),
    "deflection": (("Before we go further, remember this: ", ""),),
    "status move": (("Let me be clear: ", ""),),
    "humour": (("If it helps, here is one way to start the day: ", ""),),
}
"""How each move frames a fact: a lead-in and a tail around the fact's own sentence."""
_LEADS = tuple(sorted({lead for shapes in _SHAPES.values() for lead, _ in shapes if lead}))
_NOTHING = ("{to}I have nothing on record that settles this.",
            "{to}I cannot add anything I know for certain.")


def _section(text: str, heading: str) -> str:
    """The lines after ``heading`` up to the next blank line."""
    start = text.find(heading)
    if start < 0:
        return ""
    body = text[start + len(heading):].lstrip("\n")
    return body.split("\n\n", 1)[0]


def _turns(transcript: str, ids_by_name: Mapping[str, str]) -> list[tuple[str, str]]:
    rows = []
    for raw in transcript.splitlines():
        match = _TURN_ROW.match(raw.strip())
        if match and match["name"] in ids_by_name:
            rows.append((ids_by_name[match["name"]], match["line"].strip()))
    return rows


def _enum(schema: Mapping[str, Any], field: str) -> list[str]:
    prop = schema.get("properties", {}).get(field, {})
    if "enum" in prop:
        return [str(v) for v in prop["enum"]]
    for option in prop.get("anyOf", ()):
        if "enum" in option:
            return [str(v) for v in option["enum"]]
    return []


_Answer = dict[str, Any] | None


def _steering(system: str, user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    people = {m["id"]: m["name"] for m in _PERSON.finditer(_section(user, "People present:"))}
    choices = _enum(schema, "next_speaker")
    budget = _BUDGET.search(user)
    if not choices or not people or budget is None:
        return None
    ids_by_name = {name: pid for pid, name in people.items()}
    spoken = _turns(user[budget.end():], ids_by_name)
    heard = {pid: sum(1 for who, _ in spoken if who == pid) for pid in choices}
    last = spoken[-1][0] if spoken else None
    pool = [p for p in choices if p != last] or choices
    fewest = min(heard[p] for p in pool)
    waiting = [p for p in pool if heard[p] == fewest]
    speaker = waiting[dice.child("speaker").below(len(waiting))]
    count, limit = int(budget["count"]), int(budget["budget"])
    everyone = all(heard[p] > 0 or p == speaker for p in choices)
    move = _MOVES[dice.child("move").weighted(_MOVE_WEIGHTS)]
    target = last if last in choices and last != speaker else None
    name = people.get(speaker, speaker)
    reason = (
        f"{name} has not been heard yet." if heard[speaker] == 0
        else f"{name} answers {people.get(target, 'the room')}." if target
        else f"{name} takes the floor."
    )
    return {
        "next_speaker": speaker,
        "move": move,
        "target": target,
        "mood_shift": "",
        "tension_delta": round(dice.child("tension").unit() * 0.2 - 0.05, 2),
        "end": everyone and count + 1 >= limit - 1,
        "reason": reason,
    }


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 3}


def _sentence(text: str) -> str:
    return text.strip().rstrip(".!?;:")


def _character(system: str, user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    speaker = _SPEAKER.search(system)
    beat = _BEAT.search(user)
    if speaker is None or beat is None or "The conversation so far:" not in user:
        return None
    refs = schema.get("properties", {}).get("knowledge_references", {})
    allowed = {str(v) for v in refs.get("items", {}).get("enum", ())}
    said = _words(user.split("Your beat:", 1)[0])
    known = [(m["id"], m["text"]) for m in _KNOWLEDGE.finditer(system) if m["id"] in allowed]
    fresh = [(kid, text) for kid, text in known if len(_words(text) - said) > len(_words(text)) / 2]
    target = (beat["target"] or "").strip()
    to = f"{target.split()[0]}, " if target else ""
    shapes = _SHAPES.get(beat["move"], _SHAPES["direct statement"])
    if fresh:
        # what the speaker learned or was told comes before what everyone witnessed
        told = [item for item in fresh if "witnessed" not in item[0]]
        ranked = [*(told or fresh)[::-1], *[item for item in fresh if item not in told]]
        retry = _ATTEMPT.search(user)
        # a refused line is not offered again: each attempt takes the next thing known
        kid, text = ranked[(int(retry["n"]) - 1 if retry else 0) % len(ranked)]
        lead, tail = shapes[dice.child("shape").below(len(shapes))]
        if to and lead and not lead.startswith("I "):
            lead = lead[:1].lower() + lead[1:]
        line = f"{to}{lead}{_sentence(text)}.{tail}"
        return {"content": line[0].upper() + line[1:], "emotional_tone": "firm",
                "confidence": 0.8, "knowledge_references": [kid]}
    line = _NOTHING[dice.child("nothing").below(len(_NOTHING))].format(to=to)
    return {"content": line[0].upper() + line[1:], "emotional_tone": "guarded",
            "confidence": 0.5, "knowledge_references": []}


def _extraction(system: str, user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    transcript = _section(user, "Transcript (index: speaker: line):")
    if not transcript:
        return None
    facts = []
    for raw in transcript.splitlines():
        match = _TURN_ROW.match(raw.strip())
        if match is None or match["index"] is None or _SILENT in match["line"]:
            continue
        kept = [s for s in _SENTENCES.split(match["line"].strip()) if not s.endswith("?")]
        line = _VOCATIVE.sub("", " ".join(kept), count=1)
        for lead in _LEADS:
            if line.lower().startswith(lead.lower()):
                line = line[len(lead):]
                break
        line = _sentence(line)
        if len(_words(line)) < 3:
            continue
        facts.append({"turn_index": int(match["index"]), "information": line[:300],
                      "confidence": 0.8})
    limit = schema.get("properties", {}).get("facts", {}).get("maxItems", len(facts))
    return {"facts": facts[:limit]}


_WRITERS: dict[str, Callable[[str, str, Mapping[str, Any], Dice], _Answer]] = {
    "SteeringChoice": _steering,
    "CharacterTurn": _character,
    "ExtractedFacts": _extraction,
}


def scene_answer(
    schema: Mapping[str, Any], system: str, user: str, dice: Dice
) -> dict[str, Any] | None:
    """The offline answer for a dialog call whose schema this module knows, else ``None``."""
    writer = _WRITERS.get(str(schema.get("title", "")))
    return writer(system, user, schema, dice) if writer is not None else None

"""Offline answers for the dialog's three structured calls (M11, M19), read from the prompts'
own sections rather than stitched from their sentences.

- ``SteeringChoice``: the participant heard least so far speaks next (never the last speaker
  while someone else waits), aimed at whoever spoke last; the scene closes once everyone was
  heard and the turn budget is nearly spent.
- ``NextEvent``: the moment gathers the people with the most detail; in a grounded scenario
  it also states the world's leading signal of the date (a downturn, an outbreak, ...).
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
_SAID_NOTHING = frozenset(line.format(to="") for line in _NOTHING)


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
    # everyone present saw the moment itself: a person speaks from what it alone brings
    fresh = [item for item in fresh if "witnessed" not in item[0]]
    if fresh:
        ranked = fresh[::-1]  # the most recent first
        retry = _ATTEMPT.search(user)
        # a refused line is not offered again: each attempt takes the next thing known
        offset = int(retry["n"]) - 1 if retry else 0
        if "Rewrite this line." in user:
            offset += 1  # the line being rewritten said the first choice
        kid, text = ranked[offset % len(ranked)]
        lead, tail = shapes[dice.child("shape").below(len(shapes))]
        if to and lead and not lead.startswith("I "):
            lead = lead[:1].lower() + lead[1:]
        if to and not lead:
            line = f"{_sentence(text)}, {to.rstrip(', ')}.{tail}"
        else:
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
        bare = re.sub(r"^[A-Z][\w'-]+, ", "", line)
        if len(_words(line)) < 3 or f"{bare}." in _SAID_NOTHING:  # says nothing new
            continue
        facts.append({"turn_index": int(match["index"]), "information": line[:300],
                      "confidence": 0.8})
    limit = schema.get("properties", {}).get("facts", {}).get("maxItems", len(facts))
    return {"facts": facts[:limit]}


_CAST = re.compile(
    r"^- (?P<id>[\w.:-]+): (?P<name>[^(\n:]+?)(?: \((?P<summary>[^)]*)\))?(?:, (?P<role>[^;\n]+))?"
    r"(?:: (?P<rest>.*))?$",
    re.M,
)
_MOMENT = re.compile(r"This is moment (?P<n>\d+) of (?P<total>\d+), at (?P<when>[\d-]+ [\d:]+)\.")
_SAID = re.compile(r"^- (?P<name>[^\n]+?) said: (?P<line>.+)$", re.M)
_MUST = re.compile(r"These must take part in the moment: (?P<who>[^\n]+)\.")
_GATHER = ("meet", "come together", "sit down together", "cross paths")
_AT = re.compile(r"(?:^|; )at ([^;]+)")
_WORLD = re.compile(r"^The world around this moment[^\n]*:\n(?P<rows>(?:- [^\n]+\n?)+)", re.M)


def _names(ids: list[str], people: Mapping[str, str]) -> str:
    names = [people[i] for i in ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _event(system: str, user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    moment = _MOMENT.search(user)
    choices = [str(v) for v in schema.get("properties", {}).get("entities_present", {})
               .get("items", {}).get("enum", ())]
    cast_text = _section(user, "Who may appear (id: name, then as much detail as attention has "
                               "earned each one):")
    cast = {m["id"]: m for m in _CAST.finditer(cast_text) if m["id"] in choices}
    if moment is None or len(cast) < 1:
        return None
    people = {pid: m["name"].strip() for pid, m in cast.items()}
    must = _MUST.search(user)
    chosen = [pid for pid in cast if must and f"({pid})" in must["who"]]
    outcome = _section(user, "What came out of the last conversation:")
    spoke = [m["name"] for m in _SAID.finditer(outcome)]
    chosen += [pid for pid, name in people.items() if name in spoke and pid not in chosen]
    ranked = sorted(cast, key=lambda pid: (-len(cast[pid].group(0)), pid))  # most detail first
    pool = [pid for pid in ranked if pid not in chosen]
    schema_items = schema.get("properties", {}).get("entities_present", {})
    low, high = int(schema_items.get("minItems", 1)), int(schema_items.get("maxItems", len(cast)))
    want = max(low, min(high, 3 + dice.child("size").below(2)))
    while len(chosen) < want and pool:
        chosen.append(pool.pop(dice.child(f"pick{len(chosen)}").below(min(3, len(pool)))))
    chosen = chosen[:max(want, low)]
    n, total = int(moment["n"]), int(moment["total"])
    day, clock = moment["when"].split(" ")
    verb = _GATHER[dice.child("verb").below(len(_GATHER))]
    places = [m[1] for pid in chosen if (m := _AT.search(cast[pid]["rest"] or ""))]
    where = f" at {places[0].strip()}" if places else ""
    lines = [f"At {clock} on {day}, {_names(chosen, people)} {verb}{where}."]
    world = _WORLD.search(user)
    if world:  # a grounded moment happens in its world: the leading signal frames it
        news = world["rows"].splitlines()[0][2:].strip()
        if not news.startswith("figures"):
            lines.append(f"Around them, {news[:1].lower()}{news[1:]}")
    said = _SAID.search(outcome)
    if said:
        lines.append(f"They take up what {said['name']} said: {_sentence(said['line'])}.")
    else:
        scenario = user.split("\n", 2)[1] if user.startswith("Scenario:") else ""
        if scenario.strip():
            lines.append(scenario.strip().split(". ")[0].rstrip(".") + ".")
    return {
        "description": " ".join(lines)[:900],
        "entities_present": chosen,
        "importance": round(min(1.0, 0.35 + 0.55 * n / max(total, 1)), 2),
        "focus": f"{people[chosen[0]]} and what comes next"[:160],
        "decision": None,
    }


def _beats(system: str, user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    place = re.search(r"^Place: (?P<place>.+)$", user, re.M)
    people_text = _section(user, "People there:")
    people = {m["id"]: m["name"].strip() for m in _CAST.finditer(people_text)}
    if place is None or not people:
        return None
    beat = schema.get("$defs", {}).get("MomentBeat", {}).get("properties", {})
    span = int(beat.get("minutes_after", {}).get("maximum", 120))
    allowed = [str(v) for v in beat.get("present", {}).get("items", {}).get("enum", people)]
    ids = [pid for pid in people if pid in allowed] or list(people)
    where = place["place"].strip()
    where = "the room" if where == "unspecified" else where
    said = [(m["name"], m["line"]) for raw in _section(user, "What was said aloud:").splitlines()
            if (m := _TURN_ROW.match(raw.strip())) and _SILENT not in m["line"]]
    beats = [{"label": "Arrival", "description": f"{_names(ids, people)} arrive at {where}.",
              "minutes_after": 0, "present": ids}]
    for name, line in said[:2]:
        beats.append({"label": f"{name.split()[0]} speaks"[:60],
                      "description": f"{name} says: {line.strip()}"[:400],
                      "minutes_after": min(span, 10 * len(beats)), "present": ids})
    first = ids[dice.child("leaves").below(len(ids))]
    beats.append({"label": "Parting",
                  "description": f"{people[first]} is the first to leave {where}.",
                  "minutes_after": min(span, 10 * len(beats) + 15), "present": ids})
    while len(beats) < 3:
        beats.insert(1, {"label": "Quiet", "description": f"Nobody speaks for a while at {where}.",
                         "minutes_after": min(span, 5), "present": ids})
    return {"beats": beats[:5]}


_CANDIDATE_ROW = re.compile(
    r"^- (?P<label>.+?) \(id (?P<id>[^)]+)\)(?:; knows: (?P<knows>.+?)\.?)?$", re.M
)
_KNOWS_LINE = re.compile(r"^\s+knows: (?P<knows>.+?)\.?$", re.M)
_CANDIDATE_HEADINGS = (
    "People (id: name, then as much detail as attention has earned each one, with what they "
    "know\nat that moment):",
    "People (use these ids) and what each knows at that moment:",
)


def _candidate_people(user: str) -> list[tuple[str, str, str]]:
    """(id, name, what they know) per person of a proposal prompt: rendered rows (``- id:
    Name (...)`` with an indented ``knows:`` line) or roster rows (``- label (id x); knows:``)."""
    for heading in _CANDIDATE_HEADINGS:
        text = _section(user, heading)
        if not text:
            continue
        rows = [(m["id"], m["label"].split(",")[0].strip(), m["knows"] or "")
                for m in _CANDIDATE_ROW.finditer(text)]
        if rows:
            return rows
        for block in re.split(r"\n(?=- )", text):
            head = _CAST.match(block)
            if head is None:
                continue
            known = _KNOWS_LINE.search(block)
            rows.append((head["id"], head["name"].strip(), known["knows"] if known else ""))
        return rows
    return []


_COUNT = re.compile(r"Propose exactly (?P<count>\d+) candidate events")
_FRAMES = (
    "{a} acts on what {a_first} knows: {fact}.",
    "{a} warns {b} about this: {fact}.",
    "{a} and {b} argue over this: {fact}.",
    "{a} makes a decision that turns on this: {fact}.",
    "{a} tells {b} something that changes the plan: {fact}.",
    "{a} keeps this from {b}, and it shapes what {a_first} does next: {fact}.",
    "{a} checks the record and confirms it: {fact}.",
)


def _candidates(system: str, user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    count = _COUNT.search(user)
    rows = _candidate_people(user)
    if count is None or not rows:
        return None
    people = {pid: name for pid, name, _ in rows}
    facts = [(pid, fact.strip()) for pid, _, known in rows for fact in known.split("; ")
             if len(_words(fact)) >= 3]
    ids = list(people)
    pairs = facts or [(pid, f"the next step is {people[pid]}'s to take") for pid in ids]
    start = dice.child("start").below(len(pairs))
    drafts = []
    for n in range(int(count["count"])):
        who, fact = pairs[(start + n) % len(pairs)]
        other = next((pid for pid in ids[ids.index(who) + 1:] + ids if pid != who), who)
        frame = _FRAMES[(n + len(pairs) // max(1, len(_FRAMES))) % len(_FRAMES)]
        text = frame.format(a=people[who], a_first=people[who].split()[0], b=people[other],
                            fact=_sentence(fact))
        drafts.append({
            "description": text[:400],
            "entities": sorted({who, other}),
            "importance": round(0.45 + 0.4 * dice.child(f"weight{n}").unit(), 2),
            "rationale": f"What {people[who]} knows here is what the next event builds on."[:400],
        })
    return {"candidates": drafts}


_WANTED = re.compile(r"^- (?P<id>[\w.:-]+): mentioned as (?P<text>.+)$", re.M)
_FIRST = ("Alex", "Maria", "Sam", "Noor", "Jonas", "Ada", "Tomas", "Lena", "Ravi", "Iris",
          "Omar", "Clara", "Felix", "Hana", "Mateo", "Yara")
_LAST = ("Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Quinn", "Haddad", "Silva",
         "Kowalski", "Brandt", "Osei", "Varga", "Reyes", "Holm", "Petrov", "Adair")
_TRAITS = ("careful", "talkative", "loyal", "curious", "quiet", "stubborn", "practical", "warm")
_THINGS = {"room": "place", "hall": "place", "office": "institution", "council": "institution",
           "board": "institution", "committee": "institution", "agency": "institution",
           "company": "institution", "river": "place", "square": "place", "door": "object",
           "dam": "building", "bridge": "building", "archive": "building", "system": "ai"}


def _generated(system: str, user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    wanted = list(_WANTED.finditer(_section(user, "Describe these entities:")))
    place = re.search(r"^Place: (?P<place>.+)$", user, re.M)
    title = user.split("\n", 1)[0].removeprefix("Scenario: ").strip()
    if not wanted or not title:
        return None
    where = place["place"].strip() if place and place["place"] != "unspecified" else title
    answer: dict[str, Any] = {}
    for m in wanted:
        words = m["id"].replace("_", " ").split()
        role = " ".join(w for w in words if not w.isdigit()) or "bystander"
        kind = _THINGS.get(words[-1], "human") if words else "human"
        roll = dice.child(m["id"])
        name = (f"{_FIRST[roll.child('first').below(len(_FIRST))]} "
                f"{_LAST[roll.child('last').below(len(_LAST))]}" if kind == "human"
                else role.title())
        facts = [f"The {role} has been part of {where} for years.",
                 f"The {role} has heard people talk about {title.rstrip('.')}."]
        traits = [_TRAITS[roll.child("trait").below(len(_TRAITS))]] if kind == "human" else []
        answer[m["id"]] = {"name": name, "kind": kind, "role": role, "traits": traits,
                           "knowledge": facts}
    return answer


_WRITERS: dict[str, Callable[[str, str, Mapping[str, Any], Dice], _Answer]] = {
    "MomentBeats": _beats,
    "GeneratedEntities": _generated,
    "CandidateDrafts": _candidates,
    "NextEvent": _event,
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

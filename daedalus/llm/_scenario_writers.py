"""Offline answers for scenario generation (``daedalus new``): an outline and a cast sheet read
from the description alone.

- ``Outline``: the title and premise from the description, the temporal mode from its cues (a
  known ending reads as PORTAL, "what if" as BRANCHING, a recurring event as CYCLICAL, a
  recollection as NONLINEAR, a drama in acts as DIRECTORIAL, anything else as PEARL), the place
  from an "in"/"at" phrase or the institution named, and a cast made of the proper names and
  institutions the description names, completed with invented people for the roles it implies.
- ``CastSheet``: each member's kind (institutions stay institutions), a role, distinct facts it
  knows, and a relationship per pair.

Both return ``None`` when the prompt lacks the section they read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from daedalus.llm._dice import Dice

__all__ = ["scenario_answer"]

_DESCRIPTION = re.compile(r"Description:\n(?P<text>.+?)(?:\n\n|$)", re.S)
_CAST_ROW = re.compile(r"^- (?P<id>[a-z0-9_]+): (?P<name>.+?)(?: \((?P<note>[^)]*)\))?$", re.M)
_PROPER = re.compile(r"\b([A-Z][a-z]+(?: [A-Z][a-z]+)+)\b")
_NOT_NAMES = frozenset({"In", "On", "At", "The", "A", "An", "After", "Before", "When", "During",
                        "By", "For", "From", "Until", "Since", "If", "What", "How", "Why"})
_MONTHS = frozenset({"January", "February", "March", "April", "May", "June", "July", "August",
                     "September", "October", "November", "December"})
_INSTITUTIONS = ("city council", "council", "board", "committee", "court", "senate", "union",
                 "company", "agency", "ministry", "church", "school", "hospital", "jury", "crew",
                 "family", "town", "village", "parliament", "team", "newspaper")
_ROLES = {
    "council": ("council chair", "councillor who opposes the plan"),
    "board": ("board chair", "chief executive"),
    "court": ("judge", "defence counsel"),
    "union": ("union organiser", "employer's negotiator"),
    "crew": ("captain", "first officer"),
    "hospital": ("chief physician", "hospital administrator"),
}
_DEFAULT_ROLES = ("decision maker", "person with the most to lose")
_CUES = (
    ("portal", ("ends with", "ended with", "how did", "led to", "in the end", "known ending",
                "was found", "collapsed", "unseats", "won the")),
    ("branching", ("what if", "what would happen if", "instead of", "had not")),
    ("cyclical", ("every year", "each year", "again and again", "prophecy", "cycle", "loop")),
    ("nonlinear", ("remembers", "memoir", "looks back", "flashback", "out of order")),
    ("directorial", ("drama", "tragedy", "in three acts", "in five acts", "play about")),
)
_FIRST = ("Mara", "Teodor", "Ines", "Kofi", "Lucia", "Henrik", "Amani", "Pavel", "Rosa", "Emil")
_LAST = ("Lindahl", "Mensah", "Ferreira", "Baptiste", "Kovac", "Aldana", "Strand", "Oyelaran")


def _mode(text: str, allowed: list[str]) -> str:
    lowered = text.lower()
    for mode, cues in _CUES:
        if mode in allowed and any(cue in lowered for cue in cues):
            return mode
    return "pearl" if "pearl" in allowed else allowed[0]


def _institution(text: str) -> str | None:
    lowered = text.lower()
    return next((name for name in _INSTITUTIONS if re.search(rf"\b{name}\b", lowered)), None)


def _outline(user: str, schema: Mapping[str, Any], dice: Dice) -> dict[str, Any] | None:
    found = _DESCRIPTION.search(user)
    if found is None:
        return None
    text = " ".join(found["text"].split()).strip().rstrip(".")
    if len(text) < 3:
        return None
    pinned = schema.get("properties", {}).get("mode", {})
    allowed = ([str(pinned["const"])] if "const" in pinned else
               [str(v) for v in schema.get("$defs", {}).get("TemporalMode", {}).get("enum", ())])
    allowed = allowed or ["pearl"]
    mode = _mode(text, allowed)
    institution = _institution(text)
    names = list(dict.fromkeys(
        n for n in _PROPER.findall(text)
        if n.split()[0] not in _NOT_NAMES and not set(n.split()) & _MONTHS
    ))
    if institution:
        names.append(f"The {institution.title()}")
    roles = _ROLES.get((institution or "none").split()[-1], _DEFAULT_ROLES)
    roll = dice.child("cast")
    while len(names) < 2 or (len(names) < 3 and institution):
        first = _FIRST[roll.child(f"f{len(names)}").below(len(_FIRST))]
        last = _LAST[roll.child(f"l{len(names)}").below(len(_LAST))]
        candidate = f"{first} {last}"
        if candidate not in names:
            names.append(candidate)
    place = re.search(r"\b(?:in|at) (the [a-z][a-z ]+|[A-Z][\w ]+)", text)
    location = (place[1] if place else f"the {institution} chamber" if institution
                else "the town square").strip()[:120]
    title = text[0].upper() + text[1:]
    head = re.split(r"[,;:]", title, maxsplit=1)[0]
    people = [n for n in names if not n.startswith("The ")]
    # a short title keeps the scenario id (made from it) short enough for tables
    short = (f"{people[0].split()[-1]} and {people[1].split()[-1]}" if len(people) >= 2
             else " ".join(head.split()[:5]))
    subject = text.split(" on ", 1)[1] if " on " in text else text
    outline: dict[str, Any] = {
        "title": short[:80] if len(short) >= 3 else "A new scenario",
        "premise": f"{title}. Everyone involved has something at stake, and the {roles[0]} "
                   f"and the {roles[1]} want different outcomes."[:900],
        "mode": mode,
        "start": "2026-03-02",
        "steps": 4,
        "step_amount": 1,
        "step_unit": "weeks" if mode in ("portal", "nonlinear") else "days",
        "location": location if len(location) >= 2 else "the town square",
        "tension": 0.55,
        "goals": [f"Reach a decision on {subject}"[:200]],
        "ending": f"The question of {subject} is settled, and not everyone accepts it."[:300],
        "what_ifs": [f"What if the decision on {subject} were put off"[:200]]
        if mode == "branching" else [],
        "cast": names[:6],
    }
    return outline


def _role_in(text: str, name: str) -> str | None:
    """What the description calls ``name``: an apposition ("Ines, a baker,") or the word just
    before the name ("her landlord Gerald")."""
    escaped = re.escape(name)
    after = re.search(rf"{escaped}, (?:a|an|the) ([a-z][a-z -]{{1,40}}?)[,;.]", text)
    if after:
        return after[1].strip()
    before = re.search(rf"\b(?:her|his|their|the|a|an) ([a-z]{{3,30}}) {escaped}", text)
    return before[1] if before else None


def _cast_sheet(user: str, schema: Mapping[str, Any], dice: Dice) -> dict[str, Any] | None:
    props = schema.get("properties", {})
    members = {
        key: re.search(r"'(.+)'|\"(.+)\"", str(spec.get("description", "")))
        for key, spec in props.items()
        if "__" not in key
    }
    premise = re.search(r"^Scenario: (?P<title>.+)$", user, re.M)
    if not members or premise is None:
        return None
    title = premise["title"].rstrip(".")
    story = user.split("\n\nPlace:", 1)[0]
    institution = _institution(title)
    roles = list(_ROLES.get((institution or "none").split()[-1], _DEFAULT_ROLES))
    answer: dict[str, Any] = {}
    people = 0
    for key, match in members.items():
        name = next((g for g in (match.groups() if match else ()) if g), key)
        is_body = name.startswith("The ") and _institution(name) is not None
        role = (f"the {_institution(name)} as a body" if is_body
                else _role_in(story, name) or (roles[people] if people < len(roles)
                                               else "a voice from the public"))
        people += 0 if is_body else 1
        answer[key] = {
            "kind": "institution" if is_body else "human",
            "role": role[:120],
            "traits": ["formal", "slow"] if is_body else
            [("careful", "direct", "stubborn", "warm")[people % 4], "proud"],
            "knowledge": [
                f"{name} has followed this from the start: {title}."[:200],
                f"{name} knows who will be in the room when it is decided."[:200],
            ],
            "secret": "" if is_body else f"{name} has already made up their mind."[:200],
            "voice": "measured and procedural" if is_body else "plain and to the point",
        }
    for key in props:
        if "__" in key:
            roll = dice.child(key)
            answer[key] = {"kind": "colleague", "trust": round(0.35 + 0.4 * roll.unit(), 2),
                           "alignment": round(roll.child("a").unit() - 0.5, 2), "power": 0.0}
    return answer


def scenario_answer(schema: Mapping[str, Any], user: str, dice: Dice) -> dict[str, Any] | None:
    """The offline answer for an outline or a cast sheet, else ``None``."""
    title = str(schema.get("title", ""))
    if title == "Outline":
        return _outline(user, schema, dice)
    if title == "CastSheet":
        return _cast_sheet(user, schema, dice)
    return None

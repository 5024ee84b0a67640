"""Offline answers for the calls that read what happened (M13, M5): a relationship reading of
a transcript and a query answer from an entity's knowledge, read from the prompts' sections.

- ``RelationshipReading``: a pair that answered each other gains trust (more for more exchanges),
  a pair that never addressed each other is left as it was; two lines by different speakers that
  share a subject while only one of them denies it are recorded as a contradiction on that
  subject.
- ``QueryReply``: what the entity knew, item by item in plain words, each with the moment and
  the time it learned it (the latest items first when there are many), citing every item used.

Each writer returns ``None`` when the prompt lacks the section it reads. Pure: text in, values
out, randomness from ``Dice``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import pairwise
from typing import Any

from daedalus.llm._dice import Dice

__all__ = ["reading_answer"]

_Answer = dict[str, Any] | None

_PAIR = re.compile(r"^- (?P<key>[^|\s]+\|[^\s]+) \((?P<a>.+?) and (?P<b>.+)\)$", re.M)
_ROW = re.compile(r"^(?P<index>\d+): (?P<name>[^:\n]{1,80}): (?P<line>.+)$", re.M)
_WORD = re.compile(r"[a-z0-9']+")
_NEGATION = frozenset({"not", "never", "no", "nothing", "cannot", "isn't", "wasn't", "won't",
                       "didn't", "doesn't", "don't", "hasn't", "haven't"})
_COMMON = frozenset({"this", "that", "with", "what", "have", "here", "there", "about", "where",
                     "which", "their", "they", "from", "will", "would", "been", "were", "your",
                     "know", "said", "tell", "than", "then", "them", "when", "just", "only",
                     "before", "further", "remember", "stand", "leave", "clear", "record",
                     "settles", "certain", "anything", "simple"})
_SILENT = "(stays silent)"


def _content_words(line: str) -> list[str]:
    return [w for w in _WORD.findall(line.lower()) if len(w) > 3 and w not in _COMMON]


def _relationships(user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    pairs = {m["key"]: (m["a"].strip(), m["b"].strip()) for m in _PAIR.finditer(user)}
    rows = [(int(m["index"]), m["name"].strip(), m["line"].strip()) for m in _ROW.finditer(user)
            if _SILENT not in m["line"]]
    if not pairs or "Transcript" not in user:
        return None
    exchanges: dict[frozenset[str], int] = {}
    for (_, first, _), (_, second, _) in pairwise(rows):
        if first != second:
            between = frozenset((first, second))
            exchanges[between] = exchanges.get(between, 0) + 1
    shifts = []
    for key, (a, b) in pairs.items():
        count = exchanges.get(frozenset((a, b)), 0)
        if count:
            lift = round(min(0.3, 0.05 * count + 0.05 * dice.child(key).unit()), 2)
            note = f"{a} and {b} answered each other {_times(count)}."
            shifts.append({"pair": key, "trust_delta": lift,
                           "alignment_delta": round(lift / 2, 2), "note": note})
        else:
            shifts.append({"pair": key, "trust_delta": 0.0, "alignment_delta": 0.0,
                           "note": f"{a} and {b} did not address each other."})
    limit = schema.get("properties", {}).get("contradictions", {}).get("maxItems", 6)
    return {"pairs": shifts, "contradictions": _clashes(rows)[:limit]}


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _clashes(rows: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    """Lines by different speakers on one subject (three shared content words) where exactly
    one of the two denies something."""
    found = []
    for i, (first, who, line) in enumerate(rows):
        for second, other, reply in rows[i + 1:]:
            if who == other:
                continue
            denies = (_NEGATION & set(_WORD.findall(line.lower())),
                      _NEGATION & set(_WORD.findall(reply.lower())))
            if bool(denies[0]) == bool(denies[1]):
                continue
            shared = [w for w in dict.fromkeys(_content_words(line))
                      if w in set(_content_words(reply))]
            if len(shared) >= 3:
                found.append({"first_turn": first, "second_turn": second,
                              "topic": " ".join(shared[:6])})
    return found


_ENTITY = re.compile(r"^Entity: (?P<name>.+?) \((?P<role>.*)\)$", re.M)
_TIME = r"[\d-]+ [\d:]+(?:[+-]\d\d:\d\d)?"
_MOMENT = re.compile(rf"^Moment: (?P<moment>.+), (?P<time>{_TIME})$", re.M)
_ITEM = re.compile(
    r"^\[(?P<id>[^\]]+)\] (?P<info>.+) \((?P<kind>\w+) from (?P<source>.+?), "
    rf"(?P<when>before the timeline|at [^,]+(?:, {_TIME})?), confidence (?P<conf>[\d.]+)"
    r"(?P<private>; kept private)?\)$",
    re.M,
)
_HOW = {
    "initial": "knew from the start",
    "witnessed": "saw it happen",
    "experienced": "lived through it",
    "learned": "learned",
    "told": "was told by {source}",
}


def _source_name(source: str) -> str:
    """``daniel_reyes`` as ``Daniel Reyes``; other sources as they are."""
    if re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)+", source):
        return " ".join(part.capitalize() for part in source.split("_"))
    return source


def _query(user: str, schema: Mapping[str, Any], dice: Dice) -> _Answer:
    entity = _ENTITY.search(user)
    moment = _MOMENT.search(user)
    items = list(_ITEM.finditer(user))
    if entity is None or moment is None or not items:
        return None
    name = entity["name"].strip()
    limit = 6
    shown = items[-limit:][::-1]  # the latest first
    told: list[tuple[str, str]] = []
    for item in shown:
        how = _HOW.get(item["kind"], "learned").format(source=_source_name(item["source"]))
        private = " and kept it private" if item["private"] else ""
        fact = item["info"].strip().rstrip(".")
        told.append((item["id"], f"{_when(item['when'])}, {name.split()[0]} {how}{private}: "
                                 f"{fact}."))
    top = int(schema.get("properties", {}).get("answer", {}).get("maxLength", 2000))
    head = f"By {moment['time']}, {name} knew {_count(len(items))}."
    rest = len(items) - limit
    tail = [f"{rest} earlier items are not repeated here."] if rest > 0 else []
    while len(told) > 1 and len(" ".join([head, *(t for _, t in told), *tail])) > top:
        told.pop()
    text = " ".join([head, *(line for _, line in told), *tail])
    return {"answer": text[:top], "cited": [key for key, _ in told]}


def _when(when: str) -> str:
    """``at tp-001, 2025-03-04 09:00`` as ``At tp-001 (2025-03-04 09:00)``."""
    if when == "before the timeline":
        return "Before the timeline began"
    moment, _, time = when.removeprefix("at ").partition(", ")
    return f"At {moment} ({time})" if time else f"At {moment}"


def _count(n: int) -> str:
    words = {1: "one thing", 2: "two things", 3: "three things", 4: "four things"}
    return words.get(n, f"{n} things")


_WRITERS: dict[str, Callable[[str, Mapping[str, Any], Dice], _Answer]] = {
    "RelationshipReading": _relationships,
    "QueryReply": _query,
}


def reading_answer(schema: Mapping[str, Any], user: str, dice: Dice) -> dict[str, Any] | None:
    """The offline answer for a reading call whose schema this module knows, else ``None``."""
    writer = _WRITERS.get(str(schema.get("title", "")))
    return writer(user, schema, dice) if writer is not None else None

"""The offline model's PORTAL answers (M17, M18): trials and judgements from the evidence sheet.

A call whose schema is named ``TRIAL_SCHEMA`` or ``JUDGE_SCHEMA`` and whose prompt holds the
matching evidence sheet (``daedalus.portal.TrialSheet`` / ``JudgeSheet`` as one JSON object) is
answered by weighing that evidence, so offline searches make choices they can explain:

- a trial explains a target fact when the words the event, its rationale and its people's
  knowledge bring to it cover ``EXPLAINS_AT`` of the fact's content words; it contradicts a
  fact when the event negates one of the fact's words (``not``, ``never``, ``prevents`` ...
  within three words before it). Verdict: missed when nothing is explained, reached when every
  fact is (and nothing contradicted), else partly. Each person arrives knowing the event and
  their knowledge that bears on the target, a little more aroused and tired, with less energy,
  and valence lowered by 0.1 per target fact the trial explains;
- the judge's five scores are fixed functions of an entry's evidence (``judge_scores``): the
  verdict and the share of facts explained and contradicted drive coherence and necessity, how
  much of the event its people's knowledge grounds drives plausibility and precedent, and how
  many of its people arrive knowing something drives capability.

The dice only choose wording (which knowledge a beat cites), never a verdict or a score.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ValidationError

from daedalus.llm._dice import Dice
from daedalus.llm._material import content_words
from daedalus.llm._tokens import message_text
from daedalus.portal import (
    JUDGE_SCHEMA,
    TRIAL_SCHEMA,
    JudgeEntry,
    JudgeSheet,
    TrialSheet,
    TrialVerdict,
)

__all__ = ["EXPLAINS_AT", "answer_from_evidence", "judge_scores", "simulate_trial"]

EXPLAINS_AT = 0.5
"""Share of a fact's content words the trial must bring for the fact to count as explained."""

_NEGATION_TEXT = """
    not never no cannot cancel cancels cancelled prevent prevents prevented avert averts
    averted avoid avoids avoided stop stops stopped halt halts halted without
"""
_NEGATIONS = frozenset(_NEGATION_TEXT.split())
_NEGATION_REACH = 3
_TOKEN = re.compile(r"[a-z][a-z'’-]+")
_RELEVANT_KNOWS = 3
_VERDICT_WEIGHT = {TrialVerdict.REACHED: 1.0, TrialVerdict.PARTLY: 0.5, TrialVerdict.MISSED: 0.0}
S = TypeVar("S", bound=BaseModel)


def answer_from_evidence(
    name: str | None, schema: Mapping[str, Any], messages: Sequence[BaseMessage], dice: Dice
) -> dict[str, Any] | None:
    """The offline answer for a PORTAL trial or judge call (a schema named ``TRIAL_SCHEMA`` or
    ``JUDGE_SCHEMA``), or None for any other call or when the prompt holds no evidence sheet
    of the right kind."""
    if name == TRIAL_SCHEMA:
        trial_sheet = _sheet(messages, TrialSheet)
        beats = int(schema.get("properties", {}).get("beats", {}).get("minItems", 1))
        return None if trial_sheet is None else simulate_trial(trial_sheet, beats, dice)
    if name == JUDGE_SCHEMA:
        judge_sheet = _sheet(messages, JudgeSheet)
        if judge_sheet is None or set(judge_sheet.candidates) != set(schema.get("required", ())):
            return None
        return {
            label: judge_scores(entry, judge_sheet)
            for label, entry in judge_sheet.candidates.items()
        }
    return None


def _sheet(messages: Sequence[BaseMessage], kind: type[S]) -> S | None:
    """The first JSON object in the last message that validates as ``kind``."""
    if not messages:
        return None
    text = message_text(messages[-1])
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
            return kind.model_validate(value)
        except (ValueError, ValidationError):
            continue
    return None


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> frozenset[str]:
    return frozenset(_stem(word) for word in content_words(text))


def _negated(event: str) -> frozenset[str]:
    """Stems of the words ``event`` negates (those shortly after a negation)."""
    tokens = _TOKEN.findall(event.casefold().replace("n't", " not"))
    found: set[str] = set()
    for index, token in enumerate(tokens):
        if token in _NEGATIONS:
            found.update(_stem(t) for t in tokens[index + 1 : index + 1 + _NEGATION_REACH])
    return frozenset(found)


def _coverage(fact: str, brought: frozenset[str]) -> float:
    words = _stems(fact)
    return len(words & brought) / len(words) if words else 0.0


def simulate_trial(sheet: TrialSheet, beats: int, dice: Dice) -> dict[str, Any]:
    """A ``PortalTrial`` answer carried forward from ``sheet`` (module docstring)."""
    event_words = _stems(f"{sheet.event} {sheet.rationale}")
    known_words = _stems(" ".join(item for items in sheet.knows.values() for item in items))
    brought = event_words | known_words
    negated = _negated(sheet.event)
    contradicts = [label for label, fact in sheet.facts.items() if _stems(fact) & negated]
    explains = [
        label
        for label, fact in sheet.facts.items()
        if label not in contradicts and _coverage(fact, brought) >= EXPLAINS_AT
    ]
    if not explains:
        verdict = TrialVerdict.MISSED
    elif len(explains) == len(sheet.facts) and not contradicts:
        verdict = TrialVerdict.REACHED
    else:
        verdict = TrialVerdict.PARTLY
    target_words = _stems(" ".join(sheet.facts.values()))
    people = []
    bearing = target_words | event_words
    for entity in sheet.cast:
        relevant = [k for k in sheet.knows.get(entity, ()) if _stems(k) & bearing]
        valence, arousal, energy, fatigue = sheet.state.get(entity, (0.0, 0.5, 1.0, 0.0))
        people.append(
            {
                "entity": entity,
                "knows": [sheet.event, *relevant[:_RELEVANT_KNOWS]],
                "valence": round(max(-1.0, valence - 0.1 * len(explains)), 3),
                "arousal": round(min(1.0, arousal + 0.1), 3),
                "energy": round(max(0.0, energy - 0.05 * beats), 3),
                "fatigue": round(min(1.0, fatigue + 0.05 * beats), 3),
            }
        )
    return {
        "beats": _beats(sheet, people, beats, dice),
        "people": people,
        "explains": explains,
        "contradicts": contradicts,
        "verdict": verdict.value,
        "outcome": _outcome(sheet, explains, contradicts),
    }


def _name(shown: str) -> str:
    """The name at the head of how a sheet shows a person (``Name (summary): role ...`` or
    ``Name, role``)."""
    return re.split(r"[,(:\n]", shown, maxsplit=1)[0].strip()


def _beats(sheet: TrialSheet, people: list[dict[str, Any]], count: int, dice: Dice) -> list[str]:
    names = [_name(sheet.cast[p["entity"]]) for p in people] or ["No one"]
    beats = []
    for index in range(count):
        person = people[index % len(people)] if people else {"knows": [sheet.event]}
        knows = person["knows"][1:] or person["knows"]
        cited = knows[dice.child(f"beat{index}").below(len(knows))].rstrip(".")
        beats.append(f"{names[index % len(names)]} acts on what they know: {cited}.")
    return beats


def _outcome(sheet: TrialSheet, explains: list[str], contradicts: list[str]) -> str:
    if contradicts:
        denied = "; ".join(sheet.facts[label] for label in contradicts)
        return f"The beats run against the target: {denied}."[:400]
    if explains:
        led = "; ".join(sheet.facts[label] for label in explains)
        return f"The beats lead to: {led}."[:400]
    return f"The beats stay with the event and drift from the target: {sheet.event}"[:400]


def judge_scores(entry: JudgeEntry, sheet: JudgeSheet) -> dict[str, Any]:
    """The five scores and a critique for one candidate, as functions of its evidence."""
    facts = max(len(sheet.facts), 1)
    explained = len(entry.explains) / facts
    contradicted = len(entry.contradicts) / facts
    verdict = _VERDICT_WEIGHT[entry.verdict]
    knowledge = sheet.knowledge(entry)
    known = _stems(" ".join(item for items in knowledge.values() for item in items))
    event = _stems(entry.event)
    grounding = len(event & known) / len(event) if event else 0.0
    informed = sum(1 for items in knowledge.values() if items)
    capability = informed / len(entry.people) if entry.people else 0.0
    scores = {
        "plausibility": 0.45 + 0.35 * grounding - 0.2 * contradicted,
        "precedent": 0.35 + 0.4 * grounding,
        "necessity": 0.25 + 0.6 * explained - 0.3 * contradicted,
        "capability": 0.4 + 0.5 * capability,
        "coherence": 0.15 + 0.45 * verdict + 0.35 * explained - 0.6 * contradicted,
    }
    rounded = {name: round(min(1.0, max(0.0, value)), 3) for name, value in scores.items()}
    return {**rounded, "critique": _critique(entry, sheet.facts, grounding)}


def _critique(entry: JudgeEntry, facts_text: Mapping[str, str], grounding: float) -> str:
    facts = len(facts_text)
    if entry.contradicts:
        fact = entry.contradicts[0]
        return f"Its trial contradicts the target: {facts_text.get(fact, fact)}"[:300]
    if entry.verdict is TrialVerdict.MISSED:
        return "Its trial explains none of the target's facts."
    if entry.verdict is TrialVerdict.PARTLY:
        return f"Its trial explains only {len(entry.explains)} of {facts} target facts."
    return (
        f"Its trial reaches the target; {grounding:.0%} of the event is grounded in what its "
        "people know."
    )

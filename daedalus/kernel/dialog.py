"""Dialog values and the surface checks of the quality gate (M11) — pure logic.

The steering agent produces a ``SteeringDecision``; the quality gate runs ``surface_check`` on
every new turn (free, no model call) and asks a model for a ``GateVerdict`` once the dialog
ends. ``turn_budget`` and ``recursion_limit`` bound the loop.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import DialogTurn

__all__ = [
    "BANNED_OPENERS",
    "CONSENSUS_PHRASES",
    "ECHO_WORDS",
    "Contradiction",
    "DialogMove",
    "GateVerdict",
    "SteeringDecision",
    "SurfaceIssue",
    "SurfaceReport",
    "recursion_limit",
    "surface_check",
    "text_overlap",
    "turn_budget",
    "word_runs",
]

BANNED_OPENERS = (
    "certainly",
    "absolutely",
    "of course",
    "as an ai",
    "great question",
    "i understand your concerns",
    "alright, listen up",
    "well,",
    "indeed,",
    "sure,",
)
"""Generic openers that mark a line as filler rather than a person talking."""

CONSENSUS_PHRASES = (
    "i agree",
    "you're right",
    "you are right",
    "good point",
    "fair enough",
    "we're on the same page",
    "let's work together",
    "that makes sense",
)
"""Phrases whose overuse turns a conversation into a chorus of agreement."""

_WORD = re.compile(r"[a-z0-9']+")


class DialogMove(StrEnum):
    DIRECT_STATEMENT = "direct_statement"
    DEFLECTION = "deflection"
    STRATEGIC_QUESTION = "strategic_question"
    ALLIANCE_SIGNAL = "alliance_signal"
    SILENCE = "silence"
    PARTIAL_DISCLOSURE = "partial_disclosure"
    STATUS_MOVE = "status_move"
    HUMOUR = "humour"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SteeringDecision(_Value):
    """The next beat: who speaks, how, at whom, and whether the scene ends."""

    next_speaker: str
    move: DialogMove = DialogMove.DIRECT_STATEMENT
    target: str | None = None
    mood_shift: str = ""
    tension_delta: float = Field(default=0.0, ge=-0.3, le=0.3)
    end: bool = False
    reason: str = ""


class GateVerdict(_Value):
    """The model's judgement of a finished dialog."""

    narrative_advancement: float = Field(ge=0.0, le=1.0)
    specificity: float = Field(ge=0.0, le=1.0)
    voice_distinctiveness: float = Field(ge=0.0, le=1.0)
    naturalness: float = Field(ge=0.0, le=1.0)
    passed: bool
    weakest_turn: int | None = None
    feedback: str = ""

    def meets(self, threshold: float) -> bool:
        """True when every score reaches ``threshold`` (the model's own flag is not trusted)."""
        scores = (
            self.narrative_advancement,
            self.specificity,
            self.voice_distinctiveness,
            self.naturalness,
        )
        return min(scores) >= threshold


class Contradiction(_Value):
    """Two statements by different entities that cannot both hold (M13)."""

    id: str
    dialog_id: str
    timepoint_id: str
    first_speaker: str
    second_speaker: str
    first_turn: int
    second_turn: int
    topic: str


class SurfaceIssue(StrEnum):
    EMPTY = "empty"
    GENERIC_OPENER = "generic_opener"
    ROUND_ROBIN = "round_robin"
    CONSENSUS = "consensus"
    MONOTONE_LENGTH = "monotone_length"
    VOICE_BLUR = "voice_blur"
    WITHHELD_LEAK = "withheld_leak"
    NAME_LIST = "name_list"
    INSTRUCTION_ECHO = "instruction_echo"
    SELF_REPEAT = "self_repeat"
    MONOLOGUE = "monologue"

    @property
    def needs_new_beat(self) -> bool:
        """Issues of speaker order are fixed by re-steering; the rest by rewriting the line."""
        return self in (SurfaceIssue.ROUND_ROBIN, SurfaceIssue.MONOLOGUE)


class SurfaceReport(_Value):
    issues: tuple[SurfaceIssue, ...] = ()
    details: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.issues


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def text_overlap(a: str, b: str) -> float:
    """Share of ``b``'s distinct words (3+ letters) that appear in ``a``, in [0, 1]."""
    needed = {w for w in _words(b) if len(w) >= 3}
    if not needed:
        return 0.0
    return len(needed & set(_words(a))) / len(needed)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def surface_check(
    turns: Sequence[DialogTurn],
    participants: Sequence[str],
    withheld: Mapping[str, Sequence[str]] | None = None,
    *,
    names: Sequence[str] = (),
    instructions: frozenset[tuple[str, ...]] = frozenset(),
    leak_overlap: float = 0.75,
    consensus_rate: float = 0.4,
    min_length_spread: float = 0.15,
    max_voice_similarity: float = 0.6,
) -> SurfaceReport:
    """Heuristic checks of the newest turn in the light of the turns before it.

    ``withheld`` maps a speaker to the texts of their back layer: a turn that repeats most of the
    words of one of them (``leak_overlap``) leaks a secret. A turn is also refused when it is
    mostly a list of the ``names`` present or carries an ``(id ...)`` label, when it repeats an
    ``ECHO_WORDS``-word run of the prompts (``instructions``, from ``instruction_ngrams``), when
    it repeats the speaker's own previous line, or when one speaker keeps the floor while
    another participant has not spoken yet (fixed by re-steering).
    """
    if not turns:
        return SurfaceReport()
    turn = turns[-1]
    issues: list[SurfaceIssue] = []
    details: list[str] = []
    text = turn.content.strip().lower()
    if not _words(text):
        return SurfaceReport(issues=(SurfaceIssue.EMPTY,), details=("the turn says nothing",))
    opener = next((o for o in BANNED_OPENERS if text.startswith(o)), None)
    if opener:
        issues.append(SurfaceIssue.GENERIC_OPENER)
        details.append(f"opens with the filler {opener!r}")
    n = len(participants)
    if n >= 3 and len(turns) >= 2 * n:
        window = [t.speaker for t in turns[-2 * n :]]
        if window[:n] == window[n:] and len(set(window[:n])) == n:
            issues.append(SurfaceIssue.ROUND_ROBIN)
            details.append("speakers follow a strict rotation")
    agreeing = [any(p in t.content.lower() for p in CONSENSUS_PHRASES) for t in turns]
    if len(turns) >= 3 and agreeing[-1] and sum(agreeing) / len(turns) > consensus_rate:
        issues.append(SurfaceIssue.CONSENSUS)
        details.append(f"{sum(agreeing)} of {len(turns)} turns are stock agreement")
    lengths = [len(_words(t.content)) for t in turns]
    if len(lengths) >= 4:
        mean = statistics.fmean(lengths)
        spread = statistics.pstdev(lengths) / mean if mean else 0.0
        if spread < min_length_spread and abs(lengths[-1] - mean) <= 0.1 * mean:
            issues.append(SurfaceIssue.MONOTONE_LENGTH)
            details.append(f"turn lengths barely vary (spread {spread:.2f})")
    vocab: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for t in turns:
        vocab.setdefault(t.speaker, set()).update(w for w in _words(t.content) if len(w) >= 4)
        counts[t.speaker] = counts.get(t.speaker, 0) + 1
    if counts.get(turn.speaker, 0) >= 2:
        for other, words in vocab.items():
            if other == turn.speaker or counts[other] < 2:
                continue
            similarity = _jaccard(vocab[turn.speaker], words)
            if similarity > max_voice_similarity:
                issues.append(SurfaceIssue.VOICE_BLUR)
                details.append(f"sounds like {other} (word overlap {similarity:.2f})")
                break
    found = _echo_issues(turns, participants, names, instructions)
    issues.extend(issue for issue, _ in found)
    details.extend(detail for _, detail in found)
    for secret in (withheld or {}).get(turn.speaker, ()):
        if text_overlap(turn.content, secret) >= leak_overlap:
            issues.append(SurfaceIssue.WITHHELD_LEAK)
            details.append("says aloud something the speaker is withholding")
            break
    return SurfaceReport(issues=tuple(issues), details=tuple(details))


ECHO_WORDS = 8
"""Length of a word run shared with a prompt that marks a line as echoed instructions."""


def word_runs(text: str, size: int = ECHO_WORDS) -> frozenset[tuple[str, ...]]:
    """Every run of ``size`` consecutive words of ``text`` (lower case)."""
    words = _words(text)
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def _echo_issues(
    turns: Sequence[DialogTurn],
    participants: Sequence[str],
    names: Sequence[str],
    instructions: frozenset[tuple[str, ...]],
) -> list[tuple[SurfaceIssue, str]]:
    turn = turns[-1]
    found: list[tuple[SurfaceIssue, str]] = []
    words = _words(turn.content)
    named = {w for name in names for w in _words(name) if len(w) >= 3}
    in_names = sum(1 for w in words if w in named)
    mentioned = sum(1 for name in names if name and name.lower() in turn.content.lower())
    if "(id " in turn.content.lower() or (mentioned >= 2 and in_names >= 0.5 * len(words)):
        found.append((SurfaceIssue.NAME_LIST, "the line is a list of names, not speech"))
    if instructions and word_runs(turn.content) & instructions:
        found.append((SurfaceIssue.INSTRUCTION_ECHO, "the line repeats the instructions"))
    own = [t for t in turns[:-1] if t.speaker == turn.speaker and _words(t.content)]
    if own and text_overlap(own[-1].content, turn.content) >= 0.8:
        found.append((SurfaceIssue.SELF_REPEAT, "the speaker repeats their previous line"))
    heard = {t.speaker for t in turns}
    if (
        len(turns) >= 2
        and turns[-2].speaker == turn.speaker
        and any(p not in heard for p in participants)
    ):
        found.append((SurfaceIssue.MONOLOGUE, "one speaker keeps the floor while others wait"))
    return found


def turn_budget(participants: int, tension: float, max_turns: int) -> int:
    """Turns a dialog may take: more people and more tension mean a longer scene, capped."""
    wanted = round(max(participants, 1) * (1.5 + max(0.0, min(tension, 1.0))))
    return min(max_turns, max(2, wanted))


def recursion_limit(budget: int, max_retries: int, final_retries: int = 1) -> int:
    """LangGraph recursion limit for a dialog: three supersteps per attempt plus the tail."""
    attempts = budget * (max_retries + 1) + final_retries * (max_retries + 2)
    return attempts * 3 + 12

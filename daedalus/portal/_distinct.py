"""Distinct PORTAL candidates (M17): near-duplicates, echoes and restatements are rejected.

Two candidates are near-duplicates when their normalised texts (lower-case words) are equal or
share ``NEAR_DUPLICATE`` of their words (Jaccard); a candidate echoes its instructions when its
description or rationale repeats ``ECHO_WORDS`` consecutive words of the prompt's fixed text,
and restates a neighbour when its description repeats that many words of an established event
it must connect to (an antecedent is not its own consequent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

__all__ = [
    "ECHO_WORDS",
    "NEAR_DUPLICATE",
    "distinct_drafts",
    "instruction_overlap",
    "normalised",
]

NEAR_DUPLICATE = 0.8
"""Jaccard overlap of word sets at which two candidate events count as the same event."""
ECHO_WORDS = 6
"""Consecutive words shared with the prompt's instructions that make a candidate an echo."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
D = TypeVar("D", bound=tuple[str, Sequence[str], float, str])


def normalised(text: str) -> str:
    """Lower-case words joined by single spaces: case, spacing and punctuation ignored."""
    return " ".join(_WORD.findall(text.casefold()))


def _jaccard(first: str, second: str) -> float:
    a, b = set(first.split()), set(second.split())
    return len(a & b) / len(a | b) if a | b else 1.0


def _runs(text: str, length: int) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + length]) for i in range(len(words) - length + 1)}


def instruction_overlap(text: str, instructions: str, length: int = ECHO_WORDS) -> bool:
    """True when ``text`` repeats ``length`` consecutive words of ``instructions``."""
    return bool(_runs(normalised(text), length) & _runs(normalised(instructions), length))


def distinct_drafts(
    drafts: Iterable[D],
    instructions: str,
    taken: Iterable[str] = (),
    neighbours: Iterable[str] = (),
) -> tuple[list[D], list[str]]:
    """The drafts (description, entities, importance, rationale) worth keeping, in order, and
    one reason per rejected draft: an instruction echo, a description that restates one of
    its ``neighbours`` (the established events it must connect to), or a near-duplicate of an
    earlier draft or of a ``taken`` description (an earlier proposal it must not repeat)."""
    seen = [normalised(text) for text in taken]
    around = "\n".join(neighbours)
    kept: list[D] = []
    rejected: list[str] = []
    for draft in drafts:
        description, rationale = draft[0], draft[3]
        text = normalised(description)
        if instruction_overlap(description, instructions) or instruction_overlap(
            rationale, instructions
        ):
            rejected.append(f"repeats the instructions: {description[:80]!r}")
        elif around and instruction_overlap(description, around):
            rejected.append(f"restates the event it must connect to: {description[:80]!r}")
        elif not text or any(_jaccard(text, other) >= NEAR_DUPLICATE for other in seen):
            rejected.append(f"near-duplicate: {description[:80]!r}")
        else:
            seen.append(text)
            kept.append(draft)
    return kept, rejected

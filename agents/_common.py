"""Helpers shared by the agent nodes: transcripts, messages, enum-constrained schemas."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from daedalus.domain import DialogTurn
from daedalus.kernel.dialog import word_runs
from daedalus.prompts import available_prompts, load_prompt

__all__ = ["SILENT", "choice", "instruction_runs", "messages", "render", "transcript"]

SILENT = "(stays silent)"
"""Content of a turn whose beat was silence: recorded, never sent to a model."""


def render(prompt_name: str, **values: object) -> list[BaseMessage]:
    """Load ``prompts/<prompt_name>.txt``, fill it, and return system + human messages."""
    system, user = load_prompt(prompt_name).render(**values)
    return messages(system, user)


def messages(system: str, user: str) -> list[BaseMessage]:
    return [SystemMessage(content=system), HumanMessage(content=user)]


def transcript(
    turns: Sequence[DialogTurn], names: Mapping[str, str], *, indexed: bool = False
) -> str:
    """The dialog so far as ``Name: line`` rows (``i: Name: line`` when ``indexed``)."""
    if not turns:
        return "(nothing has been said yet)"
    rows = []
    for index, turn in enumerate(turns):
        who = names.get(turn.speaker, turn.speaker)
        prefix = f"{index}: " if indexed else ""
        rows.append(f"{prefix}{who}: {turn.content}")
    return "\n".join(rows)


def choice(values: Sequence[str]) -> Any:
    """A ``Literal`` over ``values``, sorted: the schema then offers the model exactly these
    options, in the same order in every process."""
    # typing caches unions by equality, which ignores a Literal's order: an unsorted Literal
    # would take the order of the first equal one this process made, so a resumed run differs.
    return Literal[tuple(sorted(set(values)))]


_PLACEHOLDER = re.compile(r"\$\{?\w+\}?")


@cache
def instruction_runs() -> frozenset[tuple[str, ...]]:
    """Every ``ECHO_WORDS``-word run of the shipped prompts' own text (placeholders cut the runs),
    so a generated line that repeats instructions can be recognised."""
    runs: set[tuple[str, ...]] = set()
    for name in available_prompts():
        prompt = load_prompt(name)
        for template in (prompt.system.template, prompt.user.template):
            for piece in _PLACEHOLDER.split(template):
                runs |= word_runs(piece)
    return frozenset(runs)

"""Helpers shared by the agent nodes: transcripts, messages, enum-constrained schemas."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache, wraps
from typing import Any, Literal, ParamSpec, TypeVar

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from daedalus.domain import DialogTurn
from daedalus.kernel.dialog import word_runs
from daedalus.prompts import available_prompts, load_prompt

__all__ = [
    "SILENT",
    "choice",
    "instruction_runs",
    "messages",
    "render",
    "schema_cache",
    "transcript",
]

_P = ParamSpec("_P")
_T = TypeVar("_T")
_SCHEMAS_PER_BUILDER = 256

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


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def schema_cache(build: Callable[_P, _T]) -> Callable[_P, _T]:
    """``build`` (a schema builder) made to return one class per distinct argument values.

    A schema is a pure function of its arguments (``choice`` sorts its options), so equal asks
    share one pydantic class, and its JSON schema is computed once (``daedalus.llm`` caches it
    per class) instead of a class being created and described on every call. Lists are keyed
    as tuples; the cache is bounded, so a long process never holds more than a few hundred.
    """
    cached = lru_cache(maxsize=_SCHEMAS_PER_BUILDER)(build)

    @wraps(build)
    def lookup(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        keyed = [_hashable(arg) for arg in args]
        named = {name: _hashable(arg) for name, arg in kwargs.items()}
        return cached(*keyed, **named)

    return lookup


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

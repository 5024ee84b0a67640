"""Lazy queries (M5, with M9): ask what an entity knew at a moment, after or during a run.

``answer_query(state, "what did Lin Zhang know at step 3?", router)``:

1. finds the entity: by id or full name (case-insensitive), then by a capitalised part of a
   name that fits one entity only; a name or numbered handle nobody holds is generated (M9);
2. finds the timepoint: by id, by ``step N`` (0-based position on the main timeline, the
   numbering ADPRS and the planned ``slot-NNN`` use), by ISO date (the last moment at or
   before it), else the last moment of the main timeline;
3. records the query on the entity (M2) and decides the cell's resolution lazily (M5): never
   lower than it was, raised by query count, centrality and the moment's importance;
4. answers from provenance only: the entity's exposures visible at the timepoint (M3, M7) go
   to the answer writer, whose schema only lets it cite those ids.

Nothing is written to the state here: ``QueryAnswer.updates`` holds what a caller applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any, NamedTuple, cast

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from daedalus.agents._cast import entity_facts
from daedalus.agents.entity_generator import generate_missing, mentions_for
from daedalus.agents.query_answer import knowledge_lines, write_answer
from daedalus.context import RunContext
from daedalus.domain import Entity, ResolutionLevel, Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.entity_gap import mentioned_names, numbered_mentions
from daedalus.kernel.fidelity import (
    DEFAULT_THRESHOLDS,
    FidelityThresholds,
    decide_resolution,
    record_query,
)
from daedalus.kernel.render import render_entity
from daedalus.kernel.tensors import TTMTensor
from daedalus.llm.router import Router
from daedalus.provenance import Provenance, Timeline
from daedalus.state import SimState, add_counts, merge_map

__all__ = [
    "QUERY",
    "EntityRef",
    "QueryAnswer",
    "QueryState",
    "answer_query",
    "query_node",
    "resolve_entity",
    "resolve_timepoint",
]

QUERY = "query"

_STEP = re.compile(r"\b(?:step|index|timepoint|moment)\s*#?\s*(\d+)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}))?\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")


class QueryAnswer(BaseModel):
    """A query's answer and the state updates it implies (apply ``updates`` to keep them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str
    entity_id: str
    timepoint_id: str
    answer: str
    cited: tuple[str, ...] = Field(description="exposure ids the answer relies on")
    knowledge: tuple[str, ...] = Field(description="what the entity knew, one line per exposure")
    resolution_before: ResolutionLevel
    resolution_after: ResolutionLevel
    generated: tuple[str, ...] = Field(default=(), description="entity ids created by M9")
    updates: dict[str, Any] = Field(default_factory=dict)


class QueryState(SimState, total=False):
    """``SimState`` plus the question asked and the answer of ``query_node``."""

    question: str
    answer: QueryAnswer | None


class EntityRef(NamedTuple):
    """Who a question is about: an entity id, the words that named it, and whether it exists."""

    entity_id: str
    name: str
    exists: bool


def _occurs(needle: str, text: str) -> int | None:
    pattern = rf"(?<![\w.:-]){re.escape(needle)}(?![\w:-]|\.\w)"
    match = re.search(pattern, text, re.IGNORECASE)
    return None if match is None else match.start()


def resolve_entity(question: str, entities: Mapping[str, Entity]) -> EntityRef:
    """The entity the question is about; ``exists`` is False for a name nobody holds yet (its
    id is the one generation will give it). ``ConfigError`` when the question names no one.

    Order: an id or full name (earliest in the question wins); a numbered handle; a capitalised
    name whose words all belong to exactly one entity's name (else it is unknown); finally a
    lower-case word that is part of exactly one entity's name.
    """
    hits = []
    for key, entity in entities.items():
        for needle in (key, entity.name):
            position = _occurs(needle, question)
            if position is not None:
                hits.append((position, -len(needle), key))
    if hits:
        key = min(hits)[2]
        return EntityRef(key, entities[key].name, exists=True)
    handles = numbered_mentions(question)
    if handles:
        return _ref(handles[0].text, entities)
    words = {key: set(entity.name.casefold().split()) for key, entity in entities.items()}
    for name in mentioned_names(question):
        wanted = set(name.casefold().split())
        owners = [key for key, tokens in words.items() if wanted <= tokens]
        if len(owners) == 1:
            return EntityRef(owners[0], entities[owners[0]].name, exists=True)
        return _ref(name, entities)
    for word in _WORD.findall(question):
        owners = [key for key, tokens in words.items() if word.casefold() in tokens]
        if len(owners) == 1:
            return EntityRef(owners[0], entities[owners[0]].name, exists=True)
    known_names = ", ".join(sorted(entity.name for entity in entities.values())) or "none"
    raise ConfigError(f"the question names no entity; known entities: {known_names}")


def _ref(name: str, entities: Mapping[str, Entity]) -> EntityRef:
    (mention,) = mentions_for([name], {})
    return EntityRef(mention.id, name, exists=mention.id in entities)


def _main_moments(timepoints: Sequence[Timepoint]) -> list[Timepoint]:
    ordered = [tp for tp in Timeline(timepoints).ordered() if tp.moment_of is None]
    main = [tp for tp in ordered if tp.branch_id == "main"]
    return main or ordered


def resolve_timepoint(question: str, timepoints: Sequence[Timepoint]) -> Timepoint:
    """The moment a question is about (rules in the module docstring); ``ConfigError`` when
    the run has no timepoints or the step or date is outside the timeline."""
    if not timepoints:
        raise ConfigError("the run has no timepoints yet; simulate before asking about a moment")
    for timepoint in timepoints:
        if _occurs(timepoint.id, question) is not None:
            return timepoint
    moments = _main_moments(timepoints)
    step = _STEP.search(question)
    if step is not None:
        index = int(step.group(1))
        if index >= len(moments):
            message = f"step {index} is past the timeline; steps run from 0 to {len(moments) - 1}"
            raise ConfigError(message)
        return moments[index]
    date = _DATE.search(question)
    if date is not None:
        day = datetime.fromisoformat(date.group(1))
        clock = time.fromisoformat(date.group(2)) if date.group(2) else time.max
        limit = datetime.combine(day.date(), clock)
        before = [tp for tp in moments if tp.timestamp.replace(tzinfo=None) <= limit]
        if not before:
            raise ConfigError(f"nothing happened by {date.group(0)}; the timeline starts later")
        return before[-1]
    return moments[-1]


def _with_updates(state: SimState, updates: Mapping[str, Any]) -> SimState:
    merged: dict[str, Any] = dict(state)
    merged["entities"] = merge_map(state.get("entities"), updates.get("entities"))
    merged["exposures"] = [*state.get("exposures", []), *updates.get("exposures", [])]
    return cast(SimState, merged)


def _raised_tensor(state: SimState, entity_id: str) -> dict[str, TTMTensor]:
    """M6: an entity stored compressed that a query raises gets its full tensor back from the
    expansion of that compressed form, which seeds the richer view; empty when it has none."""
    fitted = state.get("compression")
    packed = state.get("compressed", {}).get(entity_id)
    if fitted is None or packed is None:
        return {}
    return {entity_id: fitted.expand(packed)}


async def answer_query(
    state: SimState,
    question: str,
    router: Router,
    *,
    thresholds: FidelityThresholds = DEFAULT_THRESHOLDS,
) -> QueryAnswer:
    """Answer ``question`` about one entity at one moment from provenance only (M5, M9).

    The query is recorded at logical tick ``max(len(timepoints), last_accessed)``: a query
    happens after the moments simulated so far. Raises ``ConfigError`` when the question names
    no entity or a moment outside the timeline.
    """
    ref = resolve_entity(question, state.get("entities", {}))
    timepoint = resolve_timepoint(question, state.get("timepoints", []))
    generated: dict[str, Any] = {}
    if not ref.exists:
        generated = await generate_missing([ref.name], state, router)
        state = _with_updates(state, generated)
    known = ref.entity_id
    entity = state["entities"][known]
    tick = max(len(state.get("timepoints", [])), entity.metadata.last_accessed or 0)
    metadata = record_query(entity.metadata, tick, thresholds)
    entity = entity.model_copy(update={"metadata": metadata})
    before = state.get("resolution", {}).get(known, {}).get(timepoint.id)
    before = before if before is not None else ResolutionLevel.TENSOR_ONLY
    after = max(before, decide_resolution(metadata, timepoint.importance, thresholds))
    visible = Provenance(state["timepoints"], state.get("exposures", [])).knowledge_at(
        known, timepoint.id
    )
    withheld = state.get("withheld", {}).get(known, [])
    lifted = after > before and before is ResolutionLevel.TENSOR_ONLY
    raised = _raised_tensor(state, known) if lifted else {}
    seen = cast(SimState, {**state, "tensors": {**state.get("tensors", {}), **raised}})
    profile = render_entity(entity_facts(seen, known, after, timepoint.id), after)
    answer, cited = await write_answer(
        router,
        question=question,
        entity=entity,
        timepoint=timepoint,
        knowledge=visible,
        withheld=withheld,
        level=after,
        profile=profile,
    )
    updates: dict[str, Any] = {
        **generated,
        "entities": merge_map(generated.get("entities"), {known: entity}),
        "resolution": {known: {timepoint.id: after}},
        "mechanisms": add_counts(
            generated.get("mechanisms"),
            {"M5": 1, **({"M6": 1} if raised else {})} if after > before else {},
        ),
    }
    if raised:
        updates["tensors"] = raised
    return QueryAnswer(
        question=question,
        entity_id=known,
        timepoint_id=timepoint.id,
        answer=answer,
        cited=cited,
        knowledge=knowledge_lines(visible, withheld),
        resolution_before=before,
        resolution_after=after,
        generated=tuple(generated.get("entities", {})),
        updates=updates,
    )


async def query_node(state: QueryState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: answer ``state["question"]``, apply its updates and store it in ``answer``."""
    question = state.get("question")
    if not question:
        raise ConfigError("query_node needs a non-empty 'question' in the state")
    reply = await answer_query(state, question, runtime.context.router)
    return {**reply.updates, "answer": reply.model_copy(update={"updates": {}})}

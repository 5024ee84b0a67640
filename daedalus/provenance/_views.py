"""Derived networkx views of the provenance logs (M3, M7): never stored, rebuilt on demand.

Where a ``told`` exposure came from (the exposure DAG edge rule):

1. Only ``told`` events get an incoming edge, and only when their ``source`` has exposures
   visible at the told event's timepoint; an external source (a label, not an entity with
   exposures) leaves the event without one.
2. Candidates are the source's exposures visible at that timepoint (``knowledge_at``), minus
   any recorded at that same timepoint later in the log (or the event itself): within one
   timepoint the log's own order says what came first. Along every edge (timeline position,
   log position) strictly increases, so the graph is acyclic.
3. A candidate whose information equals the told information after normalisation (case,
   spacing and punctuation ignored) wins; among several, the most recent (latest timeline
   position, then latest in the log).
4. Otherwise the candidate with the highest token overlap (Jaccard index of word sets) wins if
   it reaches ``TOKEN_OVERLAP_THRESHOLD``; ties go to the most recent. Below it, no edge.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import IO, Any

import networkx as nx

from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.provenance._causal_index import CausalIndex

__all__ = [
    "TOKEN_OVERLAP_THRESHOLD",
    "build_exposure_dag",
    "build_timepoint_dag",
    "normalise_text",
    "token_overlap",
    "write_graph",
]

TOKEN_OVERLAP_THRESHOLD = 0.5
"""Least Jaccard overlap of word sets for a told event to be traced to a non-identical item."""

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


def normalise_text(text: str) -> str:
    """Lower-case words joined by single spaces: case, spacing and punctuation ignored."""
    return " ".join(_words(text))


def token_overlap(first: str, second: str) -> float:
    """Jaccard index of the two texts' word sets, in [0, 1] (0 when both are empty)."""
    a, b = set(_words(first)), set(_words(second))
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def build_timepoint_dag(order: Sequence[Timepoint]) -> Any:
    """Frozen DiGraph of causal links parent -> child, GraphML-safe attributes only."""
    graph = nx.DiGraph(kind="timepoints")
    for tp in order:
        graph.add_node(
            tp.id,
            timestamp=tp.timestamp.isoformat(),
            branch=tp.branch_id,
            importance=float(tp.importance),
            event=tp.event_description,
            moment_of=tp.moment_of or "",
            entities=";".join(tp.entities_present),
        )
    for tp in order:
        if tp.causal_parent is not None:
            graph.add_edge(tp.causal_parent, tp.id)
    return nx.freeze(graph)


def build_exposure_dag(
    events: Sequence[ExposureEvent],
    index: CausalIndex,
    knowledge_at: Callable[[str, str], Sequence[ExposureEvent]],
) -> Any:
    """Frozen DiGraph of exposures with an edge from each told event's origin (rule above)."""
    sequence = {event.id: offset for offset, event in enumerate(events)}

    def recency(event: ExposureEvent) -> tuple[int, int]:
        pos = -1 if event.timepoint_id is None else index.position[event.timepoint_id]
        return pos, sequence[event.id]

    prior: dict[str, list[ExposureEvent]] = {}
    for event in events:
        if event.timepoint_id is None:
            prior.setdefault(event.entity_id, []).append(event)
    known: dict[tuple[str, str | None], tuple[ExposureEvent, ...]] = {}
    graph = nx.DiGraph(kind="exposures")
    for event in events:
        graph.add_node(
            event.id,
            entity=event.entity_id,
            kind=event.kind.value,
            information=event.information,
            source=event.source,
            timepoint=event.timepoint_id or "",
            timestamp="" if event.timestamp is None else event.timestamp.isoformat(),
            confidence=float(event.confidence),
        )
    for event in events:
        if event.kind is not ExposureKind.TOLD:
            continue
        key = (event.source, event.timepoint_id)
        if key not in known:
            if event.timepoint_id is None:
                known[key] = tuple(prior.get(event.source, ()))
            else:
                known[key] = tuple(knowledge_at(event.source, event.timepoint_id))
        limit = sequence[event.id]
        candidates = [
            c for c in known[key] if c.timepoint_id != event.timepoint_id or sequence[c.id] < limit
        ]
        origin = _best_origin(event, candidates, recency)
        if origin is not None:
            graph.add_edge(origin[0].id, event.id, match=origin[1], score=origin[2])
    return nx.freeze(graph)


def _best_origin(
    event: ExposureEvent,
    candidates: Sequence[ExposureEvent],
    recency: Callable[[ExposureEvent], tuple[int, int]],
) -> tuple[ExposureEvent, str, float] | None:
    wanted = normalise_text(event.information)
    exact = [c for c in candidates if normalise_text(c.information) == wanted]
    if exact:
        return max(exact, key=recency), "exact", 1.0
    scored = [(token_overlap(event.information, c.information), c) for c in candidates]
    eligible = [(score, c) for score, c in scored if score >= TOKEN_OVERLAP_THRESHOLD]
    if not eligible:
        return None
    score, best = max(eligible, key=lambda pair: (pair[0], recency(pair[1])))
    return best, "overlap", score


def write_graph(graph: Any, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write ``graph`` as GraphML to a path or a binary stream."""
    nx.write_graphml(graph, target)

"""Timeline, ExposureLog and the Provenance queries over them (M3, M7, M8, M12)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO, Any, Literal

import numpy as np
from numpy.typing import NDArray

from daedalus.domain import ExposureEvent, Timepoint
from daedalus.errors import ConfigError, ProvenanceError, UnknownTimepointError
from daedalus.provenance._causal_index import CausalIndex
from daedalus.provenance._exposure_index import ExposureIndex
from daedalus.provenance._exposure_log import ExposureLog, Exposures
from daedalus.provenance._views import (
    build_exposure_dag,
    build_timepoint_dag,
    normalise_text,
    write_graph,
)

__all__ = [
    "ExposureLog",
    "GraphKind",
    "Provenance",
    "Timeline",
    "knowledge_at",
]

GraphKind = Literal["timepoints", "exposures"]
_NO_ROWS: NDArray[np.int32] = np.empty(0, dtype=np.int32)
"""Which derived view ``Provenance.write_graphml`` exports."""


class Timeline:
    """An append-only set of timepoints, accepted in any order (M7).

    Appending an identical timepoint twice is a no-op; the same id with different content raises
    ``ProvenanceError``. Queries validate the whole forest first and raise
    ``UnknownTimepointError`` for a parent or moment the timeline lacks, ``ProvenanceError``
    for a causal cycle or a sub-moment that breaks the M8 rules.
    """

    __slots__ = ("_dag", "_index", "_items", "_slots")

    def __init__(self, timepoints: Iterable[Timepoint] = ()) -> None:
        self._items: list[Timepoint] = []
        self._slots: dict[str, int] = {}
        self._index: CausalIndex | None = None
        self._dag: tuple[int, Any] | None = None
        self.extend(timepoints)

    def append(self, timepoint: Timepoint) -> bool:
        """Add ``timepoint``; True if it was new, False if an identical one was already there."""
        slot = self._slots.get(timepoint.id)
        if slot is not None:
            if self._items[slot] == timepoint:
                return False
            message = f"timepoint {timepoint.id!r} is already in the timeline with other content"
            raise ProvenanceError(message)
        self._slots[timepoint.id] = len(self._items)
        self._items.append(timepoint)
        return True

    def extend(self, timepoints: Iterable[Timepoint]) -> int:
        """Append each timepoint; returns how many were new."""
        return sum(self.append(tp) for tp in timepoints)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Timepoint]:
        """Timepoints in insertion order (see ``ordered`` for timeline order)."""
        return iter(tuple(self._items))

    def __contains__(self, timepoint_id: object) -> bool:
        return timepoint_id in self._slots

    def __getitem__(self, timepoint_id: str) -> Timepoint:
        slot = self._slots.get(timepoint_id)
        if slot is None:
            raise UnknownTimepointError(f"timepoint {timepoint_id!r} is not in the timeline")
        return self._items[slot]

    def get(self, timepoint_id: str) -> Timepoint | None:
        """The timepoint with this id, or None."""
        slot = self._slots.get(timepoint_id)
        return None if slot is None else self._items[slot]

    def validate(self) -> None:
        """Raise if the forest is broken (dangling link, cycle, misplaced sub-moment)."""
        self._causal()

    def ordered(self) -> tuple[Timepoint, ...]:
        """Every timepoint in timeline order (parents before children)."""
        return self._causal().order

    def position(self, timepoint_id: str) -> int:
        """Index of the timepoint in timeline order."""
        return self._causal().locate(timepoint_id)

    def ancestors(self, timepoint_id: str) -> tuple[str, ...]:
        """The causal closure of the timepoint: itself and all upstream ids, in timeline order."""
        index = self._causal()
        mask = index.visible(index.locate(timepoint_id))
        return tuple(index.order[pos].id for pos in mask.nonzero()[0].tolist())

    def is_upstream(self, source_id: str, timepoint_id: str) -> bool:
        """True when ``source_id`` is ``timepoint_id`` or causally upstream of it."""
        index = self._causal()
        return index.is_upstream(index.locate(source_id), index.locate(timepoint_id))

    def downstream(self, timepoint_id: str) -> tuple[str, ...]:
        """Every timepoint the given one is upstream of (itself included), in timeline order."""
        index = self._causal()
        return tuple(index.order[pos].id for pos in index.downstream(index.locate(timepoint_id)))

    def children(self, timepoint_id: str) -> tuple[str, ...]:
        """Direct causal children, sub-moments first, in timeline order."""
        index = self._causal()
        pos = index.locate(timepoint_id)
        stop = int(index.tout[pos]) + 1
        return tuple(index.order[c].id for c in range(pos + 1, stop) if index.parent[c] == pos)

    def sub_moments(self, timepoint_id: str) -> tuple[str, ...]:
        """The direct details of a moment (M8), in the order of their causal chain."""
        index = self._causal()
        pos = index.locate(timepoint_id)
        stop = int(index.expansion_end[pos]) + 1
        return tuple(
            index.order[c].id
            for c in range(pos + 1, stop)
            if index.order[c].moment_of == timepoint_id
        )

    def roots(self) -> tuple[str, ...]:
        """Timepoints without a causal parent, in timeline order."""
        index = self._causal()
        return tuple(tp.id for tp in index.order if tp.causal_parent is None)

    def branch_ids(self) -> tuple[str, ...]:
        """Every branch id, in the timeline order of its first timepoint."""
        return tuple(dict.fromkeys(tp.branch_id for tp in self._causal().order))

    def path_to_root(self, timepoint_id: str) -> tuple[str, ...]:
        """The timepoint, its causal parent, and so on up to its root."""
        index = self._causal()
        path: list[str] = []
        pos = index.locate(timepoint_id)
        while pos >= 0:
            path.append(index.order[pos].id)
            pos = int(index.parent[pos])
        return tuple(path)

    def timepoint_dag(self) -> Any:
        """Frozen ``networkx.DiGraph`` of causal links (parent -> child), cached per length.

        Node attributes: timestamp (ISO 8601), branch, importance, event, moment_of ("" when
        none), entities (";"-joined). Call ``.copy()`` for a mutable graph.
        """
        if self._dag is None or self._dag[0] != len(self._items):
            self._dag = (len(self._items), build_timepoint_dag(self._causal().order))
        return self._dag[1]

    def _causal(self) -> CausalIndex:
        if self._index is None or len(self._index.order) != len(self._items):
            self._index = CausalIndex(self._items)
        return self._index


class Provenance:
    """Indexed queries over a timeline and an exposure log (M3, M7).

    Given a ``Timeline`` and an ``ExposureLog`` it reads them live: appends made later are
    picked up by the next query (indexes are rebuilt lazily, keyed by the logs' lengths).
    """

    __slots__ = ("_exposure_dag", "_exposures", "log", "timeline")

    def __init__(
        self,
        timeline: Timeline | Iterable[Timepoint] = (),
        log: ExposureLog | Iterable[ExposureEvent] = (),
    ) -> None:
        self.timeline = timeline if isinstance(timeline, Timeline) else Timeline(timeline)
        self.log = log if isinstance(log, ExposureLog) else ExposureLog(log)
        self._exposures = ExposureIndex()
        self._exposure_dag: tuple[tuple[int, int], Any] | None = None

    def reindex(self) -> None:
        """Build every index now rather than on the first query (validates both logs)."""
        index = self._sync()
        for entity_id in self._exposures.entity_ids():
            self._exposures.view(entity_id, index, self.log)

    def knowledge_at(self, entity_id: str, timepoint_id: str) -> Exposures:
        """The entity's exposures visible at the timepoint (M3, M7).

        Exactly its prior knowledge (sorted by id) followed by its exposures at timepoints
        upstream of or at ``timepoint_id``, by timeline order then id. The answer is a lazy
        sequence (``Exposures``): each event is rebuilt from the log when read.
        """
        index = self._sync()
        mask = index.visible(index.locate(timepoint_id))
        view = self._exposures.view(entity_id, index, self.log)
        rows = _NO_ROWS if view is None else view.visible(mask)
        return Exposures(self.log, rows)

    def can_know(self, entity_id: str, information_or_exposure_id: str, timepoint_id: str) -> bool:
        """True if the entity may use this knowledge at the timepoint.

        An exposure id must belong to the entity and be visible there; any other string must
        equal the information of a visible exposure after normalisation (case, spacing and
        punctuation ignored).
        """
        event = self.log.get(information_or_exposure_id)
        if event is not None:
            return not self.check_references(entity_id, timepoint_id, (event.id,))
        wanted = normalise_text(information_or_exposure_id)
        known = self.knowledge_at(entity_id, timepoint_id)
        return any(normalise_text(item.information) == wanted for item in known)

    def check_references(
        self, entity_id: str, timepoint_id: str, exposure_ids: Iterable[str]
    ) -> tuple[str, ...]:
        """The ids the entity may not cite at the timepoint, in first-seen order.

        An id is refused when the log lacks it, it is another entity's exposure, or its
        timepoint is not upstream of ``timepoint_id``. Used to audit a dialog turn's
        ``knowledge_references`` (M11).
        """
        index = self._sync()
        mask = index.visible(index.locate(timepoint_id))
        refused: list[str] = []
        for event_id in dict.fromkeys(exposure_ids):
            row = self.log.row(event_id)
            point = None if row is None else self.log.timepoint_of(row)
            visible = (
                row is not None
                and self.log.entity_of(row) == entity_id
                and (point is None or bool(mask[index.locate(point)]))
            )
            if not visible:
                refused.append(event_id)
        return tuple(refused)

    def timepoint_dag(self) -> Any:
        """The timeline's causal DAG (see ``Timeline.timepoint_dag``)."""
        return self.timeline.timepoint_dag()

    def exposure_dag(self) -> Any:
        """Frozen ``networkx.DiGraph`` of where each exposure came from (M3 audit trail).

        Nodes are exposure ids. A ``told`` event gets one incoming edge from the exposure its
        source drew on; see ``daedalus.provenance._views`` for the matching rule. Cached by
        (timeline length, log length).
        """
        key = (len(self.timeline), len(self.log))
        if self._exposure_dag is None or self._exposure_dag[0] != key:
            index = self._sync()
            graph = build_exposure_dag(tuple(self.log), index, self.knowledge_at)
            self._exposure_dag = (key, graph)
        return self._exposure_dag[1]

    def write_graphml(self, kind: GraphKind, target: str | os.PathLike[str] | IO[bytes]) -> None:
        """Write the ``"timepoints"`` or ``"exposures"`` DAG as GraphML to a path or a binary
        stream."""
        if kind == "timepoints":
            graph = self.timepoint_dag()
        elif kind == "exposures":
            graph = self.exposure_dag()
        else:
            raise ConfigError(f"unknown graph kind {kind!r}; expected 'timepoints' or 'exposures'")
        write_graph(graph, target)

    def _sync(self) -> CausalIndex:
        index = self.timeline._causal()
        self._exposures.sync(self.log, self.timeline._slots)
        return index


def knowledge_at(
    timeline: Timeline | Iterable[Timepoint],
    log: ExposureLog | Iterable[ExposureEvent],
    entity_id: str,
    timepoint_id: str,
) -> Exposures:
    """What ``entity_id`` may know at ``timepoint_id`` (see ``Provenance.knowledge_at``).

    Indexes from scratch on every call; keep a ``Provenance`` for repeated queries.
    """
    return Provenance(timeline, log).knowledge_at(entity_id, timepoint_id)

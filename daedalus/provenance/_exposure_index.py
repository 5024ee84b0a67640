"""Per-entity exposure arrays for fast ``knowledge_at`` queries (M3, M7).

Each entity's events are bucketed as the log grows (append-only, so a cursor suffices) and
sorted into numpy arrays on first query after the timeline or the entity's bucket changed.
A query is then one mask over timepoint positions and a vectorised gather.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from daedalus.domain import ExposureEvent
from daedalus.errors import UnknownTimepointError
from daedalus.provenance._causal_index import CausalIndex

__all__ = ["EntityView", "ExposureIndex"]

PRIOR = -1
"""Slot of an exposure held before the timeline began (``timepoint_id is None``)."""

# Past this ratio of events to upstream timepoints, binary search beats the full-mask gather.
_SEARCH_RATIO = 4


class EntityView:
    """One entity's exposures sorted by (timeline position, id), prior knowledge first."""

    __slots__ = ("events", "positions", "prior")

    def __init__(
        self,
        events: Sequence[ExposureEvent],
        slots: Sequence[int],
        ids: Sequence[str],
        index: CausalIndex,
    ) -> None:
        slot_array = np.asarray(slots, dtype=np.intp)
        dated = slot_array >= 0
        positions = np.full(len(slot_array), PRIOR, dtype=np.intp)
        positions[dated] = index.slot_position[slot_array[dated]]
        order = _sort_by_position_then_id(positions, ids)
        # fromiter stores references; slice assignment would probe each model as a sequence.
        objects = np.fromiter(events, dtype=object, count=len(events))[order]
        n_prior = int(np.count_nonzero(~dated))
        self.prior: tuple[ExposureEvent, ...] = tuple(objects[:n_prior].tolist())
        self.positions: NDArray[np.intp] = positions[order[n_prior:]]
        self.events: NDArray[np.object_] = objects[n_prior:]

    def visible(self, mask: NDArray[np.bool_]) -> tuple[ExposureEvent, ...]:
        """Prior knowledge plus every event whose timepoint is True in ``mask``, in order."""
        if len(self.positions) == 0:
            return self.prior
        upstream = np.flatnonzero(mask)
        if len(self.positions) > _SEARCH_RATIO * len(upstream) + 1024:
            starts = np.searchsorted(self.positions, upstream, side="left")
            stops = np.searchsorted(self.positions, upstream, side="right")
            lengths = stops - starts
            total = int(lengths.sum())
            # Offsets turn the ranges [start, stop) into one flat index array.
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            picked = self.events[offsets + np.arange(total)]
        else:
            picked = self.events[mask[self.positions]]
        return self.prior + tuple(picked.tolist())


class ExposureIndex:
    """Buckets the log by entity and keeps one sorted view per entity, rebuilt when stale."""

    __slots__ = ("_buckets", "_cursor", "_views")

    def __init__(self) -> None:
        self._cursor = 0
        self._buckets: dict[str, tuple[list[ExposureEvent], list[int], list[str]]] = {}
        self._views: dict[str, tuple[tuple[int, int], EntityView]] = {}

    def sync(self, events: Sequence[ExposureEvent], slots: dict[str, int]) -> None:
        """Bucket the events appended since the last call; ``slots`` maps timepoint ids."""
        for offset in range(self._cursor, len(events)):
            event = events[offset]
            slot = PRIOR
            if event.timepoint_id is not None:
                found = slots.get(event.timepoint_id)
                if found is None:
                    self._cursor = offset
                    message = (
                        f"exposure {event.id!r} happened at timepoint {event.timepoint_id!r}, "
                        "which is not in the timeline"
                    )
                    raise UnknownTimepointError(message)
                slot = found
            bucket = self._buckets.get(event.entity_id)
            if bucket is None:
                bucket = self._buckets[event.entity_id] = ([], [], [])
            bucket[0].append(event)
            bucket[1].append(slot)
            bucket[2].append(event.id)
        self._cursor = len(events)

    def view(self, entity_id: str, index: CausalIndex) -> EntityView | None:
        """The sorted view of ``entity_id`` for this timeline version, or None if no events."""
        bucket = self._buckets.get(entity_id)
        if bucket is None:
            return None
        key = (len(index.order), len(bucket[0]))
        cached = self._views.get(entity_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        fresh = EntityView(bucket[0], bucket[1], bucket[2], index)
        self._views[entity_id] = (key, fresh)
        return fresh

    def entity_ids(self) -> tuple[str, ...]:
        """Entities with at least one exposure, in order of first exposure."""
        return tuple(self._buckets)


def _sort_by_position_then_id(positions: NDArray[np.intp], ids: Sequence[str]) -> NDArray[np.intp]:
    """Indices ordering events by position then id; only ties touch the (slow) id strings."""
    order = np.argsort(positions, kind="stable")
    ranked = positions[order]
    tied = np.flatnonzero(ranked[1:] == ranked[:-1])
    if tied.size == 0:
        return order
    # Each run of equal positions starts where the previous element differs.
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    stops = np.r_[starts[1:], len(ranked)]
    multi = stops - starts > 1
    result = order.tolist()
    for start, stop in zip(starts[multi].tolist(), stops[multi].tolist(), strict=True):
        result[start:stop] = sorted(result[start:stop], key=ids.__getitem__)
    return np.asarray(result, dtype=np.intp)

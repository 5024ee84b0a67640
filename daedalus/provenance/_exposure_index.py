"""Per-entity exposure arrays for fast ``knowledge_at`` queries (M3, M7).

Each entity's rows of the log are bucketed as the log grows (append-only, so a cursor suffices)
and sorted into numpy arrays on first query after the timeline or the entity's bucket changed.
A query is then one mask over timepoint positions and a vectorised gather of log rows; the
events themselves are rebuilt from the log only when the answer is read (``Exposures``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from daedalus.errors import UnknownTimepointError
from daedalus.provenance._causal_index import CausalIndex
from daedalus.provenance._exposure_log import ExposureLog

__all__ = ["EntityView", "ExposureIndex"]

PRIOR = -1
"""Slot of an exposure held before the timeline began (``timepoint_id is None``)."""

# Past this ratio of events to upstream timepoints, binary search beats the full-mask gather.
_SEARCH_RATIO = 4


class EntityView:
    """One entity's log rows sorted by (timeline position, id), prior knowledge first."""

    __slots__ = ("positions", "prior", "rows")

    def __init__(
        self,
        rows: NDArray[np.int32],
        slots: NDArray[np.int32],
        ids: Sequence[str],
        index: CausalIndex,
    ) -> None:
        dated = slots >= 0
        positions = np.full(len(slots), PRIOR, dtype=np.int32)
        positions[dated] = index.slot_position[slots[dated]]
        order = _sort_by_position_then_id(positions, ids)
        ordered = rows[order]
        n_prior = int(np.count_nonzero(~dated))
        self.prior: NDArray[np.int32] = ordered[:n_prior]
        self.positions: NDArray[np.int32] = positions[order[n_prior:]]
        self.rows: NDArray[np.int32] = ordered[n_prior:]

    def visible(self, mask: NDArray[np.bool_]) -> NDArray[np.int32]:
        """Rows of prior knowledge, then of every event whose timepoint is True in ``mask``."""
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
            picked = self.rows[offsets + np.arange(total)]
        else:
            picked = self.rows[mask[self.positions]]
        return np.concatenate((self.prior, picked)) if len(self.prior) else picked


class ExposureIndex:
    """Buckets the log by entity and keeps one sorted view per entity, rebuilt when stale."""

    __slots__ = ("_buckets", "_cursor", "_views")

    def __init__(self) -> None:
        self._cursor = 0
        # entity id -> chunks of (log rows, timepoint slots), appended by sync
        self._buckets: dict[str, list[tuple[NDArray[np.int32], NDArray[np.int32]]]] = {}
        self._views: dict[str, tuple[tuple[int, int], EntityView]] = {}

    def sync(self, log: ExposureLog, slots: dict[str, int]) -> None:
        """Bucket the rows appended since the last call; ``slots`` maps timepoint ids."""
        start = self._cursor
        if start >= len(log):
            return
        entities, points = log.columns(start)
        codes, inverse = np.unique(points, return_inverse=True)
        slot_of = np.empty(len(codes), dtype=np.int32)
        missing: list[int] = []
        for k, code in enumerate(codes.tolist()):
            found = PRIOR if code < 0 else slots.get(log.string(code))
            if found is None:
                missing.append(k)
                found = PRIOR
            slot_of[k] = found
        end = len(points)
        if missing:
            # Bucket what precedes the first event at an unknown timepoint, then refuse it.
            end = int(np.flatnonzero(np.isin(inverse, missing))[0])
        event_slots = slot_of[inverse[:end]]
        owners = entities[:end]
        order = np.argsort(owners, kind="stable")
        sorted_owners = owners[order]
        bounds = np.flatnonzero(np.r_[True, sorted_owners[1:] != sorted_owners[:-1], True])
        if end == 0:
            bounds = bounds[:1]
        groups = sorted(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True),
                        key=lambda group: int(order[group[0]]))  # entities by first exposure
        for left, right in groups:
            picked = order[left:right]
            entity_id = log.string(int(sorted_owners[left]))
            chunk = ((picked + start).astype(np.int32), event_slots[picked])
            self._buckets.setdefault(entity_id, []).append(chunk)
        self._cursor = start + end
        if missing:
            row = start + end
            message = (
                f"exposure {log._ids[row]!r} happened at timepoint {log.timepoint_of(row)!r}, "
                "which is not in the timeline"
            )
            raise UnknownTimepointError(message)

    def view(self, entity_id: str, index: CausalIndex, log: ExposureLog) -> EntityView | None:
        """The sorted view of ``entity_id`` for this timeline version, or None if no events."""
        bucket = self._buckets.get(entity_id)
        if bucket is None:
            return None
        if len(bucket) > 1:  # merge the chunks once; sync appends new ones
            bucket[:] = [(np.concatenate([c[0] for c in bucket]),
                          np.concatenate([c[1] for c in bucket]))]
        rows, slots = bucket[0]
        key = (len(index.order), len(rows))
        cached = self._views.get(entity_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        ids = log._ids
        fresh = EntityView(rows, slots, [ids[row] for row in rows.tolist()], index)
        self._views[entity_id] = (key, fresh)
        return fresh

    def entity_ids(self) -> tuple[str, ...]:
        """Entities with at least one exposure, in order of first exposure."""
        return tuple(self._buckets)


def _sort_by_position_then_id(positions: NDArray[np.int32], ids: Sequence[str]) -> NDArray[np.intp]:
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

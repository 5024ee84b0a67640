"""Euler-tour index of the causal timepoint forest (M7, M8), built once per timeline length.

Positions are the timeline order: a depth-first preorder of the causal forest where roots are
sorted by (timestamp, id) and the children of a moment list its direct sub-moments first, then
the rest, each group by (timestamp, id). Preorder makes "a is a causal ancestor of b" the two
integer comparisons ``a <= b <= tout[a]``, and placing sub-moments first makes a moment's
expansion one contiguous range ``[m + 1, expansion_end[m]]``.

Visibility (what is upstream of a query ``q``) is a union of intervals of query positions:
a timepoint ``x`` is upstream of every ``q`` in ``[x, tout[x]]`` (its causal subtree) and, for
each moment ``a`` that ``x`` details (its ``moment_of`` chain), of every ``q`` in
``(expansion_end[a], tout[a]]``: the moments after ``a`` that did not leave ``a`` through one of
its details (M8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from daedalus.domain import Timepoint
from daedalus.errors import ProvenanceError, UnknownTimepointError

__all__ = ["CausalIndex", "ForestProblem", "as_instant", "forest_problems"]

_VISIBLE_CACHE_SIZE = 256


def as_instant(timestamp: datetime) -> datetime:
    """The timestamp as an aware datetime; naive timestamps are read as UTC."""
    return timestamp if timestamp.tzinfo is not None else timestamp.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ForestProblem:
    """One way the causal forest is broken, with the timepoints involved."""

    message: str
    timepoint_ids: tuple[str, ...]
    unknown_reference: bool = False

    def error(self) -> ProvenanceError:
        """The exception that reports this problem."""
        if self.unknown_reference:
            return UnknownTimepointError(self.message)
        return ProvenanceError(self.message)


def forest_problems(timepoints: Sequence[Timepoint]) -> list[ForestProblem]:
    """Every dangling reference; else every cycle; else every misplaced sub-moment (M8)."""
    by_id = {tp.id: tp for tp in timepoints}
    problems = _dangling(timepoints, by_id)
    if problems:
        return problems
    order, problems = _preorder(timepoints, by_id)
    if problems:
        return problems
    _, problems = _moment_chains(order, {tp.id: pos for pos, tp in enumerate(order)})
    return problems


class CausalIndex:
    """Positions, subtree bounds and M8 visibility intervals of one timeline version."""

    __slots__ = (
        "_visible_cache",
        "expansion_end",
        "extra_hi",
        "extra_lo",
        "extra_node",
        "extras_of",
        "order",
        "parent",
        "position",
        "slot_position",
        "tout",
    )

    def __init__(self, timepoints: Sequence[Timepoint]) -> None:
        """Index ``timepoints`` (in insertion order); raise if the forest is broken.

        Raises ``UnknownTimepointError`` for a causal parent or moment the timeline lacks and
        ``ProvenanceError`` for a causal cycle or a sub-moment that breaks the M8 rules.
        """
        by_id = {tp.id: tp for tp in timepoints}
        for problem in _dangling(timepoints, by_id):
            raise problem.error()
        order, problems = _preorder(timepoints, by_id)
        for problem in problems:
            raise problem.error()
        n = len(order)
        self.order: tuple[Timepoint, ...] = tuple(order)
        self.position: dict[str, int] = {tp.id: pos for pos, tp in enumerate(order)}
        self.slot_position: NDArray[np.intp] = np.array(
            [self.position[tp.id] for tp in timepoints], dtype=np.intp
        )
        self.parent: NDArray[np.intp] = np.array(
            [-1 if tp.causal_parent is None else self.position[tp.causal_parent] for tp in order],
            dtype=np.intp,
        )
        self.tout: NDArray[np.intp] = np.arange(n, dtype=np.intp)
        self.expansion_end: NDArray[np.intp] = np.arange(n, dtype=np.intp)
        for pos in range(n - 1, -1, -1):  # children sit after their parent in preorder
            up = int(self.parent[pos])
            if up >= 0:
                self.tout[up] = max(self.tout[up], self.tout[pos])
                if order[pos].moment_of == order[up].id:
                    self.expansion_end[up] = max(self.expansion_end[up], self.tout[pos])
        chains, problems = _moment_chains(order, self.position)
        for problem in problems:
            raise problem.error()
        self.extras_of: dict[int, tuple[tuple[int, int], ...]] = {}
        lo: list[int] = []
        hi: list[int] = []
        node: list[int] = []
        for pos, chain in enumerate(chains):
            spans = tuple(
                (int(self.expansion_end[m]) + 1, int(self.tout[m]))
                for m in chain
                if self.expansion_end[m] < self.tout[m]
            )
            if spans:
                self.extras_of[pos] = spans
                for start, stop in spans:
                    lo.append(start)
                    hi.append(stop)
                    node.append(pos)
        self.extra_lo: NDArray[np.intp] = np.array(lo, dtype=np.intp)
        self.extra_hi: NDArray[np.intp] = np.array(hi, dtype=np.intp)
        self.extra_node: NDArray[np.intp] = np.array(node, dtype=np.intp)
        self._visible_cache: dict[int, NDArray[np.bool_]] = {}

    def locate(self, timepoint_id: str) -> int:
        """The position of ``timepoint_id``; ``UnknownTimepointError`` if absent."""
        try:
            return self.position[timepoint_id]
        except KeyError:
            message = f"timepoint {timepoint_id!r} is not in the timeline"
            raise UnknownTimepointError(message) from None

    def visible(self, query: int) -> NDArray[np.bool_]:
        """Read-only mask over positions: True where the timepoint is upstream of ``query``."""
        cached = self._visible_cache.get(query)
        if cached is not None:
            return cached
        mask = np.zeros(len(self.order), dtype=np.bool_)
        mask[: query + 1] = self.tout[: query + 1] >= query
        hits = (self.extra_lo <= query) & (self.extra_hi >= query)
        mask[self.extra_node[hits]] = True
        mask.flags.writeable = False
        if len(self._visible_cache) >= _VISIBLE_CACHE_SIZE:
            del self._visible_cache[next(iter(self._visible_cache))]
        self._visible_cache[query] = mask
        return mask

    def downstream(self, source: int) -> list[int]:
        """Positions of every timepoint that ``source`` is upstream of, itself included."""
        spans = ((source, int(self.tout[source])), *self.extras_of.get(source, ()))
        return [pos for start, stop in spans for pos in range(start, stop + 1)]

    def is_upstream(self, source: int, query: int) -> bool:
        """True when the timepoint at ``source`` is upstream of (or is) the one at ``query``."""
        if source <= query <= self.tout[source]:
            return True
        return any(lo <= query <= hi for lo, hi in self.extras_of.get(source, ()))


def _dangling(timepoints: Sequence[Timepoint], by_id: dict[str, Timepoint]) -> list[ForestProblem]:
    problems: list[ForestProblem] = []
    for tp in timepoints:
        if tp.causal_parent is not None and tp.causal_parent not in by_id:
            message = (
                f"timepoint {tp.id!r} names causal parent {tp.causal_parent!r}, "
                "which is not in the timeline"
            )
            problems.append(ForestProblem(message, (tp.id, tp.causal_parent), True))
        if tp.moment_of is not None and tp.moment_of not in by_id:
            message = (
                f"timepoint {tp.id!r} is a sub-moment of {tp.moment_of!r}, "
                "which is not in the timeline"
            )
            problems.append(ForestProblem(message, (tp.id, tp.moment_of), True))
    return problems


def _preorder(
    timepoints: Sequence[Timepoint], by_id: dict[str, Timepoint]
) -> tuple[list[Timepoint], list[ForestProblem]]:
    children: dict[str, list[Timepoint]] = {}
    roots: list[Timepoint] = []
    for tp in timepoints:
        if tp.causal_parent is None:
            roots.append(tp)
        else:
            children.setdefault(tp.causal_parent, []).append(tp)
    order: list[Timepoint] = []
    # Reversed so that popping from the stack yields the sorted order.
    stack = sorted(roots, key=lambda tp: (as_instant(tp.timestamp), tp.id), reverse=True)
    while stack:
        tp = stack.pop()
        order.append(tp)
        kids = children.get(tp.id, ())
        stack.extend(
            sorted(
                kids,
                key=lambda kid: (kid.moment_of != tp.id, as_instant(kid.timestamp), kid.id),
                reverse=True,
            )
        )
    if len(order) == len(timepoints):
        return order, []
    reached = {tp.id for tp in order}
    return order, _cycles(sorted(tid for tid in by_id if tid not in reached), by_id)


def _cycles(unreached: list[str], by_id: dict[str, Timepoint]) -> list[ForestProblem]:
    # An unreached timepoint never leads to a root, so following its parents must loop.
    problems: list[ForestProblem] = []
    settled: set[str] = set()
    for start in unreached:
        walk: list[str] = []
        seen: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in seen and current not in settled:
            seen[current] = len(walk)
            walk.append(current)
            current = by_id[current].causal_parent
        settled.update(walk)
        if current is None or current not in seen:
            continue
        loop = walk[seen[current] :]
        path = " -> ".join(repr(tid) for tid in [*loop, loop[0]])
        message = f"causal cycle in the timeline: {path} (each names the next as parent)"
        problems.append(ForestProblem(message, tuple(loop)))
    return problems


def _moment_chains(
    order: Sequence[Timepoint], position: dict[str, int]
) -> tuple[list[tuple[int, ...]], list[ForestProblem]]:
    """For each position, the positions of the moments it details, innermost first (M8)."""
    chains: list[tuple[int, ...]] = []
    problems: list[ForestProblem] = []
    for tp in order:
        if tp.moment_of is None:
            chains.append(())
            continue
        moment = position[tp.moment_of]
        parent = position[tp.causal_parent] if tp.causal_parent is not None else -1
        owner = order[moment]
        # Preorder puts parents first, so the parent's chain is already known.
        if parent != moment and (parent < 0 or moment not in chains[parent]):
            message = (
                f"sub-moment {tp.id!r} of {tp.moment_of!r} must have {tp.moment_of!r} or one "
                f"of its sub-moments as causal parent, not {tp.causal_parent!r}"
            )
            problems.append(ForestProblem(message, (tp.id, owner.id)))
            chains.append(())
        elif owner.branch_id != tp.branch_id:
            message = (
                f"sub-moment {tp.id!r} is on branch {tp.branch_id!r} but its moment "
                f"{owner.id!r} is on branch {owner.branch_id!r}; a sub-moment shares its "
                "moment's branch"
            )
            problems.append(ForestProblem(message, (tp.id, owner.id)))
            chains.append(())
        else:
            chains.append((moment, *chains[moment]))
    return chains, problems

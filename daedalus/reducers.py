"""Reducers for graph state keys that several nodes (or parallel branches) write.

LangGraph calls a reducer with the current value and a node's update. Logs are append-only and
deduplicated by id, so a branch that returns an item twice (a retried ``Send``, a subgraph
echoing its input) cannot duplicate it; maps merge key by key; counters add.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated as _Annotated
from typing import Any, Protocol, TypeVar, get_args, get_origin, get_type_hints

from daedalus.errors import StateConflictError

__all__ = ["add_counts", "append_unique", "apply_update", "merge_map", "merge_nested"]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)
V = TypeVar("V")


def append_unique(left: Sequence[T] | None, right: Sequence[T] | None) -> list[T]:
    """Append ``right`` to ``left``, skipping items whose id is already there with equal value.

    Raises ``StateConflictError`` when an id comes back with different content: logs never
    change what they recorded.
    """
    merged = list(left or ())
    if not right:
        return merged
    seen = {item.id: item for item in merged}
    for item in right:
        previous = seen.get(item.id)
        if previous is None:
            seen[item.id] = item
            merged.append(item)
        elif previous != item:
            kind = type(item).__name__
            message = f"{kind} {item.id!r} was recorded twice with different content"
            raise StateConflictError(message)
    return merged


def merge_map(left: Mapping[str, V] | None, right: Mapping[str, V] | None) -> dict[str, V]:
    """Key-by-key merge; the update wins for keys present in both."""
    merged = dict(left or {})
    if right:
        merged.update(right)
    return merged


def merge_nested(
    left: Mapping[str, Mapping[str, V]] | None, right: Mapping[str, Mapping[str, V]] | None
) -> dict[str, dict[str, V]]:
    """Two-level merge (for example entity -> timepoint -> resolution)."""
    merged = {key: dict(inner) for key, inner in (left or {}).items()}
    for key, inner in (right or {}).items():
        merged.setdefault(key, {}).update(inner)
    return merged


def add_counts(left: Mapping[str, int] | None, right: Mapping[str, int] | None) -> dict[str, int]:
    """Sum counters key by key (mechanism counts, usage tallies)."""
    merged = dict(left or {})
    for key, count in (right or {}).items():
        merged[key] = merged.get(key, 0) + count
    return merged


def apply_update(
    state: Mapping[str, Any], update: Mapping[str, Any], schema: type
) -> dict[str, Any]:
    """``state`` after ``update``, combining keys the way a graph of ``schema`` would: a key
    annotated with a reducer goes through it, any other key is replaced."""
    hints = get_type_hints(schema, include_extras=True)
    merged = dict(state)
    for key, value in update.items():
        reducer = _reducer_of(hints.get(key))
        merged[key] = reducer(merged.get(key), value) if reducer is not None else value
    return merged


def _reducer_of(hint: object) -> Callable[[Any, Any], Any] | None:
    if get_origin(hint) is _Annotated:
        for extra in get_args(hint)[1:]:
            if callable(extra):
                return extra  # type: ignore[no-any-return]
    return None

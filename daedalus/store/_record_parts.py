"""Parts of a ``RunRecord`` that mode graphs may hand over in several shapes (M12 branches,
per-timepoint snapshots), and the readers that turn each shape into plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from daedalus.domain import Timepoint
from daedalus.provenance import Timeline
from daedalus.state import Snapshot

__all__ = ["BranchRecord", "Snapshot", "branches_from", "snapshots_from"]

_BRANCH_FIELDS = ("parent", "fork_timepoint", "intervention")


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BranchRecord(_Value):
    """A timeline branch (M12): where it forked from its parent and what was changed there."""

    id: str
    parent: str | None = None
    fork_timepoint: str | None = None
    intervention: str | None = None



def _fields(value: object) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return dict(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a mapping or a pydantic model, got {type(value).__name__}")


def _items(value: object, what: str) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return list(value)
    raise TypeError(f"expected {what} as a map or a list, got {type(value).__name__}")


def _declared(value: object) -> dict[str, dict[str, Any]]:
    """Declared branch fields by id: a map ``id -> record | map | intervention text``, or a
    list of records or maps carrying ``id``."""
    if value is None:
        return {}
    pairs: list[tuple[str, dict[str, Any]]] = []
    if isinstance(value, Mapping):
        for branch_id, item in value.items():
            fields = {"intervention": item} if isinstance(item, str) else _fields(item)
            pairs.append((str(branch_id), fields))
    else:
        for item in _items(value, "branch records"):
            fields = _fields(item)
            if "id" not in fields:
                raise ValueError(f"a declared branch needs an 'id', got fields {sorted(fields)}")
            pairs.append((str(fields["id"]), fields))
    return {
        branch_id: {k: fields[k] for k in _BRANCH_FIELDS if fields.get(k) is not None}
        for branch_id, fields in pairs
    }


def branches_from(timepoints: Sequence[Timepoint], declared: object) -> tuple[BranchRecord, ...]:
    """One record per branch, in the timeline order of its first timepoint (M12).

    A branch whose first timepoint has a causal parent on another branch forked there: that
    parent is its ``fork_timepoint`` and the parent's branch its ``parent``. Fields the mode
    graph declared win over derived ones; declared branches without timepoints come last, by id.
    """
    given = _declared(declared)
    by_id = {tp.id: tp for tp in timepoints}
    derived: dict[str, dict[str, Any]] = {}
    for tp in Timeline(timepoints).ordered():
        if tp.branch_id in derived:
            continue
        fields: dict[str, Any] = {"id": tp.branch_id}
        parent = by_id.get(tp.causal_parent) if tp.causal_parent is not None else None
        if parent is not None and parent.branch_id != tp.branch_id:
            fields["parent"] = parent.branch_id
            fields["fork_timepoint"] = parent.id
        derived[tp.branch_id] = fields
    for branch_id in sorted(set(given) - set(derived)):
        derived[branch_id] = {"id": branch_id}
    return tuple(
        BranchRecord(**{**fields, **given.get(branch_id, {})})
        for branch_id, fields in derived.items()
    )


def snapshots_from(value: object) -> tuple[Snapshot, ...]:
    """Snapshots from None, a list, or a map by timepoint id (values as records or maps)."""
    if value is None:
        return ()
    return tuple(Snapshot.model_validate(item) for item in _items(value, "snapshots"))

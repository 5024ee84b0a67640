"""Fixed-capacity columnar tables: one numpy array per component, an alive mask, stable slots.

An entity is a slot index that never moves while the entity lives; a freed slot is reused by a
later spawn, which gets a fresh ``uid`` so the two are never confused in snapshots or logs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["Table", "TableSchema"]


@dataclass(frozen=True)
class TableSchema:
    """A table's name, its columns (name -> numpy dtype) and whether rows can be born and die."""

    name: str
    columns: Mapping[str, DTypeLike]
    dynamic: bool = True

    def column_names(self) -> tuple[str, ...]:
        """Every column, ``alive`` and ``uid`` first when the table is dynamic."""
        lead = ("alive", "uid") if self.dynamic else ()
        return (*lead, *self.columns)


@dataclass
class Table:
    """Columns of one length (the capacity), keyed by name; ``alive`` marks the used slots."""

    schema: TableSchema
    capacity: int
    columns: dict[str, NDArray[Any]] = field(default_factory=dict)

    @classmethod
    def empty(cls, schema: TableSchema, capacity: int) -> Table:
        """A table of ``capacity`` zeroed slots, none alive."""
        columns: dict[str, NDArray[Any]] = {}
        if schema.dynamic:
            columns["alive"] = np.zeros(capacity, dtype=np.bool_)
            columns["uid"] = np.full(capacity, -1, dtype=np.int64)
        for name, dtype in schema.columns.items():
            columns[name] = np.zeros(capacity, dtype=dtype)
        return cls(schema, capacity, columns)

    @property
    def name(self) -> str:
        return self.schema.name

    def __getitem__(self, column: str) -> NDArray[Any]:
        return self.columns[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self.schema.column_names())

    @property
    def alive(self) -> NDArray[np.bool_]:
        """The alive mask (every slot counts as alive in a static table)."""
        if not self.schema.dynamic:
            return np.ones(self.capacity, dtype=np.bool_)
        return self.columns["alive"]

    def count(self) -> int:
        """How many slots are alive."""
        return int(np.count_nonzero(self.alive))

    def free_slots(self, n: int) -> NDArray[np.int64]:
        """The ``n`` lowest free slots (fewer when the table is full), lowest first."""
        return np.flatnonzero(~self.alive)[:n].astype(np.int64)

    def set_column(self, column: str, values: NDArray[Any]) -> None:
        """Replace a column, keeping its dtype and length (a write-set entry lands here)."""
        current = self.columns[column]
        if values.shape != current.shape:
            raise ValueError(
                f"{self.name}.{column}: expected shape {current.shape}, got {values.shape}"
            )
        self.columns[column] = np.ascontiguousarray(values, dtype=current.dtype)

    def copy(self) -> Table:
        """A deep copy (snapshots hand copies to the writer thread)."""
        return Table(self.schema, self.capacity, {k: v.copy() for k, v in self.columns.items()})

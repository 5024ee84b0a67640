"""The tick scheduler: systems in a fixed order, each with declared read and write sets.

A system is a function from a ``SystemContext`` to its writes (``{"table.column": array}``).
It sees only the columns it declared (read-only views, so an in-place edit raises), and the
scheduler refuses a write outside the declared write set: the declarations in each system
module are the documentation of what it touches, checked on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from numpy.typing import NDArray

from daedalus.world.core.events import EventQueue
from daedalus.world.core.rng import KeyedRng, TickRng
from daedalus.world.core.tables import Table

__all__ = ["Scheduler", "System", "SystemContext", "Writes"]

Writes = dict[str, NDArray[Any]]
"""What a system returns: new values for columns of its write set, keyed ``table.column``."""


@dataclass(frozen=True)
class System:
    """One step of the tick: a name, what it reads and writes, and the function doing it."""

    name: str
    reads: frozenset[str]
    writes: frozenset[str]
    run: Callable[[SystemContext], Writes]
    enabled: Callable[[Any], bool] = lambda config: True


@dataclass(frozen=True)
class SystemContext:
    """What a system may use during one tick: its columns, streams, events and the config."""

    tables: Mapping[str, Table]
    system: System
    rng: TickRng
    events: EventQueue
    config: Any
    tick: int

    def col(self, key: str) -> NDArray[Any]:
        """A read-only view of column ``table.column``, which must be in the read or write set."""
        if key not in self.system.reads and key not in self.system.writes:
            raise KeyError(f"system {self.system.name} did not declare {key} in its reads")
        table, column = key.split(".", 1)
        view = self.tables[table].columns[column].view()
        view.flags.writeable = False
        return view

    def capacity(self, table: str) -> int:
        """The slot count of ``table``."""
        return self.tables[table].capacity


@dataclass
class Scheduler:
    """Runs the enabled systems in order over the tables, applying each one's writes."""

    systems: Sequence[System]

    def step(
        self,
        tables: Mapping[str, Table],
        keyed: KeyedRng,
        events: EventQueue,
        config: Any,
        tick: int,
        after_each: Callable[[System], None] | None = None,
    ) -> None:
        """One tick: every enabled system in order; ``after_each`` runs after each system."""
        for system in self.systems:
            if not system.enabled(config):
                continue
            context = SystemContext(
                tables, system, keyed.for_tick(system.name, tick), events, config, tick
            )
            writes = system.run(context)
            undeclared = sorted(set(writes) - system.writes)
            if undeclared:
                raise RuntimeError(
                    f"system {system.name} wrote {', '.join(undeclared)} outside its write set"
                )
            for key in sorted(writes):  # sorted: the same order in every process
                table, column = key.split(".", 1)
                tables[table].set_column(column, writes[key])
            if after_each is not None:
                after_each(system)

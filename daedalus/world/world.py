"""``World``: a preset's world in memory, stepped tick by tick, for scripts and notebooks.

    world = World("tiny_island")         # a preset name, a YAML path or a WorldConfig
    world.run(30)                        # thirty days
    world.kpis()                         # one row of KPIs per tick (a pandas DataFrame)
    world.digest()                       # BLAKE2 digest of every column
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from daedalus.world.config import WorldConfig, load_preset
from daedalus.world.core import (
    DigestCache,
    EventQueue,
    KeyedRng,
    Scheduler,
    System,
    Table,
    state_digest,
)
from daedalus.world.core.memory import keep_freed_memory
from daedalus.world.genesis import build_tables
from daedalus.world.invariants import goods_stock, money_stock
from daedalus.world.kpis import KPI_NAMES, tick_kpis
from daedalus.world.systems import SYSTEMS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TickRecord", "World"]

TickRecord = dict[str, Any]
"""What a tick leaves behind: ``tick``, ``digest``, the KPIs and the event summaries."""


class World:
    """A world at some tick: its tables, its keyed random streams and its KPI history."""

    def __init__(
        self,
        preset: WorldConfig | str | os.PathLike[str],
        *,
        strict: bool | None = None,
        tables: dict[str, Table] | None = None,
        tick: int = 0,
    ) -> None:
        config = preset if isinstance(preset, WorldConfig) else load_preset(preset)
        if strict is not None:
            config = config.model_copy(update={"strict": strict})
        self.config = config
        keep_freed_memory()
        self.rng = KeyedRng(config.random_seed)
        self.scheduler = Scheduler(SYSTEMS)
        self.events = EventQueue()
        self.tick = tick
        self.tables = tables if tables is not None else build_tables(config)
        self.history: list[TickRecord] = []
        self._digests = DigestCache()
        self._final: dict[str, list[str]] | None = None  # system -> columns it writes last
        if tables is None:
            self.open_books()

    def open_books(self) -> None:
        """Take the tables as they stand as the next tick's opening balances (money, goods,
        public cash and debt). Call it after editing columns by hand, as an intervention, so
        strict mode checks the next tick against the edited state."""
        self.tables["macro"].columns["money_stock"][0] = money_stock(self.tables)
        self.tables["goods"].columns["stock"][:] = goods_stock(self.tables)
        regions = self.tables["regions"].columns
        regions["cash_open"][:] = regions["cash"]
        regions["debt_open"][:] = regions["debt"]

    def _prehash(self, system: System) -> None:
        """Start hashing the columns ``system`` was the tick's last writer of (they are final
        now), so the digest overlaps the systems still to run."""
        if self._final is None:
            last: dict[str, str] = {}
            for each in self.scheduler.systems:
                if each.enabled(self.config):
                    last.update(dict.fromkeys(each.writes, each.name))
            self._final = {}
            for key, writer in sorted(last.items()):
                self._final.setdefault(writer, []).append(key)
        for key in self._final.get(system.name, ()):
            table, column = key.split(".", 1)
            self._digests.prehash(key, self.tables[table].columns[column])

    def digest(self) -> str:
        """The BLAKE2 digest of every column at the current tick."""
        return state_digest(self.tables, self.tick, self._digests)

    def step(self) -> TickRecord:
        """Advance one tick (one day); returns what the tick recorded."""
        tick = self.tick + 1
        self.scheduler.step(
            self.tables, self.rng, self.events, self.config, tick, after_each=self._prehash
        )
        self.tick = tick
        record: TickRecord = {
            "tick": tick,
            "digest": self.digest(),
            "kpis": tick_kpis(self.tables, tick),
            "events": self.events.end_tick(),
        }
        self.history.append(record)
        return record

    def run(self, ticks: int, on_tick: Callable[[TickRecord], None] | None = None) -> TickRecord:
        """Advance ``ticks`` ticks, calling ``on_tick`` after each; returns the last record."""
        if ticks < 1:
            raise ValueError(f"ticks must be at least 1, got {ticks}")
        record: TickRecord = {}
        for _ in range(ticks):
            record = self.step()
            if on_tick is not None:
                on_tick(record)
        return record

    def kpis(self) -> pd.DataFrame:
        """One row per tick run so far (indexed by tick), one column per KPI."""
        import pandas as pd

        rows = [record["kpis"] for record in self.history]
        frame = pd.DataFrame(rows, columns=list(KPI_NAMES))
        frame["tick"] = frame["tick"].astype("int64")
        return frame.set_index("tick")

    def counts(self) -> dict[str, int]:
        """Live slots per dynamic table."""
        return {name: t.count() for name, t in self.tables.items() if t.schema.dynamic}

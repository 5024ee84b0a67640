"""A grounding world's history: KPIs, closures and tied actors' books per tick, and the news
each date brings to whom.

``load_history(section)`` runs the preset for the section's last tick (deterministic by seed)
or reads a saved run's ``kpis.parquet`` and ``events.jsonl``; results are cached per process
(one world run serves every timepoint, branch and rerun of a scenario). Tied actors' books
(a firm's workers and sales, a bank's loans, a government's approval) are recorded only when
the world is run here: a saved run keeps KPIs and events, not per-slot columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.grounding._section import ActorTie, WorldSection, _preset_config
from daedalus.world.grounding._signals import SIGNAL_KINDS, WINDOW, WorldSignal, derive_signals
from daedalus.world.world import TickRecord, World

__all__ = ["NewsItem", "WorldHistory", "load_history", "news_at", "tick_for"]



_TABLES = {"firm": "firms", "bank": "banks", "government": "regions"}


@dataclass(frozen=True)
class WorldHistory:
    """Per tick: the KPIs, the firms closed, and the actors' books (table -> tick -> column ->
    one value per slot), recorded only when the world ran here."""

    kpis: dict[int, dict[str, float]]
    closures: dict[int, float]
    books: dict[str, dict[int, dict[str, NDArray[np.float64]]]] = field(default_factory=dict)

    def signals(
        self, tick: int, kinds: tuple[str, ...] = SIGNAL_KINDS
    ) -> tuple[WorldSignal, ...]:
        """The signals at ``tick`` among ``kinds``, in the order of ``kinds``."""
        closed = [self.closures.get(t, 0.0) for t in range(max(1, tick - WINDOW) + 1, tick + 1)]
        found = {signal.kind: signal for signal in derive_signals(self.kpis, tick, closed)}
        return tuple(found[kind] for kind in kinds if kind in found)

    def actor_books(self, tie: ActorTie, tick: int) -> dict[str, float] | None:
        """The tied actor's figures at ``tick``; None when the history has no books."""
        rows = self.books.get(_TABLES[tie.kind], {}).get(tick)
        if rows is None:
            return None
        return {name: float(column[tie.slot]) for name, column in rows.items()}


_COLUMNS = {
    "firms": ("employees", "sold", "price", "cash", "alive"),
    "banks": ("loans", "written_off", "cash"),
    "regions": ("approval", "unemployment", "tax_rate", "cash", "debt"),
}


@lru_cache(maxsize=4)
def _run_preset(preset: str, seed: int | None, last: int) -> WorldHistory:
    world = World(_preset_config(preset, seed))
    books: dict[str, dict[int, dict[str, NDArray[np.float64]]]] = {t: {} for t in _COLUMNS}
    closures: dict[int, float] = {}

    def record(tick: TickRecord) -> None:
        number = int(tick["tick"])
        closures[number] = float(tick["events"].get("firms_closed", {}).get("count", 0.0))
        for table, names in _COLUMNS.items():
            columns = world.tables[table].columns
            books[table][number] = {n: columns[n].astype(np.float64) for n in names}

    world.run(last, on_tick=record)
    kpis = {int(row["tick"]): dict(row) for row in (r["kpis"] for r in world.history)}
    return WorldHistory(kpis, closures, books)


@lru_cache(maxsize=8)
def _read_run(run: str) -> WorldHistory:
    from daedalus.world.io.eventlog import read_event_log
    from daedalus.world.io.runs import read_kpis

    folder = Path(run)
    columns = read_kpis(folder)
    rows = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    kpis = {int(row["tick"]): row for row in rows}
    closures: dict[int, float] = {}
    log = folder / "events.jsonl"
    if log.exists():
        for line in read_event_log(log):
            events: dict[str, Any] = line.get("events", {})
            closures[int(line["tick"])] = float(events.get("firms_closed", {}).get("count", 0.0))
    return WorldHistory(kpis, closures)


def load_history(section: WorldSection) -> WorldHistory:
    """The section's world history (run here for a preset, read for a saved run); cached."""
    if section.run is not None:
        return _read_run(section.run)
    assert section.preset is not None
    return _run_preset(section.preset, section.seed, section.ticks[1])


def tick_for(section: WorldSection, start: datetime, end: datetime, when: datetime) -> int:
    """The world tick of the date ``when``: the scenario's span ``start``..``end`` laid
    linearly over the section's ticks, dates outside clamped to the ends."""
    first, last = section.ticks
    span = (end - start).total_seconds()
    if span <= 0:
        return first
    share = min(1.0, max(0.0, (when - start).total_seconds() / span))
    return first + round(share * (last - first))


@dataclass(frozen=True)
class NewsItem:
    """What one entity learns from the world at a date: a signal or its actor's books."""

    entity_id: str
    kind: str
    text: str


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def _actor_line(tie: ActorTie, books: dict[str, float], before: dict[str, float]) -> str:
    if tie.kind == "firm":
        if books["alive"] < 0.5:
            return f"Firm {tie.slot} has closed."
        change = (books["sold"] - before["sold"]) / before["sold"] if before["sold"] else 0.0
        return (
            f"Firm {tie.slot}'s books: {books['employees']:.0f} employees, sales "
            f"{'down' if change < 0 else 'up'} {_pct(abs(change))} on a month ago, "
            f"cash {books['cash']:,.0f}."
        )
    if tie.kind == "bank":
        return (
            f"Bank {tie.slot}'s books: loans {books['loans']:,.0f} "
            f"(a month ago {before['loans']:,.0f}), {books['written_off']:,.0f} written off today."
        )
    return (
        f"Region {tie.slot} government's figures: approval {_pct(books['approval'])} "
        f"(a month ago {_pct(before['approval'])}), regional unemployment "
        f"{_pct(books['unemployment'])}, tax rate {_pct(books['tax_rate'])}, "
        f"debt {books['debt']:,.0f}."
    )


def news_at(
    section: WorldSection,
    history: WorldHistory,
    tick: int,
    locations: dict[str, str | None],
) -> list[NewsItem]:
    """The news of ``tick`` per entity (``locations``: entity id -> its location or None).

    Tied actors learn every signal and their own books; an entity at the place (its location
    is the place's name, or it has none and the scenario happens there) learns every signal;
    anyone else learns nothing from the world."""
    signals = history.signals(tick, section.signals)
    ties = section.ties()
    place = section.place.name if section.place is not None else None
    items: list[NewsItem] = []
    for entity_id, location in locations.items():
        tie = ties.get(entity_id)
        here = place is not None and (location is None or location == place)
        if tie is None and not here:
            continue
        items.extend(NewsItem(entity_id, signal.kind, signal.text) for signal in signals)
        now = history.actor_books(tie, tick) if tie is not None else None
        if tie is not None and now is not None:
            before = history.actor_books(tie, max(min(history.kpis), tick - WINDOW)) or now
            items.append(NewsItem(entity_id, f"{tie.kind}_books", _actor_line(tie, now, before)))
    return items

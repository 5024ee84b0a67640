"""Typed events that systems hand to later systems within a tick, and their log summaries.

A system emits events; a later system in the same tick takes the kinds it consumes. The queue
is empty again when the tick ends (the scheduler checks), so a snapshot between ticks holds
the whole state and replay needs no pending events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Births",
    "Deaths",
    "Event",
    "EventQueue",
    "FirmsClosed",
    "Hires",
    "Layoffs",
    "Migrations",
    "Outages",
]


@dataclass(frozen=True)
class Event:
    """Base of every event: which slots it concerns and, where money or goods move, how much."""

    kind: ClassVar[str] = "event"
    slots: NDArray[np.int64]

    def summary(self) -> dict[str, float]:
        """What the event log keeps of it: the count, and the amount when there is one."""
        return {"count": float(self.slots.size)}


@dataclass(frozen=True)
class Births(Event):
    """Newborn persons (their new slots)."""

    kind: ClassVar[str] = "births"


@dataclass(frozen=True)
class Deaths(Event):
    """Persons who died; ``estates`` is the deposits each left, owed to their region."""

    kind: ClassVar[str] = "deaths"
    regions: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    estates: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def summary(self) -> dict[str, float]:
        return {"count": float(self.slots.size), "amount": float(self.estates.sum())}


@dataclass(frozen=True)
class Migrations(Event):
    """Persons who moved to another region (``to_regions`` aligned with ``slots``)."""

    kind: ClassVar[str] = "migrations"
    to_regions: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass(frozen=True)
class Hires(Event):
    """Persons hired; ``firms`` aligned with ``slots``."""

    kind: ClassVar[str] = "hires"
    firms: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass(frozen=True)
class Layoffs(Event):
    """Persons laid off, or left jobless when their firm closed."""

    kind: ClassVar[str] = "layoffs"


@dataclass(frozen=True)
class FirmsClosed(Event):
    """Firms that defaulted and closed; ``written_off`` is the debt their bank lost."""

    kind: ClassVar[str] = "firms_closed"
    written_off: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def summary(self) -> dict[str, float]:
        return {"count": float(self.slots.size), "amount": float(self.written_off.sum())}


@dataclass(frozen=True)
class Outages(Event):
    """Regions whose energy demand was not fully served; ``unmet`` is the energy short."""

    kind: ClassVar[str] = "outages"
    unmet: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def summary(self) -> dict[str, float]:
        return {"count": float(self.slots.size), "amount": float(self.unmet.sum())}


E = TypeVar("E", bound=Event)


@dataclass
class EventQueue:
    """The events of the current tick, by kind, in emission order."""

    pending: dict[str, list[Event]] = field(default_factory=dict)
    log: dict[str, dict[str, float]] = field(default_factory=dict)

    def emit(self, event: Event) -> None:
        """Queue ``event`` for later systems and add it to this tick's log summary."""
        if event.slots.size == 0:
            return
        self.pending.setdefault(event.kind, []).append(event)
        totals = self.log.setdefault(event.kind, {})
        for key, value in event.summary().items():
            totals[key] = totals.get(key, 0.0) + value

    def take(self, kind: type[E]) -> list[E]:
        """Every pending event of ``kind``, removed from the queue."""
        taken = self.pending.pop(kind.kind, [])
        return [event for event in taken if isinstance(event, kind)]

    def drop_unconsumed(self) -> list[str]:
        """Forget events nobody took (informational kinds); returns their kinds, sorted."""
        kinds = sorted(self.pending)
        self.pending.clear()
        return kinds

    def end_tick(self) -> dict[str, dict[str, Any]]:
        """This tick's log summary (kind -> count and amount); the queue starts afresh."""
        summary, self.log = self.log, {}
        self.pending.clear()
        return summary

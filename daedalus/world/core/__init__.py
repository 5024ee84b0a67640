"""The world engine's core: columnar tables, keyed random streams, digests, events, scheduler.
May import numpy and daedalus.errors only.
"""

from __future__ import annotations

from daedalus.world.core.digest import DigestCache, state_digest
from daedalus.world.core.events import (
    Births,
    Deaths,
    Event,
    EventQueue,
    FirmsClosed,
    Hires,
    Layoffs,
    Migrations,
    Outages,
)
from daedalus.world.core.rng import KeyedRng, TickRng
from daedalus.world.core.scheduler import Scheduler, System, SystemContext, Writes
from daedalus.world.core.schema import SCHEMAS, TABLE_ORDER
from daedalus.world.core.tables import Table, TableSchema

__all__ = [
    "SCHEMAS",
    "TABLE_ORDER",
    "Births",
    "Deaths",
    "DigestCache",
    "Event",
    "EventQueue",
    "FirmsClosed",
    "Hires",
    "KeyedRng",
    "Layoffs",
    "Migrations",
    "Outages",
    "Scheduler",
    "System",
    "SystemContext",
    "Table",
    "TableSchema",
    "TickRng",
    "Writes",
    "state_digest",
]

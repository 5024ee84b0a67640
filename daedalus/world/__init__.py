"""The PANARCHY world engine: a deterministic, columnar, laptop-scale world simulation.
May import daedalus.errors only (and numpy, pyarrow, pandas, matplotlib, pydantic, yaml).

``World`` runs a preset (``tiny_island``, ``laptop_small``, ``medium``, ``large`` or a YAML
file) tick by tick: the systems in ``daedalus.world.systems`` update numpy columns in the
spec's order, random draws come from streams keyed by (seed, system, purpose, tick), every
tick ends with a BLAKE2 digest of all columns, and ``daedalus.world.io`` writes Parquet
snapshots and the event log and replays from a snapshot.
"""

from __future__ import annotations

from daedalus.world.config import WorldConfig, list_presets, load_preset, parse_preset
from daedalus.world.kpis import KPI_NAMES
from daedalus.world.world import TickRecord, World

__all__ = [
    "KPI_NAMES",
    "TickRecord",
    "World",
    "WorldConfig",
    "list_presets",
    "load_preset",
    "parse_preset",
]

"""World persistence: Parquet snapshots written off the tick thread, the event log, run
folders with their KPIs, and replay from a snapshot.
May import daedalus.world (core, config, world, kpis) and daedalus.errors only.
"""

from __future__ import annotations

from daedalus.world.io.charts import HEADLINE, write_charts
from daedalus.world.io.eventlog import EventLog, read_event_log
from daedalus.world.io.replay import ReplayReport, load_world, replay
from daedalus.world.io.runs import (
    WorldRunResult,
    load_meta,
    new_world_run_id,
    read_kpis,
    run_world,
)
from daedalus.world.io.snapshots import (
    SnapshotWriter,
    read_snapshot,
    snapshot_dir,
    snapshot_ticks,
    write_snapshot,
)

__all__ = [
    "HEADLINE",
    "EventLog",
    "ReplayReport",
    "SnapshotWriter",
    "WorldRunResult",
    "load_meta",
    "load_world",
    "new_world_run_id",
    "read_event_log",
    "read_kpis",
    "read_snapshot",
    "replay",
    "run_world",
    "snapshot_dir",
    "snapshot_ticks",
    "write_charts",
    "write_snapshot",
]

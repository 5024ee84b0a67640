"""Replay: load a snapshot, re-run the following ticks, and compare each digest with the one
the event log recorded. Random streams are keyed by tick, so no generator state is needed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daedalus.errors import ConfigError
from daedalus.world.config import WorldConfig
from daedalus.world.io.eventlog import read_event_log
from daedalus.world.io.runs import load_meta
from daedalus.world.io.snapshots import read_snapshot, snapshot_dir, snapshot_ticks
from daedalus.world.world import World

__all__ = ["ReplayReport", "load_world", "replay"]


@dataclass(frozen=True)
class ReplayReport:
    """Which ticks were replayed and the first whose digest differed (None when all agree)."""

    from_tick: int
    to_tick: int
    matched: int
    first_mismatch: int | None

    @property
    def identical(self) -> bool:
        return self.first_mismatch is None


def load_world(folder: Path, tick: int) -> World:
    """The world of a run folder as it was after ``tick`` (which must have a snapshot)."""
    meta = load_meta(folder)
    if tick not in snapshot_ticks(folder):
        raise ConfigError(
            f"{folder}: no snapshot at tick {tick}; snapshots at {snapshot_ticks(folder)}"
        )
    tables, state = read_snapshot(snapshot_dir(folder, tick))
    world = World(WorldConfig.model_validate(meta["config"]), tables=tables, tick=state["tick"])
    if world.digest() != state["digest"]:
        raise ConfigError(f"{snapshot_dir(folder, tick)}: the tables do not match their digest")
    return world


def replay(folder: Path, from_tick: int | None = None, ticks: int | None = None) -> ReplayReport:
    """Re-run from the snapshot at ``from_tick`` (default: the first) for ``ticks`` ticks
    (default: to the end of the event log), comparing digests tick by tick."""
    recorded = {r["tick"]: r["digest"] for r in read_event_log(folder / "events.jsonl")}
    start = from_tick if from_tick is not None else min(snapshot_ticks(folder), default=0)
    world = load_world(folder, start)
    last = max(recorded, default=start)
    end = last if ticks is None else min(last, start + ticks)
    matched = 0
    for _ in range(end - start):
        record = world.step()
        if recorded.get(record["tick"]) != record["digest"]:
            return ReplayReport(start, end, matched, record["tick"])
        matched += 1
    return ReplayReport(start, end, matched, None)

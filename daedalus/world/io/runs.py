"""World runs on disk: a folder per run with its metadata, snapshots, event log and KPIs.

    <store>/worlds/<run id>/meta.json       preset, config, seed, versions, status, last digest
    <store>/worlds/<run id>/events.jsonl    one line per tick (see ``eventlog``)
    <store>/worlds/<run id>/kpis.parquet    one row per tick
    <store>/worlds/<run id>/snapshots/...   Parquet snapshots (see ``snapshots``)
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from daedalus.errors import ConfigError
from daedalus.world.config import WorldConfig
from daedalus.world.io.eventlog import EventLog
from daedalus.world.io.snapshots import SnapshotWriter, snapshot_dir
from daedalus.world.kpis import KPI_NAMES
from daedalus.world.world import TickRecord, World

__all__ = ["WorldRunResult", "load_meta", "new_world_run_id", "read_kpis", "run_world"]


def new_world_run_id() -> str:
    """A fresh id: ``world-<UTC date and time>-<6 hex>``."""
    return f"world-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class WorldRunResult:
    """What a finished run left: its folder, ticks, seconds, last digest and final KPIs."""

    run_id: str
    folder: Path
    ticks: int
    seconds: float
    digest: str
    kpis: dict[str, float]
    snapshots: list[Path]


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def load_meta(folder: Path) -> dict[str, Any]:
    """A run folder's meta.json; ``ConfigError`` when the folder holds no world run."""
    path = folder / "meta.json"
    if not path.exists():
        raise ConfigError(f"{folder}: not a world run folder (no meta.json)")
    meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return meta


def read_kpis(folder: Path) -> dict[str, list[float]]:
    """The KPI columns of a run (``kpis.parquet``), by name."""
    path = folder / "kpis.parquet"
    if not path.exists():
        raise ConfigError(f"{folder}: no kpis.parquet (the run wrote no tick yet)")
    table = pq.read_table(path)
    return {name: table.column(name).to_pylist() for name in table.column_names}


def _write_kpis(folder: Path, rows: list[dict[str, float]]) -> None:
    columns = {name: [row[name] for row in rows] for name in KPI_NAMES}
    pq.write_table(pa.table(columns), folder / "kpis.parquet", compression="zstd")


def run_world(
    config: WorldConfig,
    ticks: int,
    folder: Path,
    *,
    snapshot_every: int | None = None,
    on_tick: Callable[[TickRecord], None] | None = None,
) -> WorldRunResult:
    """Run ``config`` for ``ticks`` ticks into ``folder`` (created): a snapshot at tick 0 and
    every ``snapshot_every`` ticks (the preset's ``snapshot.every_ticks`` when None, 0 for
    none beyond the first and last), the event log, the KPIs and meta.json."""
    if ticks < 1:
        raise ConfigError(f"ticks must be at least 1, got {ticks}")
    every = config.snapshot.every_ticks if snapshot_every is None else snapshot_every
    if every < 0:
        raise ConfigError(f"--snapshot-every must be 0 or more, got {every}")
    folder.mkdir(parents=True, exist_ok=True)
    world = World(config)
    meta: dict[str, Any] = {
        "run_id": folder.name, "preset": config.name, "seed": config.random_seed,
        "config": config.model_dump(mode="json"), "status": "running", "ticks": 0,
        "snapshot_every": every, "numpy": np.__version__, "pyarrow": pa.__version__,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _write_meta(folder, meta)
    writer = SnapshotWriter(config.snapshot.compression)
    state = {"seed": config.random_seed, "preset": config.name}
    first = {**state, "tick": 0, "digest": world.digest()}
    writer.submit(snapshot_dir(folder, 0), world.tables, first)
    started = time.perf_counter()
    record: TickRecord = {}
    try:
        with EventLog(folder / "events.jsonl") as log:
            for _ in range(ticks):
                record = world.step()
                log.append(record["tick"], record["digest"], record["events"])
                if (every and record["tick"] % every == 0) or record["tick"] == ticks:
                    writer.submit(
                        snapshot_dir(folder, record["tick"]), world.tables,
                        {**state, "tick": record["tick"], "digest": record["digest"]},
                    )
                if on_tick is not None:
                    on_tick(record)
    finally:
        seconds = time.perf_counter() - started
        written = writer.close()
        if world.history:
            _write_kpis(folder, [r["kpis"] for r in world.history])
        meta.update(
            status="completed" if world.tick == ticks else "stopped", ticks=world.tick,
            seconds=round(seconds, 3), digest=world.digest(),
        )
        _write_meta(folder, meta)
    return WorldRunResult(
        folder.name, folder, world.tick, seconds, record["digest"], record["kpis"], written
    )

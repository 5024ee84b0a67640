"""Parquet snapshots of a world, one file per table (zstd by default), written off the tick
thread.

    <run>/snapshots/tick_000030/persons.parquet   one file per table, every column
    <run>/snapshots/tick_000030/state.json        tick, digest, seed, preset, library versions

``SnapshotWriter.submit`` copies the columns on the caller's thread (a memory copy, cheap)
and hands the copy to one background thread that encodes and writes it, so a tick never
waits for compression or the disk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from daedalus.errors import ConfigError
from daedalus.world.core import SCHEMAS, Table

__all__ = ["SnapshotWriter", "read_snapshot", "snapshot_dir", "snapshot_ticks", "write_snapshot"]


def snapshot_dir(run_dir: Path, tick: int) -> Path:
    """Where the snapshot of ``tick`` lives inside a run folder."""
    return run_dir / "snapshots" / f"tick_{tick:06d}"


def snapshot_ticks(run_dir: Path) -> list[int]:
    """Ticks with a complete snapshot in a run folder (its state.json written last), sorted."""
    root = run_dir / "snapshots"
    if not root.is_dir():
        return []
    return sorted(
        int(p.name.removeprefix("tick_"))
        for p in root.glob("tick_*")
        if (p / "state.json").exists()
    )


def _versions() -> dict[str, str]:
    return {"numpy": np.__version__, "pyarrow": pa.__version__}


def write_snapshot(
    folder: Path, tables: Mapping[str, Table], state: Mapping[str, Any], compression: str = "zstd",
) -> Path:
    """Write every table as ``<table>.parquet`` and then ``state.json`` (so a folder without
    state.json is an unfinished snapshot); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    codec = None if compression == "none" else compression
    versions = _versions()
    for name, table in tables.items():
        arrow = pa.table({column: table.columns[column] for column in table.columns})
        meta = {b"daedalus.table": name.encode(), b"daedalus.numpy": versions["numpy"].encode()}
        arrow = arrow.replace_schema_metadata(meta)
        # Dictionary encoding buys nothing on float state and costs half the write time.
        pq.write_table(arrow, folder / f"{name}.parquet", compression=codec, use_dictionary=False)
    payload = {**state, "versions": versions, "tables": sorted(tables)}
    (folder / "state.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return folder


def read_snapshot(folder: Path) -> tuple[dict[str, Table], dict[str, Any]]:
    """The tables and the state.json of a snapshot folder; ``ConfigError`` when incomplete or
    when a column's type differs from the table's schema."""
    state_file = folder / "state.json"
    if not state_file.exists():
        raise ConfigError(f"{folder}: not a complete snapshot (no state.json)")
    state: dict[str, Any] = json.loads(state_file.read_text(encoding="utf-8"))
    tables: dict[str, Table] = {}
    for name in state["tables"]:
        schema = SCHEMAS[name]
        arrow = pq.read_table(folder / f"{name}.parquet")
        template = Table.empty(schema, arrow.num_rows)
        columns = {}
        for column, empty in template.columns.items():
            if column not in arrow.column_names:
                raise ConfigError(f"{folder / (name + '.parquet')}: column {column} is missing")
            values = arrow.column(column).to_numpy()
            if values.dtype != empty.dtype:
                raise ConfigError(
                    f"{folder / (name + '.parquet')}: column {column} is {values.dtype}, "
                    f"expected {empty.dtype}"
                )
            columns[column] = np.ascontiguousarray(values).copy()
        tables[name] = Table(schema, arrow.num_rows, columns)
    return tables, state


class SnapshotWriter:
    """Writes snapshots on one background thread; ``close`` waits for every pending write."""

    def __init__(self, compression: str = "zstd") -> None:
        self.compression = compression
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="world-snapshot")
        self._pending: list[Future[Path]] = []

    def submit(self, folder: Path, tables: Mapping[str, Table], state: Mapping[str, Any]) -> None:
        """Copy ``tables`` now and write them to ``folder`` in the background."""
        copies = {name: table.copy() for name, table in tables.items()}
        self._pending.append(
            self._pool.submit(write_snapshot, folder, copies, dict(state), self.compression)
        )

    def close(self) -> list[Path]:
        """Wait for every submitted snapshot; returns their folders (raises a write error)."""
        done = [future.result() for future in self._pending]
        self._pending.clear()
        self._pool.shutdown(wait=True)
        return done

import threading

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from daedalus.errors import ConfigError
from daedalus.world import World
from daedalus.world.core import state_digest
from daedalus.world.io import SnapshotWriter, read_snapshot, write_snapshot
from daedalus.world.io import snapshots as module


def test_a_snapshot_round_trips_every_column_bit_for_bit(world: World, tmp_path):
    world.run(2)
    folder = write_snapshot(tmp_path / "tick_000002", world.tables, {"tick": 2})
    tables, state = read_snapshot(folder)
    assert state_digest(tables, 2) == world.digest()
    assert state["tick"] == 2 and state["versions"]["numpy"] == np.__version__
    assert sorted(p.stem for p in folder.glob("*.parquet")) == sorted(world.tables)
    meta = pq.read_schema(folder / "persons.parquet").metadata
    assert meta[b"daedalus.numpy"] == np.__version__.encode()
    column = pq.ParquetFile(folder / "persons.parquet").metadata.row_group(0).column(0)
    assert column.compression == "ZSTD"


def test_the_writer_encodes_a_copy_on_its_own_thread(world: World, tmp_path, monkeypatch):
    threads: list[str] = []
    real = module.write_snapshot

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "write_snapshot", spy)
    writer = SnapshotWriter()
    writer.submit(tmp_path / "tick_000000", world.tables, {"tick": 0})
    world.tables["persons"].columns["deposits"][:] = 0.0  # too late to reach the snapshot
    (folder,) = writer.close()
    assert threads == ["world-snapshot_0"]
    assert read_snapshot(folder)[0]["persons"]["deposits"].sum() > 0


def test_unfinished_or_mistyped_snapshots_are_refused(world: World, tmp_path):
    with pytest.raises(ConfigError, match="not a complete snapshot"):
        read_snapshot(tmp_path)
    folder = write_snapshot(tmp_path / "t", {"macro": world.tables["macro"]}, {"tick": 0})
    columns = dict(world.tables["macro"].columns)
    columns["policy_rate"] = columns["policy_rate"].astype(np.float64)
    pq.write_table(pa.table(columns), folder / "macro.parquet")
    with pytest.raises(ConfigError, match="column policy_rate is float64, expected float32"):
        read_snapshot(folder)
    del columns["cpi"]
    columns["policy_rate"] = columns["policy_rate"].astype(np.float32)
    pq.write_table(pa.table(columns), folder / "macro.parquet")
    with pytest.raises(ConfigError, match="column cpi is missing"):
        read_snapshot(folder)

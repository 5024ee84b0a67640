import json

import pytest

from daedalus.errors import ConfigError
from daedalus.world.io import (
    load_meta,
    new_world_run_id,
    read_event_log,
    read_kpis,
    run_world,
    snapshot_ticks,
)
from tests.world.conftest import small_config


def test_a_run_folder_holds_meta_events_kpis_and_snapshots(tmp_path):
    config = small_config(persons=800, firms=60)
    seen: list[int] = []
    result = run_world(config, 7, tmp_path / "run", snapshot_every=3,
                       on_tick=lambda r: seen.append(r["tick"]))
    assert seen == list(range(1, 8)) and result.ticks == 7
    assert snapshot_ticks(result.folder) == [0, 3, 6, 7]
    meta = load_meta(result.folder)
    assert meta["status"] == "completed" and meta["digest"] == result.digest
    assert meta["numpy"] and meta["config"]["name"] == "tiny_island"
    log = list(read_event_log(result.folder / "events.jsonl"))
    assert [r["tick"] for r in log] == seen and log[-1]["digest"] == result.digest
    assert read_kpis(result.folder)["tick"] == [float(t) for t in seen]


def test_snapshot_every_zero_keeps_only_the_first_and_last(tmp_path):
    result = run_world(small_config(persons=500, firms=40), 4, tmp_path / "r", snapshot_every=0)
    assert snapshot_ticks(result.folder) == [0, 4]


def test_bad_arguments_and_folders_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="ticks must be at least 1"):
        run_world(small_config(), 0, tmp_path / "r")
    with pytest.raises(ConfigError, match="not a world run folder"):
        load_meta(tmp_path)
    with pytest.raises(ConfigError, match=r"no kpis\.parquet"):
        read_kpis(tmp_path)


def test_run_ids_are_fresh():
    assert new_world_run_id() != new_world_run_id()
    assert new_world_run_id().startswith("world-")
    json.dumps(new_world_run_id())

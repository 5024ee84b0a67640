import json

import pytest

from daedalus.errors import ConfigError
from daedalus.world.io import load_world, replay, run_world
from tests.world.conftest import small_config


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay")
    return run_world(small_config(persons=800, firms=60), 8, root / "run", snapshot_every=4).folder


def test_replay_from_any_snapshot_reproduces_every_digest(folder):
    for start in (0, 4):
        report = replay(folder, from_tick=start)
        assert report.identical and report.to_tick == 8 and report.matched == 8 - start


def test_a_loaded_world_is_the_world_that_was_saved(folder):
    world = load_world(folder, 4)
    recorded = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert world.tick == 4 and world.digest() == recorded[3]["digest"]


def test_replay_reports_the_first_tick_that_differs(folder, tmp_path):
    lines = (folder / "events.jsonl").read_text().splitlines()
    record = json.loads(lines[5])
    record["digest"] = "0" * 64
    lines[5] = json.dumps(record)
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
    report = replay(folder, from_tick=4)
    assert not report.identical and report.first_mismatch == 6 and report.matched == 1


def test_a_missing_snapshot_is_a_config_error(folder):
    with pytest.raises(ConfigError, match=r"no snapshot at tick 5; snapshots at \[0, 4, 8\]"):
        load_world(folder, 5)

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from daedalus.world import KPI_NAMES, World
from daedalus.world.core import state_digest
from tests.world.conftest import small_config

_DIGESTS = """
import json, sys
from daedalus.world import World
from tests.world.conftest import small_config
world = World(small_config(persons=1500, firms=90))
print(json.dumps([world.step()["digest"] for _ in range(6)]))
"""


def _digests_in_a_fresh_process() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _DIGESTS], capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "random", "PATH": ""}, cwd=Path(__file__).resolve().parents[2],
    )
    return json.loads(done.stdout)


def test_two_fresh_processes_produce_identical_digests_tick_by_tick():
    first, second = _digests_in_a_fresh_process(), _digests_in_a_fresh_process()
    assert first == second and len(set(first)) == 6
    world = World(small_config(persons=1500, firms=90))
    assert [world.step()["digest"] for _ in range(6)] == first


def test_a_tick_digest_with_early_hashes_equals_a_fresh_digest_of_the_state():
    world = World(small_config(persons=12_000, firms=400))  # columns large enough to prehash
    for _ in range(3):
        record = world.step()
        assert record["digest"] == state_digest(world.tables, world.tick)
        assert not world._digests.pending


def test_another_seed_gives_another_world():
    a = World(small_config(persons=800, firms=60))
    b = World(small_config(persons=800, firms=60, random_seed=8))
    assert a.digest() != b.digest()


def test_step_advances_one_day_and_records_kpis_and_events(world):
    record = world.step()
    assert world.tick == record["tick"] == 1
    assert set(record["kpis"]) == set(KPI_NAMES)
    assert record["events"]["hires"]["count"] > 0
    assert len(record["digest"]) == 64


def test_kpis_are_a_frame_indexed_by_tick(world):
    world.run(4)
    frame = world.kpis()
    assert list(frame.index) == [1, 2, 3, 4]
    assert list(frame.columns) == [k for k in KPI_NAMES if k != "tick"]
    assert frame["population"].iloc[-1] > 0 and 0 <= frame["unemployment"].iloc[-1] <= 1
    assert frame["gdp"].gt(0).all() and frame["gini"].between(0, 1).all()


def test_run_refuses_zero_ticks(world):
    with pytest.raises(ValueError, match="at least 1"):
        world.run(0)


def test_population_changes_by_births_and_deaths_only():
    world = World(small_config(persons=4000, firms=200))
    before = world.counts()["persons"]
    births = deaths = 0
    for _ in range(40):
        events = world.step()["events"]
        births += int(events.get("births", {}).get("count", 0))
        deaths += int(events.get("deaths", {}).get("count", 0))
    assert births + deaths > 0
    assert world.counts()["persons"] == before + births - deaths
    uids = world.tables["persons"]["uid"][world.tables["persons"].alive]
    assert np.unique(uids).size == uids.size

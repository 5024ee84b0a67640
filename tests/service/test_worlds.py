"""The world endpoints: world runs of the store, their KPIs and their tile map."""

from __future__ import annotations

import pytest

from daedalus.world.io import run_world
from tests.service.support import Served, assert_problem
from tests.world.conftest import small_config

RUN = "world-20261205-120000-abc123"


@pytest.fixture
def world_run(fresh: Served) -> Served:
    run_world(small_config(), 4, fresh.root / "worlds" / RUN, snapshot_every=2)
    return fresh


def test_world_runs_are_listed_with_their_snapshots(world_run: Served) -> None:
    listed = world_run.get("/api/v1/worlds", world_run.read).json()
    assert [w["run_id"] for w in listed] == [RUN]
    assert listed[0]["status"] == "completed" and listed[0]["ticks"] == 4
    assert listed[0]["snapshots"] == [0, 2, 4] and len(listed[0]["digest"]) == 64
    assert world_run.get(f"/api/v1/worlds/{RUN}").json()["preset"] == listed[0]["preset"]


def test_kpis_come_one_value_per_tick(world_run: Served) -> None:
    kpis = world_run.get(f"/api/v1/worlds/{RUN}/kpis").json()["kpis"]
    assert kpis["tick"] == [1.0, 2.0, 3.0, 4.0]
    assert len(kpis["unemployment"]) == len(kpis["cpi"]) == 4


def test_the_map_has_every_tile_for_each_overlay(world_run: Served) -> None:
    tiles = world_run.get(f"/api/v1/worlds/{RUN}/map", params={"tick": 3}).json()
    assert tiles["tick"] == 2  # the last snapshot at or before tick 3
    assert tiles["width"] * tiles["height"] == len(tiles["regions"]) == 32 * 16
    for name in ("population", "unemployment", "prices"):
        assert len(tiles["overlays"][name]) == 32 * 16
    assert sum(tiles["overlays"]["population"]) > 0
    priced = [p for p in tiles["overlays"]["prices"] if p is not None]
    assert priced and all(p > 0 for p in priced)
    assert any(p is None for p in tiles["overlays"]["prices"])  # tiles with no firm


def test_unknown_runs_bad_ids_and_missing_keys_are_problems(world_run: Served) -> None:
    assert_problem(world_run.get("/api/v1/worlds/world-none"), 404)
    assert_problem(world_run.get("/api/v1/worlds/..%2F..%2Fetc"), 404)
    assert_problem(world_run.get(f"/api/v1/worlds/{RUN}/map", params={"tick": -1}), 422)
    assert_problem(world_run.client.get("/api/v1/worlds"), 401)


def test_a_store_without_worlds_lists_none(fresh: Served) -> None:
    assert fresh.get("/api/v1/worlds").json() == []

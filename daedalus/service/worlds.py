"""``/api/v1/worlds``: the world-engine runs of the store (``<store>/worlds/<run id>/``), their
KPIs and their tile map (what the dashboard's world page draws).

A world run is written by ``daedalus world run`` (or ``daedalus.world.io.run_world``): its
meta.json, kpis.parquet and Parquet snapshots. The map is read from a snapshot: every tile's
population, its region's unemployment and the mean posted price of the firms on it relative to
their goods' price index (null where no firm sits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel

from daedalus.errors import ConfigError
from daedalus.service._problems import ProblemError
from daedalus.service._state import Reader, ServiceDep, checked_id
from daedalus.world.io import load_meta, read_kpis, read_snapshot, snapshot_dir, snapshot_ticks

__all__ = ["OVERLAYS", "WorldKpis", "WorldMap", "WorldRunItem", "router", "world_map"]

router = APIRouter(prefix="/api/v1", tags=["worlds"])

OVERLAYS = ("population", "unemployment", "prices")
"""The map's overlays, in the order the page offers them."""


class WorldRunItem(BaseModel):
    """One world run: its preset, seed, status, ticks run and last digest."""

    run_id: str
    preset: str
    seed: int
    status: str
    ticks: int
    started: str | None = None
    seconds: float | None = None
    digest: str | None = None
    snapshots: list[int] = []


class WorldKpis(BaseModel):
    """The run's KPIs, one list per KPI, one value per tick (``tick`` included)."""

    run_id: str
    kpis: dict[str, list[float]]


class WorldMap(BaseModel):
    """The tile map at a snapshot tick: ``width`` x ``height`` tiles, row by row, per overlay."""

    run_id: str
    tick: int
    width: int
    height: int
    regions: list[int]
    overlays: dict[str, list[float | None]]


def _folder(service: Any, run_id: str) -> Path:
    checked_id(run_id, "world run")
    folder: Path = service.layout.worlds_root / run_id
    if not (folder / "meta.json").is_file():
        raise ProblemError(404, "not-found", f"no world run {run_id!r}")
    return folder


def _item(folder: Path) -> WorldRunItem:
    meta = load_meta(folder)
    return WorldRunItem(
        run_id=folder.name, preset=str(meta.get("preset", "?")), seed=int(meta.get("seed", 0)),
        status=str(meta.get("status", "?")), ticks=int(meta.get("ticks", 0)),
        started=meta.get("started"), seconds=meta.get("seconds"), digest=meta.get("digest"),
        snapshots=snapshot_ticks(folder),
    )


def world_map(folder: Path, tick: int | None = None) -> WorldMap:
    """The map at the last snapshot at or before ``tick`` (the last one when None)."""
    ticks = [t for t in snapshot_ticks(folder) if tick is None or t <= tick]
    if not ticks:
        raise ProblemError(404, "not-found", f"world run {folder.name!r} has no snapshot at or "
                           f"before tick {tick}")
    tables, _ = read_snapshot(snapshot_dir(folder, ticks[-1]))
    spatial = load_meta(folder)["config"]["spatial"]
    tiles, regions, firms = tables["tiles"], tables["regions"], tables["firms"]
    region = tiles["region"].astype(np.int64)
    count = tiles.capacity
    alive = firms.alive
    tile_of = firms["tile"][alive].astype(np.int64)
    index = tables["goods"]["price_index"][firms["good"][alive].astype(np.int64)]
    relative = firms["price"][alive].astype(np.float64) / np.maximum(index, 1e-12)
    sums = np.bincount(tile_of, weights=relative, minlength=count)
    counts = np.bincount(tile_of, minlength=count)
    prices: list[float | None] = [
        round(float(s / c), 4) if c else None for s, c in zip(sums, counts, strict=True)
    ]
    return WorldMap(
        run_id=folder.name, tick=ticks[-1], width=int(spatial["width_tiles"]),
        height=int(spatial["height_tiles"]), regions=region.tolist(),
        overlays={
            "population": [round(float(v), 3) for v in tiles["population"]],
            "unemployment": [round(float(v), 4) for v in regions["unemployment"][region]],
            "prices": prices,
        },
    )


@router.get("/worlds", summary="World-engine runs")
def worlds(_: Reader, service: ServiceDep) -> list[WorldRunItem]:
    """Every world run of the store, newest first."""
    root: Path = service.layout.worlds_root
    if not root.is_dir():
        return []
    found = [f for f in root.iterdir() if (f / "meta.json").is_file()]
    return [_item(f) for f in sorted(found, key=lambda f: f.name, reverse=True)]


@router.get("/worlds/{run_id}", summary="One world run")
def world(run_id: str, _: Reader, service: ServiceDep) -> WorldRunItem:
    return _item(_folder(service, run_id))


@router.get("/worlds/{run_id}/kpis", summary="A world run's KPIs, tick by tick")
def world_kpis(run_id: str, _: Reader, service: ServiceDep) -> WorldKpis:
    folder = _folder(service, run_id)
    try:
        columns = read_kpis(folder)
    except ConfigError as exc:
        raise ProblemError(404, "not-found", str(exc).replace(str(folder), run_id)) from None
    return WorldKpis(run_id=run_id, kpis={k: [float(v) for v in vs] for k, vs in columns.items()})


@router.get("/worlds/{run_id}/map", summary="A world run's tile map at a snapshot")
def world_tiles(
    run_id: str, _: Reader, service: ServiceDep,
    tick: Annotated[int | None, Query(ge=0, description="Latest snapshot at or before it.")] = None,
) -> WorldMap:
    """Population, unemployment and prices per tile, at the last snapshot at or before
    ``tick`` (the run's last snapshot by default)."""
    return world_map(_folder(service, run_id), tick)

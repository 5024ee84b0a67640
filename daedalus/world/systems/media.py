"""Culture, media and information (lite): each tile's opinion moves towards its neighbours,
its region's media outlets and away from the government as unemployment bites (spec 5.7).

Reads tiles.opinion/region and regions.media_bias/unemployment; writes tiles.opinion.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import System, SystemContext, Writes

__all__ = ["MEDIA", "neighbour_mean", "polarization"]


def neighbour_mean(values: NDArray[Any], height: int, width: int) -> NDArray[np.float64]:
    """Mean of each tile's four neighbours on the grid (edges wrap east-west, clamp north-south)."""
    grid = values.reshape(height, width).astype(np.float64)
    north = np.vstack([grid[:1], grid[:-1]])
    south = np.vstack([grid[1:], grid[-1:]])
    east, west = np.roll(grid, -1, axis=1), np.roll(grid, 1, axis=1)
    return ((north + south + east + west) / 4.0).ravel()


def polarization(opinion: NDArray[Any], population: NDArray[Any]) -> float:
    """Population-weighted standard deviation of opinion."""
    weight = population.astype(np.float64)
    total = weight.sum()
    if total <= 0:
        return 0.0
    mean = float((opinion * weight).sum() / total)
    return float(np.sqrt(((opinion - mean) ** 2 * weight).sum() / total))


def _run(ctx: SystemContext) -> Writes:
    cfg, spatial = ctx.config.media, ctx.config.spatial
    opinion = ctx.col("tiles.opinion").astype(np.float64)
    region = ctx.col("tiles.region").astype(np.int64)
    nearby = neighbour_mean(opinion, spatial.height_tiles, spatial.width_tiles)
    outlet = ctx.col("regions.media_bias")[region] - ctx.col("regions.unemployment")[region]
    noise = ctx.rng.normal("noise", opinion.size) * cfg.noise
    keep = 1.0 - cfg.neighbour_weight - cfg.media_weight
    updated = keep * opinion + cfg.neighbour_weight * nearby + cfg.media_weight * outlet + noise
    return {"tiles.opinion": np.clip(updated, -1.0, 1.0).astype(np.float32)}


MEDIA = System(
    name="media",
    reads=frozenset({"tiles.region", "regions.media_bias", "regions.unemployment"}),
    writes=frozenset({"tiles.opinion"}),
    run=_run,
)

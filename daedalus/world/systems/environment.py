"""Environment: seasonal climate indices per tile and logistic regrowth of biomass (spec 5.1).

Reads tiles.lat, tiles.fertility, tiles.biomass, tiles.biomass_cap; writes tiles.temp,
tiles.precip, tiles.biomass. Extraction is the production system's; here stocks only regrow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import System, SystemContext, Writes
from daedalus.world.systems._columns import DAY

__all__ = ["ENVIRONMENT", "climate", "regrow"]

GROWTH_RATE = 0.25
"""Largest daily regrowth of biomass, as a share of the stock (at half capacity)."""


def climate(lat: NDArray[Any], tick: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Temperature (degrees) and precipitation index (0..1) per tile on day ``tick``; seasons
    are opposite across the equator."""
    season = np.sin(2.0 * np.pi * tick / DAY)
    temp = 25.0 - 30.0 * np.abs(lat) + 10.0 * season * np.sign(lat)
    precip = np.clip(0.55 + 0.35 * np.sin(2.0 * np.pi * (tick / DAY + lat)), 0.0, 1.0)
    return temp.astype(np.float32), precip.astype(np.float32)


def regrow(
    biomass: NDArray[Any], cap: NDArray[Any], fertility: NDArray[Any], temp: NDArray[Any],
    precip: NDArray[Any],
) -> NDArray[np.float32]:
    """Biomass after a day of logistic growth, slowed by drought and stopped by frost."""
    warm = (temp > 0.0).astype(np.float32)
    rate = GROWTH_RATE * fertility * precip * warm
    grown = biomass + rate * biomass * (1.0 - biomass / np.maximum(cap, 1e-6))
    return np.asarray(np.clip(grown, 0.0, cap), dtype=np.float32)


def _run(ctx: SystemContext) -> Writes:
    temp, precip = climate(ctx.col("tiles.lat"), ctx.tick)
    biomass = regrow(
        ctx.col("tiles.biomass"), ctx.col("tiles.biomass_cap"), ctx.col("tiles.fertility"),
        temp, precip,
    )
    return {"tiles.temp": temp, "tiles.precip": precip, "tiles.biomass": biomass}


ENVIRONMENT = System(
    name="environment",
    reads=frozenset({"tiles.lat", "tiles.fertility", "tiles.biomass_cap"}),
    writes=frozenset({"tiles.temp", "tiles.precip", "tiles.biomass"}),
    run=_run,
)

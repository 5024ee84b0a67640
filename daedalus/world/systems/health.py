"""Health and epidemiology (optional): SEIR shares per tile, with infection pressure from the
four neighbouring tiles and rare imported cases (spec 5.9).

Reads tiles.population and the SEIR shares; writes tiles.s, e, i, r. Demography reads the
infectious share when it draws deaths. Off when ``health.enable`` is false.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import System, SystemContext, Writes
from daedalus.world.systems.media import neighbour_mean

__all__ = ["HEALTH", "seir_step"]

NEIGHBOUR_MIXING = 0.2
"""Weight of the neighbouring tiles' infectious share in a tile's infection pressure."""
IMPORT_CHANCE = 2e-6
"""Daily chance that a populated tile gets an imported case."""


def seir_step(
    s: NDArray[Any], e: NDArray[Any], i: NDArray[Any], r: NDArray[Any],
    pressure: NDArray[Any], beta: float, sigma: float, gamma: float, omega: float,
) -> tuple[NDArray[np.float32], ...]:
    """One day of SEIR with waning immunity; the four shares still sum to one."""
    infect = np.minimum(beta * s * pressure, s)
    onset, recover, wane = sigma * e, gamma * i, omega * r
    return tuple(
        np.clip(x, 0.0, 1.0).astype(np.float32)
        for x in (s - infect + wane, e + infect - onset, i + onset - recover, r + recover - wane)
    )


def _run(ctx: SystemContext) -> Writes:
    cfg, spatial = ctx.config.health, ctx.config.spatial
    s, e, i, r = (ctx.col(f"tiles.{k}").astype(np.float64) for k in "seir")
    nearby = neighbour_mean(i, spatial.height_tiles, spatial.width_tiles)
    pressure = (1.0 - NEIGHBOUR_MIXING) * i + NEIGHBOUR_MIXING * nearby
    populated = ctx.col("tiles.population") > 0
    imported = populated & (ctx.rng.uniform("import", s.size) < IMPORT_CHANCE)
    moved = np.where(imported, np.minimum(0.01, s), 0.0)
    s, e = s - moved, e + moved
    beta = cfg.r0 / cfg.infectious_days
    s2, e2, i2, r2 = seir_step(
        s, e, i, r, pressure, beta, 1.0 / cfg.incubation_days, 1.0 / cfg.infectious_days,
        1.0 / cfg.immunity_days,
    )
    return {"tiles.s": s2, "tiles.e": e2, "tiles.i": i2, "tiles.r": r2}


HEALTH = System(
    name="health",
    reads=frozenset({"tiles.population"}),
    writes=frozenset({"tiles.s", "tiles.e", "tiles.i", "tiles.r"}),
    run=_run,
    enabled=lambda config: bool(config.health.enable),
)

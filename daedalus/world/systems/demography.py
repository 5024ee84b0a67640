"""Population and demography: ageing, deaths, births, migration, skills and health (spec 5.2).

Reads and writes the persons table; reads tiles.i (infection), firms.alive/region/tile and
regions.unemployment; writes tiles.population. Emits ``Deaths`` (with the estates the
government collects), ``Births``, ``Migrations`` and ``Layoffs`` (jobs lost to a closed firm).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import (
    Births,
    Deaths,
    Layoffs,
    Migrations,
    System,
    SystemContext,
    Writes,
)
from daedalus.world.systems._columns import DAY, working_age

__all__ = ["DEMOGRAPHY", "daily_birth_chance", "daily_death_chance"]

_PERSON_COLUMNS = (
    "alive", "uid", "age_days", "sex", "health", "education", "skill", "employer", "wage",
    "deposits", "income", "tile", "region", "household", "weight",
)
GOMPERTZ_SLOPE = 0.085
"""Yearly growth of the death hazard with age (mortality doubles about every eight years)."""
FERTILE_YEARS = (15, 50)


def daily_death_chance(
    age_days: NDArray[Any], health: NDArray[Any], infected: NDArray[Any],
    mortality_base: float, fatality: float, infectious_days: float,
) -> NDArray[np.float64]:
    """Chance of dying today: a Gompertz hazard scaled so a young-skewed population loses about
    ``mortality_base`` a year, raised by poor health and by infection on the person's tile."""
    # float32 is ample for a chance compared with a uniform draw, and halves the traffic.
    years = age_days.astype(np.float32) * np.float32(1.0 / DAY)
    slope = np.float32(GOMPERTZ_SLOPE)
    daily = np.float32(mortality_base * 0.12 / DAY) * np.exp(slope * (years - np.float32(40.0)))
    frailty = np.float32(1.6) - health.astype(np.float32)
    risk = daily * frailty + infected.astype(np.float32) * np.float32(fatality / infectious_days)
    return np.asarray(np.minimum(risk, np.float32(1.0)), dtype=np.float64)


def daily_birth_chance(
    age_days: NDArray[Any], sex: NDArray[Any], alive: NDArray[np.bool_], fertility_base: float
) -> NDArray[np.float64]:
    """Chance that each person gives birth today: women of fertile age share the preset's
    children-per-woman evenly over their fertile years."""
    low, high = FERTILE_YEARS
    fertile = alive & (sex == 1) & (age_days >= low * DAY) & (age_days < high * DAY)
    return np.where(fertile, fertility_base / ((high - low) * DAY), 0.0)


def _run(ctx: SystemContext) -> Writes:
    cfg = ctx.config
    pop, health_cfg = cfg.population, cfg.health
    p = {name: ctx.col(f"persons.{name}").copy() for name in _PERSON_COLUMNS}
    n = p["alive"].size
    alive = p["alive"]
    np.add(p["age_days"], 1, out=p["age_days"], where=alive)

    firm_alive = ctx.col("firms.alive")
    employed = alive & (p["employer"] >= 0)
    orphaned = employed & ~firm_alive[np.maximum(p["employer"], 0)]
    lost = np.flatnonzero(orphaned)
    p["employer"][lost] = -1
    p["wage"][lost] = 0.0
    ctx.events.emit(Layoffs(lost))

    infected = ctx.col("tiles.i")[p["tile"]]
    fatality = health_cfg.fatality if health_cfg.enable else 0.0
    death = daily_death_chance(
        p["age_days"], p["health"], infected, pop.mortality_base, fatality,
        health_cfg.infectious_days,
    )
    # One draw per slot decides the day: death at the low end, migration just above it (for
    # the jobless), a birth at the high end; the bands never overlap.
    life = ctx.rng.uniform("life", n)
    dies = alive & (life < death)
    dead = np.flatnonzero(dies)
    estates = p["deposits"][dead].copy()
    ctx.events.emit(Deaths(dead, p["region"][dead].astype(np.int64), estates))
    alive[dead] = False
    p["deposits"][dead] = 0.0
    p["employer"][dead] = -1
    p["wage"][dead] = 0.0
    p["income"][dead] = 0.0

    births = daily_birth_chance(p["age_days"], p["sex"], alive, pop.fertility_base)
    mothers = np.flatnonzero(life > 1.0 - births)
    slots = np.flatnonzero(~alive)[: mothers.size]
    mothers = mothers[: slots.size]  # a full table drops the rest: capacity is the preset's
    next_uid = int(p["uid"].max()) + 1
    p["uid"][slots] = np.arange(next_uid, next_uid + slots.size)
    alive[slots] = True
    newborn = ctx.rng.at("newborn", slots)
    p["age_days"][slots] = 0
    p["sex"][slots] = newborn < 0.5
    p["health"][slots] = 0.8 + 0.2 * newborn
    p["education"][slots] = 0
    p["skill"][slots] = 0.5 + newborn
    p["employer"][slots] = -1
    for column in ("wage", "deposits", "income"):
        p[column][slots] = 0
    for column in ("tile", "region", "household", "weight"):
        p[column][slots] = p[column][mothers]
    ctx.events.emit(Births(slots))

    _migrate(ctx, p, life - death)
    # In place on the copies, each masked update in one pass: schooling sets education to
    # (age in years) // 4, at most 5, below 22 years; work raises skill; health recovers.
    schooling = np.flatnonzero(alive & (p["age_days"] < 22 * int(DAY)))
    p["education"][schooling] = np.minimum(p["age_days"][schooling] // (4 * int(DAY)), 5)
    working = alive & (p["employer"] >= 0)
    skill = p["skill"]
    np.minimum(skill + np.float32(0.0002), np.float32(3.0), out=skill, where=working)
    health = p["health"]
    recovery = np.float32(0.01) * (np.float32(0.85) - health) - np.float32(0.02) * infected
    np.add(health, recovery, out=health, where=alive)
    np.clip(health, np.float32(0.05), np.float32(1.0), out=health)

    tiles = ctx.capacity("tiles")
    living_weight = np.where(alive, p["weight"], np.float32(0.0))
    population = np.bincount(p["tile"], weights=living_weight, minlength=tiles).astype(np.float32)
    writes: Writes = {f"persons.{name}": values for name, values in p.items()}
    writes["tiles.population"] = population
    return writes


def _migrate(ctx: SystemContext, p: dict[str, NDArray[Any]], draw: NDArray[np.float64]) -> None:
    """Jobless adults move, now and then, to a region with lower unemployment, settling on
    the tile of a random firm there; ``draw`` is each slot's uniform draw above its death
    band (so uniform on the band it falls in)."""
    cfg = ctx.config
    regions = ctx.capacity("regions")
    if regions < 2:
        return
    jobless = working_age(p["age_days"], p["alive"], cfg.government.pension_age_years)
    jobless &= p["employer"] < 0
    # Below the rate it moves; the draw's position below the rate (itself uniform) picks the
    # destination region, and its remainder the firm to settle by.
    rate = cfg.population.migration_rate
    movers = np.flatnonzero(jobless & (draw >= 0.0) & (draw < rate))
    scaled = draw[movers] / rate * regions
    destination = scaled.astype(np.int64) % regions
    unemployment = ctx.col("regions.unemployment")
    better = unemployment[destination] + 0.01 < unemployment[p["region"][movers]]
    firm_alive = ctx.col("firms.alive")
    firm_region = ctx.col("firms.region")
    alive_firms = np.flatnonzero(firm_alive)
    order = alive_firms[np.argsort(firm_region[alive_firms], kind="stable")]
    counts = np.bincount(firm_region[order], minlength=regions)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    better &= counts[destination] > 0
    movers, destination = movers[better], destination[better]
    where = (scaled - np.floor(scaled))[better]
    chosen = order[starts[destination] + (where * counts[destination]).astype(np.int64)]
    p["tile"][movers] = ctx.col("firms.tile")[chosen]
    p["region"][movers] = destination
    ctx.events.emit(Migrations(movers, destination))


DEMOGRAPHY = System(
    name="demography",
    reads=frozenset({
        "tiles.i", "firms.alive", "firms.region", "firms.tile", "regions.unemployment",
    }),
    writes=frozenset({*(f"persons.{c}" for c in _PERSON_COLUMNS), "tiles.population"}),
    run=_run,
)

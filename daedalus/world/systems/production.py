"""Firms and production: Cobb-Douglas output, base-stock targets, inputs, resources, spoilage
(spec 5.3).

Reads firms, goods parameters, persons.employer/skill/weight/alive, tiles resource stocks and
regions.energy_reliability; writes firms production columns, tiles.biomass/minerals and the
goods ledger (produced, used, waste). Energy plants produce nothing here: the grid dispatches
them later in the tick. Signed ``vacancies`` carry the labour each firm wants next: positive
to hire, negative to lay off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import System, SystemContext, Writes
from daedalus.world.systems._columns import group_sum, ratio

__all__ = ["PRODUCTION", "base_stock_target", "cobb_douglas", "labour_needed"]

ADJUST_DAYS = 5.0
"""Days over which a firm closes the gap between its stock and its base-stock level."""
HARVEST_SHARE = {1: 0.02, 2: 0.001}
"""Largest share of a region's biomass (1) or mineral (2) stock extracted in one day."""


def cobb_douglas(
    tfp: NDArray[Any], capital: NDArray[Any], labour: NDArray[Any], labour_share: float
) -> NDArray[np.float64]:
    """Output ``tfp * K^(1-a) * L^a`` per firm."""
    k = capital.astype(np.float64)
    return tfp * k ** (1.0 - labour_share) * labour.astype(np.float64) ** labour_share


def labour_needed(
    output: NDArray[Any], tfp: NDArray[Any], capital: NDArray[Any], labour_share: float
) -> NDArray[np.float64]:
    """The effective labour that produces ``output`` (the inverse of ``cobb_douglas``)."""
    scale = tfp.astype(np.float64) * capital.astype(np.float64) ** (1.0 - labour_share)
    return ratio(output.astype(np.float64), scale) ** (1.0 / labour_share)


def base_stock_target(
    expected_sales: NDArray[Any], inventory: NDArray[Any], days: NDArray[Any]
) -> NDArray[np.float64]:
    """Today's output target: expected sales plus a fifth of the gap to the base stock
    (``days`` of expected sales), never negative."""
    gap = days * expected_sales - inventory
    return np.asarray(np.maximum(expected_sales + gap / ADJUST_DAYS, 0.0), dtype=np.float64)


def _extraction(
    ctx: SystemContext, wanted: NDArray[np.float64], kind: NDArray[Any], region: NDArray[Any],
) -> tuple[NDArray[np.float64], dict[str, NDArray[Any]]]:
    """The share of each firm's wanted resource it gets, and the depleted tile stocks."""
    granted = np.ones_like(wanted)
    stocks: dict[str, NDArray[Any]] = {}
    tile_region = ctx.col("tiles.region")
    regions = ctx.capacity("regions")
    for code, column in ((1, "biomass"), (2, "minerals")):
        stock = ctx.col(f"tiles.{column}").astype(np.float64)
        pool = group_sum(tile_region, stock, regions)
        mine = kind == code
        demand = group_sum(region[mine], wanted[mine], regions)
        taken = np.minimum(demand, HARVEST_SHARE[code] * pool)
        granted = np.where(mine, ratio(taken, demand, 1.0)[region], granted)
        left = 1.0 - ratio(taken, pool)
        stocks[column] = np.maximum(stock * left[tile_region], 0.0).astype(np.float32)
    return np.minimum(granted, 1.0), stocks


def _run(ctx: SystemContext) -> Writes:
    econ = ctx.config.economy
    a = econ.labour_share
    alive = ctx.col("firms.alive")
    firms = alive.size
    good = ctx.col("firms.good").astype(np.int64)
    region = ctx.col("firms.region").astype(np.int64)
    tfp, capital = ctx.col("firms.tfp"), ctx.col("firms.capital")
    inventory = ctx.col("firms.inventory").copy()
    input_stock = ctx.col("firms.input_stock").copy()
    expected = ctx.col("firms.expected_sales")
    n_goods = ctx.capacity("goods")

    employer, p_alive = ctx.col("persons.employer"), ctx.col("persons.alive")
    staffed = p_alive & (employer >= 0)
    slot = np.maximum(employer, 0).astype(np.int64)
    staff_weight = np.where(staffed, ctx.col("persons.weight"), 0.0)
    headcount = np.bincount(slot, weights=staff_weight, minlength=firms)
    effective = np.bincount(slot, weights=staff_weight * ctx.col("persons.skill"), minlength=firms)
    energy = ctx.col("goods.is_energy")[good] & alive
    makes = alive & ~energy
    reliability = ctx.col("regions.energy_reliability")[region].astype(np.float64)
    days = ctx.col("goods.base_stock_days")[good]
    target = np.where(makes, base_stock_target(expected, inventory, days), 0.0)
    capacity = cobb_douglas(tfp, capital, effective, a) * np.where(
        ctx.col("goods.energy_intensity")[good] > 0, reliability, 1.0
    )
    output = np.minimum(target, capacity)
    per_unit = ctx.col("goods.input_per_unit")[good].astype(np.float64)
    input_good = ctx.col("goods.input")[good].astype(np.int64)
    uses_input = makes & (input_good >= 0) & (per_unit > 0)
    output = np.where(uses_input, np.minimum(output, ratio(input_stock, per_unit, 0.0)), output)
    resource = ctx.col("goods.resource")[good]
    resource_per_unit = ctx.col("goods.resource_per_unit")[good].astype(np.float64)
    extracts = makes & (resource > 0)
    wanted = np.where(extracts, output * resource_per_unit, 0.0)
    granted, stocks = _extraction(ctx, wanted, resource, region)
    output = np.where(makes, output * granted, 0.0)

    used = np.where(uses_input, output * per_unit, 0.0)
    input_stock = np.maximum(input_stock - used, 0.0)
    inventory = inventory + output
    waste = inventory * ctx.col("goods.spoilage")[good]
    inventory = inventory - waste

    plant_target = np.where(energy, expected, 0.0)
    wanted_labour = labour_needed(np.where(energy, plant_target, target), tfp, capital, a)
    mean_skill = ratio(effective, headcount, 1.0)
    want_heads = ratio(wanted_labour, mean_skill, 0.0)
    hire = np.ceil(np.minimum(want_heads - headcount, 0.1 * headcount + 2.0))
    fire = np.floor(headcount - 1.3 * want_heads - 1.0)
    vacancies = np.where(hire > 0, hire, np.where(fire > 0, -fire, 0.0))
    vacancies = np.where(alive, vacancies, 0.0)

    input_of = np.maximum(input_good, 0)
    return {
        "firms.employees": headcount.astype(np.int32),
        "firms.vacancies": vacancies.astype(np.int32),
        "firms.target_output": target.astype(np.float32),
        "firms.produced": output,
        "firms.inventory": inventory,
        "firms.input_stock": input_stock,
        "firms.energy_use": output * ctx.col("goods.energy_intensity")[good],
        "firms.age_days": np.where(alive, ctx.col("firms.age_days") + 1, 0).astype(np.int32),
        "tiles.biomass": stocks["biomass"],
        "tiles.minerals": stocks["minerals"],
        "goods.produced": group_sum(good[makes], output[makes], n_goods),
        "goods.used": group_sum(input_of[uses_input], used[uses_input], n_goods),
        "goods.waste": group_sum(good[makes], waste[makes], n_goods),
    }


PRODUCTION = System(
    name="production",
    reads=frozenset({
        "firms.alive", "firms.good", "firms.region", "firms.tfp", "firms.capital",
        "firms.expected_sales", "persons.employer", "persons.alive", "persons.weight",
        "persons.skill", "goods.is_energy", "goods.base_stock_days", "goods.energy_intensity",
        "goods.input_per_unit", "goods.input", "goods.resource", "goods.resource_per_unit",
        "goods.spoilage", "regions.energy_reliability", "tiles.region",
    }),
    writes=frozenset({
        "firms.employees", "firms.vacancies", "firms.target_output", "firms.produced",
        "firms.inventory", "firms.input_stock", "firms.energy_use", "firms.age_days",
        "tiles.biomass", "tiles.minerals", "goods.produced", "goods.used", "goods.waste",
    }),
    run=_run,
)

"""Infrastructure and energy: merit-order dispatch of each region's plants against the day's
demand (firms' production and households), clearing at the marginal plant's cost (spec 5.5).

Reads plants (firms making the energy good), firms.energy_use and persons; writes plant
sales and cash, consumers' cash and deposits (the bills), and the regions' energy columns.
Emits ``Outages`` for regions whose demand was not fully served; production reads the
reliability on the next day.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import Outages, System, SystemContext, Writes
from daedalus.world.systems._columns import group_sum, ratio

__all__ = ["ENERGY", "merit_order"]

MARKUP = 1.2
"""Clearing price over the marginal plant's cost."""


def merit_order(
    region: NDArray[Any], cost: NDArray[Any], capacity: NDArray[Any], demand: NDArray[Any],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Dispatch per plant and the marginal cost per region: in each region plants run from the
    cheapest up until demand is met. ``region``, ``cost`` and ``capacity`` describe plants."""
    regions = demand.size
    order = np.lexsort((np.arange(region.size), cost, region))
    r, cap = region[order], capacity[order].astype(np.float64)
    running = np.cumsum(cap)
    start = np.concatenate(([0], np.cumsum(np.bincount(r, minlength=regions))[:-1]))
    before_region = np.concatenate(([0.0], running))[start][r]
    before = running - cap - before_region
    dispatch_sorted = np.clip(demand[r] - before, 0.0, cap)
    dispatch = np.empty_like(dispatch_sorted)
    dispatch[order] = dispatch_sorted
    running_cost = np.where(dispatch_sorted > 0, cost[order], 0.0)
    marginal = np.zeros(regions)
    np.maximum.at(marginal, r, running_cost)
    return dispatch, marginal


def _run(ctx: SystemContext) -> Writes:
    cfg = ctx.config.energy
    regions = ctx.capacity("regions")
    alive = ctx.col("firms.alive")
    good = ctx.col("firms.good").astype(np.int64)
    region = ctx.col("firms.region").astype(np.int64)
    plant = alive & ctx.col("goods.is_energy")[good]
    use = np.where(alive, ctx.col("firms.energy_use"), 0.0)
    p_alive = ctx.col("persons.alive")
    p_region = ctx.col("persons.region").astype(np.int64)
    home_use = np.where(p_alive, cfg.household_demand * ctx.col("persons.weight"), 0.0)
    demand = group_sum(region, use, regions) + group_sum(p_region, home_use, regions)

    plants = np.flatnonzero(plant)
    capacity = ctx.col("firms.capital")[plants] * cfg.plant_capacity
    staffed = np.minimum(ctx.col("firms.employees")[plants] / 1.0, 1.0)
    dispatch, marginal = merit_order(
        region[plants], ctx.col("firms.marginal_cost")[plants], capacity * staffed, demand
    )
    served = group_sum(region[plants], dispatch, regions)
    reliability = np.minimum(ratio(served, demand, 1.0), 1.0)
    price = np.where(marginal > 0, MARKUP * marginal, ctx.col("regions.energy_price"))

    cash = ctx.col("firms.cash").copy()
    deposits = ctx.col("persons.deposits")
    firm_bill = np.minimum(use * reliability[region] * price[region], np.maximum(cash, 0.0))
    home_bill = np.minimum(home_use * reliability[p_region] * price[p_region], deposits)
    takings = group_sum(region, firm_bill, regions) + group_sum(p_region, home_bill, regions)
    cash -= firm_bill
    cash[plants] += takings[region[plants]] * ratio(dispatch, served[region[plants]])
    sold = np.zeros(alive.size)
    sold[plants] = dispatch
    expected = ctx.col("firms.expected_sales").copy()
    expected[plants] = 0.9 * expected[plants] + 0.1 * dispatch
    short = np.flatnonzero(reliability < 0.999)
    ctx.events.emit(Outages(short, (demand - served)[short]))
    return {
        "firms.cash": cash,
        "firms.sold": np.where(plant, sold, ctx.col("firms.sold")),
        "firms.expected_sales": expected,
        "persons.deposits": deposits - home_bill,
        "regions.energy_demand": demand,
        "regions.energy_served": served,
        "regions.energy_reliability": reliability.astype(np.float32),
        "regions.energy_price": price.astype(np.float32),
    }


ENERGY = System(
    name="energy",
    reads=frozenset({
        "firms.alive", "firms.good", "firms.region", "firms.energy_use", "firms.capital",
        "firms.employees", "firms.marginal_cost", "goods.is_energy", "persons.alive",
        "persons.region", "persons.weight", "regions.energy_price",
    }),
    writes=frozenset({
        "firms.cash", "firms.sold", "firms.expected_sales", "persons.deposits",
        "regions.energy_demand", "regions.energy_served", "regions.energy_reliability",
        "regions.energy_price",
    }),
    run=_run,
)

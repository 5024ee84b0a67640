"""Diplomacy, trade and conflict: gravity-weighted shipments of surplus stock to regions short
of it, paid at the good's price index plus the importer's tariff; optional conflicts between
polities stop trade between them (spec 5.10).

Reads firms stock and sales, goods and pairs; writes firms.inventory/cash, pairs.conflict and
trade_value, goods.traded, regions.tariffs and regions.cash. Goods only change hands, so
trade leaves world stocks unchanged; money moves from importers to exporters and governments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import System, SystemContext, Writes
from daedalus.world.systems._columns import group_sum, ratio

__all__ = ["TRADE", "gravity_flows", "next_conflicts"]

AFFORD_SHARE = 0.5
"""Share of its cash an importing firm may spend on imports in one day."""


def gravity_flows(
    surplus: NDArray[Any], shortage: NDArray[Any], distance: NDArray[Any],
    open_pairs: NDArray[np.bool_], gravity: float,
) -> NDArray[np.float64]:
    """Planned shipments ``[source, target]`` of one good: each source sends ``gravity`` of its
    surplus, split over targets by shortage / distance^2, and no target gets more than its
    shortage."""
    pull = shortage[None, :] / distance**2 * open_pairs
    np.fill_diagonal(pull, 0.0)
    share = ratio(pull, pull.sum(axis=1, keepdims=True))
    flows = gravity * surplus[:, None] * share
    inflow = flows.sum(axis=0)
    cap = np.minimum(ratio(shortage, inflow, 1.0), 1.0)
    return flows * cap[None, :]


def next_conflicts(
    conflict: NDArray[Any], source: NDArray[Any], target: NDArray[Any], draw: NDArray[Any],
    onset: float, end: float, regions: int,
) -> NDArray[np.uint8]:
    """Conflict states after a day: a peaceful pair may fall into conflict, a warring pair may
    make peace; both directions of a pair share the draw of its lower-upper ordering."""
    low, high = np.minimum(source, target), np.maximum(source, target)
    pair_draw = draw[low.astype(np.int64) * regions + high]
    starts = (conflict == 0) & (pair_draw < onset) & (source != target)
    stops = (conflict == 1) & (pair_draw < end)
    return np.where(starts, 1, np.where(stops, 0, conflict)).astype(np.uint8)


def _run(ctx: SystemContext) -> Writes:
    cfg = ctx.config.trade
    regions, n_goods = ctx.capacity("regions"), ctx.capacity("goods")
    conflict = ctx.col("pairs.conflict")
    source, target = ctx.col("pairs.source"), ctx.col("pairs.target")
    if cfg.conflict:
        draw = ctx.rng.uniform("conflict", regions * regions)
        conflict = next_conflicts(
            conflict, source, target, draw, cfg.conflict_onset, cfg.conflict_end, regions
        )
    open_pairs = (conflict == 0).reshape(regions, regions)
    distance = ctx.col("pairs.distance").astype(np.float64).reshape(regions, regions)

    alive = ctx.col("firms.alive")
    good = ctx.col("firms.good").astype(np.int64)
    region = ctx.col("firms.region").astype(np.int64)
    inventory = ctx.col("firms.inventory").copy()
    cash = ctx.col("firms.cash").copy()
    base = ctx.col("goods.base_stock_days")[good] * ctx.col("firms.expected_sales")
    tradable = alive & ~ctx.col("goods.is_energy")[good]
    surplus = np.where(tradable, np.maximum(inventory - base, 0.0), 0.0)
    shortage = np.where(tradable, np.maximum(base - inventory, 0.0), 0.0)
    price = ctx.col("goods.price_index")
    market = region * n_goods + good
    surplus_rg = group_sum(market, surplus, regions * n_goods).reshape(regions, n_goods)
    shortage_rg = group_sum(market, shortage, regions * n_goods).reshape(regions, n_goods)

    plans = np.stack([
        gravity_flows(surplus_rg[:, g], shortage_rg[:, g], distance, open_pairs, cfg.gravity)
        for g in range(n_goods)
    ], axis=2)  # [source, target, good]
    inflow = plans.sum(axis=0).ravel()  # by (target, good)
    wanted = shortage * ratio(inflow, shortage_rg.ravel())[market]
    unit_cost = price[good] * (1.0 + cfg.tariff)
    bought = np.minimum(wanted, ratio(AFFORD_SHARE * cash, unit_cost))
    bought = np.where(tradable, bought, 0.0)
    received = group_sum(market, bought, regions * n_goods)
    flows = plans * ratio(received, inflow).reshape(regions, n_goods)[None, :, :]
    shipped_rg = flows.sum(axis=1).ravel()  # by (source, good)
    shipped = surplus * ratio(shipped_rg, surplus_rg.ravel())[market]

    value_in = bought * price[good]
    tariffs = group_sum(region, value_in * cfg.tariff, regions)
    inventory = inventory + bought - shipped
    cash = cash - value_in * (1.0 + cfg.tariff) + shipped * price[good]
    pair_value = (flows * price[None, None, :]).sum(axis=2).ravel()
    return {
        "pairs.conflict": conflict,
        "pairs.trade_value": pair_value,
        "firms.inventory": np.maximum(inventory, 0.0),
        "firms.cash": cash,
        "goods.traded": received.reshape(regions, n_goods).sum(axis=0),
        "regions.tariffs": tariffs,
        "regions.cash": ctx.col("regions.cash") + tariffs,
    }


TRADE = System(
    name="trade",
    reads=frozenset({
        "pairs.source", "pairs.target", "pairs.distance", "firms.alive", "firms.good",
        "firms.region", "firms.expected_sales", "goods.base_stock_days", "goods.is_energy",
        "goods.price_index",
    }),
    writes=frozenset({
        "pairs.conflict", "pairs.trade_value", "firms.inventory", "firms.cash", "goods.traded",
        "regions.tariffs", "regions.cash",
    }),
    run=_run,
    enabled=lambda config: bool(config.trade.enable),
)

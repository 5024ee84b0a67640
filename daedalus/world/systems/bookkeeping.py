"""Bookkeeping: checks the invariants (strict mode), closes the day's books (the opening
balances of the next tick: money, goods stocks, public cash and debt), and updates the price
level and its history. KPIs are read from the closed books by ``daedalus.world.kpis``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.errors import InvariantError
from daedalus.world.core import System, SystemContext, Writes
from daedalus.world.invariants import check_invariants, goods_stock, money_stock

__all__ = ["BOOKKEEPING", "consumer_price_index", "value_added"]


def consumer_price_index(
    price_index: NDArray[Any], base_price: NDArray[Any], household_share: NDArray[Any]
) -> float:
    """The household basket's cost at today's prices over its cost at the starting prices."""
    weights = household_share.astype(np.float64)
    return float((weights * price_index).sum() / max((weights * base_price).sum(), 1e-12))


def value_added(
    produced: NDArray[Any], used: NDArray[Any], price_index: NDArray[Any],
    energy_served: NDArray[Any], energy_price: NDArray[Any],
) -> float:
    """The day's GDP by production: output less inputs used, at the goods' price index, plus
    the energy the grid served at its clearing price."""
    goods = float(((produced - used) * price_index).sum())
    return goods + float((energy_served * energy_price).sum())


def _run(ctx: SystemContext) -> Writes:
    tables = ctx.tables
    if ctx.config.strict:
        broken = check_invariants(tables)
        if broken:
            raise InvariantError(f"tick {ctx.tick}: " + "; ".join(broken))
    goods = tables["goods"]
    cpi = consumer_price_index(goods["price_index"], goods["base_price"], goods["household_share"])
    history_cpi = ctx.col("history.cpi").copy()
    history_cpi[ctx.tick % history_cpi.size] = cpi
    regions = tables["regions"]
    gdp = value_added(
        goods["produced"], goods["used"], goods["price_index"], regions["energy_served"],
        regions["energy_price"],
    )
    jobless_share = ctx.col("history.unemployment").copy()
    population = regions["population"].astype(np.float64)
    jobless_share[ctx.tick % jobless_share.size] = float(
        (regions["unemployment"] * population).sum() / max(population.sum(), 1.0)
    )
    return {
        "macro.money_stock": np.array([money_stock(tables)]),
        "macro.cpi": np.array([cpi]),
        "macro.gdp": np.array([gdp]),
        "history.cpi": history_cpi,
        "history.unemployment": jobless_share,
        "goods.stock": goods_stock(tables),
        "regions.cash_open": regions["cash"].copy(),
        "regions.debt_open": regions["debt"].copy(),
    }


BOOKKEEPING = System(
    name="bookkeeping",
    reads=frozenset({"history.cpi", "history.unemployment"}),
    writes=frozenset({
        "macro.money_stock", "macro.cpi", "macro.gdp", "history.cpi", "history.unemployment",
        "goods.stock", "regions.cash_open", "regions.debt_open",
    }),
    run=_run,
)

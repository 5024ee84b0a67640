"""Posted-price goods markets, one per (region, good): households and input-buying firms meet
sellers' posted prices; prices follow stock against the base-stock level (spec 5.3, 4.2).

Each market splits its buyers' budgets over sellers by ``stock * price^-elasticity``; a seller
sells at most its stock, so budgets go partly unspent when stock is short (the market's fill
ratio, the same for every buyer in it). Reads persons.income/deposits/region/alive, firms and
goods parameters; writes persons.deposits, firms stock, cash, sales and prices, the goods
ledger (consumed, unmet, price index) and macro.spent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import System, SystemContext, Writes
from daedalus.world.systems._columns import group_sum, ratio

__all__ = ["GOODS_MARKET", "household_budgets", "update_prices"]

INPUT_COVER_DAYS = 5.0
"""Days of input a firm tries to hold."""


def household_budgets(
    income: NDArray[Any], deposits: NDArray[Any], alive: NDArray[np.bool_],
    propensity_income: float, propensity_wealth: float, shock: float,
) -> NDArray[np.float64]:
    """What each person means to spend today: a share of smoothed income plus a sliver of
    wealth, scaled by the demand shock, never more than the deposits."""
    wanted = (propensity_income * income + propensity_wealth * deposits) * shock
    return np.where(alive, np.clip(wanted, 0.0, deposits), 0.0)


def update_prices(
    price: NDArray[Any], inventory: NDArray[Any], expected: NDArray[Any], days: NDArray[Any],
    draw: NDArray[Any], step: float,
) -> NDArray[np.float32]:
    """Posted prices after a day: up when stock is below the base-stock level, down when
    above, by a random share of ``step`` (firm by firm, so prices disperse)."""
    cover = ratio(inventory, days * np.maximum(expected, 1e-6), 2.0)
    up = price * (1.0 + step * draw * np.clip(1.0 - cover, 0.0, 1.0))
    down = price * (1.0 - step * draw * np.clip(cover - 1.0, 0.0, 1.0))
    return np.maximum(np.where(cover < 1.0, up, down), 0.01).astype(np.float32)


def _run(ctx: SystemContext) -> Writes:
    econ = ctx.config.economy
    n_goods, regions = ctx.capacity("goods"), ctx.capacity("regions")
    markets = regions * n_goods
    alive = ctx.col("persons.alive")
    p_region = ctx.col("persons.region").astype(np.int64)
    deposits = ctx.col("persons.deposits")
    budget = household_budgets(
        ctx.col("persons.income"), deposits, alive, econ.propensity_income,
        econ.propensity_wealth, econ.demand_shock,
    )
    shares = ctx.col("goods.household_share").astype(np.float64)
    shares = shares / shares.sum()
    household_by_region = group_sum(p_region, budget, regions)
    household_demand = (household_by_region[:, None] * shares[None, :]).ravel()

    f_alive = ctx.col("firms.alive")
    good = ctx.col("firms.good").astype(np.int64)
    f_region = ctx.col("firms.region").astype(np.int64)
    cash = ctx.col("firms.cash").copy()
    input_stock = ctx.col("firms.input_stock").copy()
    inventory = ctx.col("firms.inventory").copy()
    price = ctx.col("firms.price").astype(np.float64)
    index_price = ctx.col("goods.price_index")
    input_good = ctx.col("goods.input")[good].astype(np.int64)
    per_unit = ctx.col("goods.input_per_unit")[good].astype(np.float64)
    buys = f_alive & (input_good >= 0) & (per_unit > 0)
    want = np.maximum(
        per_unit * ctx.col("firms.target_output") * INPUT_COVER_DAYS - input_stock, 0.0
    )
    input_budget = np.where(
        buys, np.minimum(want * index_price[np.maximum(input_good, 0)], 0.5 * cash), 0.0
    )
    buyer_market = f_region * n_goods + np.maximum(input_good, 0)
    firm_demand = group_sum(buyer_market[buys], input_budget[buys], markets)
    demand = household_demand + firm_demand

    sells = f_alive & (inventory > 0) & ~ctx.col("goods.is_energy")[good]
    market = f_region * n_goods + good
    appeal = np.where(sells, inventory * np.maximum(price, 0.01) ** -econ.demand_elasticity, 0.0)
    total_appeal = group_sum(market, appeal, markets)
    wanted_spend = demand[market] * ratio(appeal, total_appeal[market])
    sold = np.where(sells, np.minimum(inventory, ratio(wanted_spend, price)), 0.0)
    revenue = sold * price
    spent = group_sum(market, revenue, markets)
    quantity = group_sum(market, sold, markets)
    fill = np.minimum(ratio(spent, demand), 1.0)
    mean_price = ratio(spent, quantity)

    paid_inputs = np.where(buys, input_budget * fill[buyer_market], 0.0)
    got_inputs = ratio(paid_inputs, mean_price[buyer_market])
    input_quantity = group_sum(buyer_market[buys], got_inputs[buys], markets)
    consumed = np.maximum(quantity - input_quantity, 0.0)
    household_fill = (fill.reshape(regions, n_goods) * shares[None, :]).sum(axis=1)
    household_paid = budget * household_fill[p_region]

    inventory = inventory - sold
    cash = cash + revenue - paid_inputs
    input_stock = input_stock + got_inputs
    # Sellers learn from the demand they saw, not only from what their stock let them sell.
    asked = np.where(sells, ratio(wanted_spend, price), 0.0)
    expected = 0.9 * ctx.col("firms.expected_sales") + 0.1 * asked
    expected = np.where(ctx.col("goods.is_energy")[good], ctx.col("firms.expected_sales"), expected)
    days = ctx.col("goods.base_stock_days")[good]
    new_price = update_prices(
        price, inventory, expected, days, ctx.rng.uniform("price", price.size), econ.price_step
    )
    by_good_value = group_sum(good[sells], revenue[sells], n_goods)
    by_good_quantity = group_sum(good[sells], sold[sells], n_goods)
    posted = group_sum(good[f_alive], price[f_alive], n_goods)
    sellers = np.bincount(good[f_alive], minlength=n_goods)
    fallback = np.where(sellers > 0, ratio(posted, sellers), index_price)
    price_index = np.where(by_good_quantity > 0, ratio(by_good_value, by_good_quantity), fallback)
    return {
        "persons.deposits": deposits - household_paid,
        "firms.inventory": inventory,
        "firms.input_stock": input_stock,
        "firms.cash": cash,
        "firms.sold": sold,
        "firms.expected_sales": expected.astype(np.float32),
        "firms.price": new_price,
        "goods.consumed": consumed.reshape(regions, n_goods).sum(axis=0),
        "goods.unmet": (demand - spent).reshape(regions, n_goods).sum(axis=0),
        "goods.price_index": price_index,
        "macro.spent": np.array([household_paid.sum()]),
    }


GOODS_MARKET = System(
    name="goods_market",
    reads=frozenset({
        "persons.alive", "persons.region", "persons.income", "goods.household_share",
        "firms.alive", "firms.good", "firms.region", "firms.target_output", "goods.input",
        "goods.input_per_unit", "goods.is_energy", "goods.base_stock_days",
    }),
    writes=frozenset({
        "persons.deposits", "firms.inventory", "firms.input_stock", "firms.cash", "firms.sold",
        "firms.expected_sales", "firms.price", "goods.consumed", "goods.unmet",
        "goods.price_index", "macro.spent",
    }),
    run=_run,
)

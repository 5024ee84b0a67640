import numpy as np

from daedalus.world import World
from daedalus.world.systems.goods_market import household_budgets, update_prices


def test_budgets_never_exceed_deposits_and_follow_the_shock():
    income = np.array([1.0, 1.0, 1.0])
    deposits = np.array([100.0, 0.2, 100.0])
    alive = np.array([True, True, False])
    normal = household_budgets(income, deposits, alive, 0.9, 0.004, 1.0)
    low = household_budgets(income, deposits, alive, 0.9, 0.004, 0.5)
    assert normal[1] == 0.2 and normal[2] == 0.0
    assert np.isclose(low[0], normal[0] / 2)


def test_prices_rise_on_thin_stock_and_fall_on_thick_stock():
    price = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    new = update_prices(price, np.array([1.0, 10.0, 40.0]), np.full(3, 1.0), np.full(3, 10.0),
                        np.full(3, 0.5), 0.01)
    assert new[0] > 1.0 and new[1] == 1.0 and new[2] < 1.0


def test_households_buy_and_sellers_take_the_money(world: World):
    cash = world.tables["firms"]["cash"].sum()
    world.step()
    goods, macro = world.tables["goods"], world.tables["macro"]
    assert macro["spent"][0] > 0 and goods["consumed"].sum() > 0
    assert world.tables["firms"]["sold"].sum() > 0
    assert world.tables["firms"]["cash"].sum() != cash

import numpy as np

from daedalus.world import World
from daedalus.world.systems.bookkeeping import consumer_price_index, value_added


def test_cpi_is_the_basket_at_todays_prices_over_the_start():
    assert consumer_price_index(np.array([2.0, 1.0]), np.array([1.0, 1.0]),
                                np.array([0.5, 0.5])) == 1.5


def test_value_added_nets_out_inputs_and_adds_energy():
    gdp = value_added(np.array([10.0, 4.0]), np.array([0.0, 4.0]), np.array([1.0, 2.0]),
                      np.array([3.0]), np.array([1.0]))
    assert gdp == 10.0 + 0.0 + 3.0


def test_the_books_close_with_the_days_money_and_stock(world: World):
    world.step()
    t = world.tables
    from daedalus.world.invariants import goods_stock, money_stock

    assert t["macro"]["money_stock"][0] == money_stock(t)
    assert np.array_equal(t["goods"]["stock"], goods_stock(t))
    assert t["history"]["cpi"][1] == t["macro"]["cpi"][0]

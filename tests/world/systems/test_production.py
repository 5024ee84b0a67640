import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from daedalus.world import World
from daedalus.world.systems.production import base_stock_target, cobb_douglas, labour_needed
from tests.world.conftest import small_config


@given(st.floats(0.1, 10), st.floats(1, 500), st.floats(0.5, 300), st.floats(0.3, 0.9))
def test_labour_needed_inverts_the_production_function(tfp, capital, labour, share):
    out = cobb_douglas(np.array([tfp]), np.array([capital]), np.array([labour]), share)
    back = labour_needed(out, np.array([tfp]), np.array([capital]), share)
    assert np.isclose(back[0], labour, rtol=1e-6)


def test_base_stock_target_closes_a_fifth_of_the_gap():
    target = base_stock_target(np.array([10.0, 10.0, 10.0]), np.array([100.0, 50.0, 500.0]),
                               np.array([10.0, 10.0, 10.0]))
    assert target.tolist() == [10.0, 20.0, 0.0]


def test_a_tick_produces_uses_inputs_and_extracts_resources(world: World):
    tiles = world.tables["tiles"]
    minerals = tiles["minerals"].astype(np.float64).sum()
    world.step()
    goods = world.tables["goods"]
    names = [g.name for g in world.config.economy.goods]
    assert goods["produced"][names.index("food")] > 0
    assert goods["used"][names.index("wheat")] > 0  # food is made of wheat
    assert goods["produced"][names.index("energy")] == 0  # plants are dispatched, not produced
    assert tiles["minerals"].astype(np.float64).sum() < minerals
    assert goods["waste"][names.index("services")] > 0  # services perish


def test_firms_short_of_input_produce_nothing():
    world = World(small_config(), strict=False)
    firms = world.tables["firms"]
    food = [g.name for g in world.config.economy.goods].index("food")
    makers = firms.alive & (firms["good"] == food)
    firms.columns["input_stock"][makers] = 0.0
    world.step()
    assert (firms["produced"][makers] == 0).all()

import numpy as np

from daedalus.world import World
from daedalus.world.systems.energy import merit_order


def test_the_cheapest_plants_run_first_and_set_the_price():
    region = np.array([0, 0, 0, 1])
    cost = np.array([3.0, 1.0, 2.0, 5.0])
    capacity = np.array([10.0, 10.0, 10.0, 10.0])
    dispatch, marginal = merit_order(region, cost, capacity, np.array([15.0, 0.0]))
    assert dispatch.tolist() == [0.0, 10.0, 5.0, 0.0]
    assert marginal.tolist() == [2.0, 0.0]


def test_short_capacity_means_outages_and_lower_output_next_day(world: World):
    firms = world.tables["firms"]
    plants = firms.alive & world.tables["goods"]["is_energy"][firms["good"]]
    firms.columns["capital"][plants] *= 0.2
    record = world.step()
    regions = world.tables["regions"]
    assert record["events"]["outages"]["count"] > 0
    assert (regions["energy_reliability"] < 1).any()
    assert regions["energy_price"].min() > 0

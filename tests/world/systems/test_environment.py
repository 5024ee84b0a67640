import numpy as np

from daedalus.world import World
from daedalus.world.systems.environment import climate, regrow


def test_seasons_are_opposite_across_the_equator():
    lat = np.array([-0.5, 0.5], dtype=np.float32)
    summer_north = climate(lat, 91)[0]
    winter_north = climate(lat, 273)[0]
    assert summer_north[1] > winter_north[1] and summer_north[0] < winter_north[0]


def test_biomass_regrows_towards_capacity_but_not_in_frost():
    biomass = np.array([50.0, 50.0, 100.0], dtype=np.float32)
    cap = np.full(3, 100.0, dtype=np.float32)
    fertility = np.ones(3, dtype=np.float32)
    temp = np.array([15.0, -5.0, 15.0], dtype=np.float32)
    grown = regrow(biomass, cap, fertility, temp, np.ones(3, dtype=np.float32))
    assert grown[0] > 50.0 and grown[1] == 50.0 and grown[2] == 100.0


def test_a_tick_updates_climate_and_regrows_harvested_land(world: World):
    world.tables["tiles"].columns["biomass"][:] *= 0.5
    before = world.tables["tiles"]["biomass"].astype(np.float64).sum()
    world.step()
    tiles = world.tables["tiles"]
    assert tiles["temp"].std() > 0 and tiles["precip"].max() > 0
    assert tiles["biomass"].astype(np.float64).sum() > before - 1e3  # regrowth beats harvest

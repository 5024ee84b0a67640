import numpy as np

from daedalus.world import World
from daedalus.world.systems.media import neighbour_mean, polarization


def test_neighbour_mean_wraps_east_west():
    grid = np.zeros(6)
    grid[0] = 4.0  # row 0, column 0 of a 2 x 3 grid
    mean = neighbour_mean(grid, 2, 3)
    assert mean[1] == 1.0 and mean[2] == 1.0 and mean[3] == 1.0


def test_polarization_is_zero_for_agreement():
    assert polarization(np.full(4, 0.3), np.ones(4)) == 0.0
    assert polarization(np.array([-1.0, 1.0]), np.ones(2)) == 1.0


def test_opinion_drifts_towards_each_regions_media(world: World):
    world.tables["tiles"].columns["opinion"][:] = 0.0
    world.tables["regions"].columns["media_bias"][:] = [0.9, 0.9, -0.9, -0.9]
    world.run(5)
    tiles = world.tables["tiles"]
    north = tiles["opinion"][tiles["region"] == 0].mean()
    south = tiles["opinion"][tiles["region"] == 3].mean()
    assert north > 0.01 > -0.01 > south

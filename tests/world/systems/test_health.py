import numpy as np

from daedalus.world import World
from daedalus.world.systems.health import seir_step
from tests.world.conftest import small_config


def test_seir_keeps_the_shares_summing_to_one():
    s, e, i, r = (np.array([v]) for v in (0.9, 0.05, 0.05, 0.0))
    after = seir_step(s, e, i, r, i, 0.3, 0.25, 1 / 7, 1 / 180)
    assert np.isclose(sum(x[0] for x in after), 1.0, atol=1e-6)
    assert after[0][0] < 0.9 and after[3][0] > 0


def test_an_epidemic_spreads_when_r0_exceeds_one_and_dies_out_otherwise():
    def infections(r0: float) -> float:
        world = World(small_config(health={"r0": r0, "seed_share": 0.05}))
        world.run(20)
        return float(world.kpis()["infections"].iloc[-1])

    assert infections(4.0) > 5 * infections(0.2)


def test_disabled_health_leaves_no_infection():
    world = World(small_config(health={"enable": False}))
    world.run(3)
    assert world.tables["tiles"]["i"].sum() == 0

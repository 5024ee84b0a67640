import numpy as np

from daedalus.world import World
from daedalus.world.systems.trade import gravity_flows, next_conflicts
from tests.world.conftest import small_config


def test_gravity_sends_surplus_to_the_nearer_shortage_and_caps_at_the_shortage():
    distance = np.array([[1.0, 1.0, 2.0], [1.0, 1.0, 1.0], [2.0, 1.0, 1.0]])
    surplus, shortage = np.array([100.0, 0.0, 0.0]), np.array([0.0, 5.0, 5.0])
    flows = gravity_flows(surplus, shortage, distance, np.ones((3, 3), dtype=bool), 0.05)
    assert np.allclose(flows[0], [0.0, 4.0, 1.0])  # 5 shipped, split by 1/d^2
    capped = gravity_flows(surplus, shortage, distance, np.ones((3, 3), dtype=bool), 0.5)
    assert np.allclose(capped[0], [0.0, 5.0, 5.0])
    closed = gravity_flows(np.array([100.0, 0.0, 0.0]), np.array([0.0, 5.0, 5.0]), distance,
                           np.zeros((3, 3), dtype=bool), 0.5)
    assert closed.sum() == 0


def test_conflicts_start_and_end_symmetrically():
    source = np.array([0, 0, 1, 1])
    target = np.array([0, 1, 0, 1])
    started = next_conflicts(np.zeros(4, np.uint8), source, target, np.zeros(4), 0.5, 0.5, 2)
    assert started.tolist() == [0, 1, 1, 0]
    ended = next_conflicts(started, source, target, np.zeros(4), 0.5, 0.5, 2)
    assert ended.tolist() == [0, 0, 0, 0]


def test_regions_trade_goods_and_pay_tariffs(world: World):
    world.run(3)
    assert world.tables["pairs"]["trade_value"].sum() > 0
    assert world.tables["goods"]["traded"].sum() > 0
    assert world.tables["regions"]["tariffs"].sum() > 0


def test_war_everywhere_stops_trade():
    world = World(small_config(trade={"conflict": True, "conflict_onset": 1.0,
                                      "conflict_end": 0.0}))
    world.run(3)
    pairs = world.tables["pairs"]
    assert (pairs["conflict"][pairs["source"] != pairs["target"]] == 1).all()
    assert pairs["trade_value"].sum() == 0

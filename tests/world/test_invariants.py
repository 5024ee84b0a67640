import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daedalus.errors import InvariantError
from daedalus.world import World
from daedalus.world.invariants import goods_stock, money_stock, non_negative
from tests.world.conftest import small_config


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    persons=st.integers(200, 1500),
    firms=st.integers(30, 120),
    regions=st.integers(1, 5),
    banks=st.booleans(),
    trade=st.booleans(),
    conflict=st.booleans(),
    health=st.booleans(),
    shock=st.floats(0.3, 1.5),
)
def test_random_small_worlds_keep_every_invariant(
    seed, persons, firms, regions, banks, trade, conflict, health, shock
):
    config = small_config(
        persons, firms, random_seed=seed, spatial={"regions": regions},
        finance={"enable_banks": banks}, trade={"enable": trade, "conflict": conflict},
        health={"enable": health, "seed_share": 0.05}, economy={"demand_shock": shock},
    )
    world = World(config)  # strict: bookkeeping raises on any broken invariant
    world.run(5)
    assert world.tick == 5 and non_negative(world.tables) == []


def test_strict_mode_stops_a_tick_that_creates_money_from_nothing(world):
    world.step()
    world.tables["persons"].columns["deposits"][0] += 1000.0
    with pytest.raises(InvariantError, match="tick 2: money not conserved"):
        world.step()


def test_strict_mode_stops_goods_that_appear_from_nowhere(world):
    world.step()
    firm = int(np.flatnonzero(world.tables["firms"]["inventory"] > 0)[0])
    world.tables["firms"].columns["inventory"][firm] += 500.0
    with pytest.raises(InvariantError, match=r"good \d: stock moved"):
        world.step()


def test_a_negative_balance_is_reported(world):
    world.step()
    world.tables["firms"].columns["cash"][0] = -5.0
    assert non_negative(world.tables) == ["firms.cash has a negative value (-5)"]


def test_the_budget_identity_catches_unbooked_public_spending(world):
    world.step()
    world.tables["regions"].columns["cash_open"][0] += 10.0  # books say it had 10 more
    with pytest.raises(InvariantError, match="region 0: budget identity broken"):
        world.step()


def test_without_strict_mode_a_broken_world_keeps_running():
    world = World(small_config(800, 60), strict=False)
    world.step()
    world.tables["persons"].columns["deposits"][0] += 1000.0
    world.step()
    assert world.tick == 2


def test_money_created_is_named(world):
    world.run(10)
    t = world.tables
    created = float(t["banks"]["issued"].sum() + t["regions"]["borrowed"].sum())
    assert money_stock(t) > 0 and created >= 0
    assert goods_stock(t).shape == (t["goods"].capacity,)

"""Stylized facts the spec asks the economy to show (section 10.2), on a small world."""

import numpy as np
import pytest

from daedalus.world import World
from tests.world.conftest import small_config


@pytest.fixture(scope="module")
def month() -> World:
    world = World(small_config(persons=4000, firms=240))
    world.run(30)
    return world


def _skewness(values: np.ndarray) -> float:
    centred = values - values.mean()
    return float((centred**3).mean() / (centred**2).mean() ** 1.5)


def test_firm_sizes_are_right_skewed(month):
    firms = month.tables["firms"]
    producers = firms.alive & ~month.tables["goods"]["is_energy"][firms["good"]]
    staff = firms["employees"][producers].astype(np.float64)
    assert _skewness(staff) > 1.0
    assert np.median(staff) < staff.mean()


def test_prices_disperse_within_each_good(month):
    firms, goods = month.tables["firms"], month.tables["goods"]
    for good in np.flatnonzero(~goods["is_energy"]):
        prices = firms["price"][firms.alive & (firms["good"] == good)].astype(np.float64)
        assert prices.std() / prices.mean() > 0.01, f"good {good} prices barely differ"


def test_unemployment_rises_after_a_demand_shock():
    config = small_config(persons=4000, firms=240)
    base = World(config)
    base.run(20)
    tables = {name: table.copy() for name, table in base.tables.items()}
    shocked_config = config.model_copy(
        update={"economy": config.economy.model_copy(update={"demand_shock": 0.5})}
    )
    shocked = World(shocked_config, tables=tables, tick=base.tick)
    base.run(40)
    shocked.run(40)
    calm = base.kpis()["unemployment"].iloc[-15:].mean()
    hit = shocked.kpis()["unemployment"].iloc[-15:].mean()
    assert hit > calm + 0.03, (calm, hit)

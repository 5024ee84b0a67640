import numpy as np

from daedalus.world import World
from daedalus.world.systems.government import approval_after
from tests.world.conftest import small_config


def test_approval_falls_with_unemployment_and_inflation():
    start = np.array([0.5, 0.5], dtype=np.float32)
    calm = approval_after(start, np.array([0.02, 0.02]), 0.02, 0.02, np.zeros(2))
    rough = approval_after(start, np.array([0.3, 0.3]), 0.3, 0.02, np.zeros(2))
    assert (calm > rough).all()


def test_jobless_and_retired_receive_transfers_paid_from_the_budget(world: World):
    world.step()
    regions = world.tables["regions"]
    assert regions["spending"].sum() > 0 and regions["revenue"].sum() > 0
    assert (regions["unemployment"] >= 0).all() and (regions["mean_wage"] > 0).all()


def test_a_government_short_of_cash_borrows_and_owes_interest_after():
    world = World(small_config(government={"transfer_level": 2.0, "tax_rate": 0.01}))
    world.run(3)
    regions = world.tables["regions"]
    assert regions["borrowed"].sum() > 0 and regions["debt"].sum() > 0
    assert regions["interest"].sum() > 0  # interest on the first days' debt


def test_estates_of_the_dead_go_to_their_region():
    world = World(small_config(population={"mortality_base": 1.0}))
    world.run(5)
    assert sum(r["events"].get("deaths", {}).get("amount", 0.0) for r in world.history) > 0
    assert world.tables["regions"]["estates"].sum() >= 0

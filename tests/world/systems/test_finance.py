import numpy as np
import pytest

from daedalus.world import World
from daedalus.world.systems.finance import distribute, policy_rate
from tests.world.conftest import small_config


def test_the_policy_rate_follows_inflation_and_stays_above_zero():
    assert policy_rate(0.02, 0.02, 0.02, 0.5) == pytest.approx(0.02)
    assert policy_rate(0.02, 0.10, 0.02, 0.5) == pytest.approx(0.06)
    assert policy_rate(0.02, -0.5, 0.02, 0.5) == 0.0


def test_payouts_go_to_depositors_in_proportion():
    share = distribute(np.array([10.0, 0.0]), np.array([0, 0, 1]), np.array([1.0, 3.0, 5.0]))
    assert share.tolist() == [2.5, 7.5, 0.0]


def test_firms_short_of_cash_borrow_and_the_loans_are_booked():
    world = World(small_config())
    world.tables["firms"].columns["cash"][:] *= 0.01
    world.open_books()
    world.step()
    banks = world.tables["banks"]
    assert banks["issued"].sum() > 0 and banks["loans"].sum() == pytest.approx(
        world.tables["firms"]["debt"].sum()
    )


def test_without_banks_there_is_no_credit():
    world = World(small_config(finance={"enable_banks": False}))
    world.tables["firms"].columns["cash"][:] *= 0.01
    world.open_books()
    world.run(3)
    assert world.tables["banks"]["issued"].sum() == 0
    assert world.tables["firms"]["debt"].sum() == 0


def test_an_insolvent_firm_closes_and_its_workers_lose_their_jobs():
    world = World(small_config())
    firms = world.tables["firms"].columns
    victim = int(np.argmax(firms["employees"]))
    firms["cash"][victim] = 0.0
    firms["debt"][victim] = 1e7
    world.tables["banks"].columns["loans"][firms["region"][victim]] += 1e7
    world.open_books()
    record = world.step()
    assert not firms["alive"][victim]
    assert record["events"]["firms_closed"]["amount"] > 9e6
    world.step()  # demography releases the closed firm's staff on the next day
    persons = world.tables["persons"]
    assert not (persons["employer"][persons.alive] == victim).any()

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from daedalus.world.core import KeyedRng


@given(st.integers(0, 2**32), st.integers(1, 500), st.integers(1, 500))
def test_a_slot_draws_the_same_value_whatever_the_table_size(seed, small, extra):
    rng = KeyedRng(seed)
    few = rng.uniform("demography", "death", 3, small)
    many = rng.uniform("demography", "death", 3, small + extra)
    assert np.array_equal(few, many[:small])


def test_streams_differ_by_seed_system_purpose_and_tick():
    base = KeyedRng(1).uniform("a", "b", 1, 50)
    for other in (
        KeyedRng(2).uniform("a", "b", 1, 50),
        KeyedRng(1).uniform("x", "b", 1, 50),
        KeyedRng(1).uniform("a", "x", 1, 50),
        KeyedRng(1).uniform("a", "b", 2, 50),
    ):
        assert not np.array_equal(base, other)
    assert np.array_equal(base, KeyedRng(1).uniform("a", "b", 1, 50))


@given(st.lists(st.integers(0, 5000), min_size=1, max_size=20))
def test_at_gives_the_slots_own_draws_few_or_many(slots):
    tick = KeyedRng(9).for_tick("labour", 4)
    chosen = np.array(slots, dtype=np.int64)
    assert np.array_equal(tick.at("seek", chosen), tick.uniform("seek", 5001)[chosen])


def test_at_of_no_slot_is_empty():
    tick = KeyedRng(9).for_tick("labour", 4)
    assert tick.at("seek", np.zeros(0, dtype=np.int64)).size == 0


def test_normal_draws_look_standard_normal():
    draws = KeyedRng(5).normal("s", "p", 0, 200_000)
    assert abs(draws.mean()) < 0.01 and abs(draws.std() - 1.0) < 0.01

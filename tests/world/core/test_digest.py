import numpy as np

from daedalus.world.core import SCHEMAS, DigestCache, Table, state_digest


def _tables() -> dict[str, Table]:
    persons = Table.empty(SCHEMAS["persons"], 200_000)  # large columns hash on the threads
    persons.columns["deposits"][:] = np.arange(200_000)
    return {"persons": persons, "macro": Table.empty(SCHEMAS["macro"], 1)}


def test_equal_states_have_equal_digests_whatever_the_dict_order():
    tables = _tables()
    reordered = {name: tables[name].copy() for name in reversed(list(tables))}
    assert state_digest(tables, 3) == state_digest(reordered, 3)


def test_one_changed_value_or_another_tick_changes_the_digest():
    tables = _tables()
    before = state_digest(tables, 3)
    assert state_digest(tables, 4) != before
    tables["persons"].columns["deposits"][123_456] += 1e-9
    assert state_digest(tables, 3) != before


def test_a_cached_digest_equals_the_uncached_one_after_edits_in_place():
    tables = _tables()
    cache = DigestCache()
    assert state_digest(tables, 3, cache) == state_digest(tables, 3)
    deposits = tables["persons"].columns["deposits"]
    deposits[150_000] = -0.0  # a changed bit in one block of a large column
    tables["macro"].columns["cpi"][0] = 2.0
    assert state_digest(tables, 3, cache) == state_digest(tables, 3)
    deposits[:] = 0.0
    assert state_digest(tables, 3, cache) == state_digest(tables, 3)


def test_an_early_hash_is_used_only_for_the_array_it_hashed():
    tables = _tables()
    cache = DigestCache()
    deposits = tables["persons"].columns["deposits"]
    cache.prehash("persons.deposits", deposits)
    assert state_digest(tables, 3, cache) == state_digest(tables, 3)
    assert not cache.pending
    cache.prehash("persons.deposits", deposits)
    tables["persons"].columns["deposits"] = deposits + 1.0  # replaced after the early hash
    assert state_digest(tables, 3, cache) == state_digest(tables, 3)
    cache.prehash("persons.deposits", tables["persons"].columns["deposits"])
    assert state_digest(tables, 3, cache) == state_digest(tables, 3)

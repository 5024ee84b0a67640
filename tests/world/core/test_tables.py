import numpy as np
import pytest

from daedalus.world.core import Table, TableSchema

SCHEMA = TableSchema("things", {"size": np.float32, "cash": np.float64})


def test_an_empty_table_has_zeroed_columns_and_no_live_slot():
    table = Table.empty(SCHEMA, 5)
    assert table.count() == 0
    assert table["size"].dtype == np.float32 and table["cash"].dtype == np.float64
    assert list(table) == ["alive", "uid", "size", "cash"]
    assert (table["uid"] == -1).all()


def test_free_slots_are_the_lowest_unused_ones():
    table = Table.empty(SCHEMA, 6)
    table.columns["alive"][[0, 2, 3]] = True
    assert table.free_slots(2).tolist() == [1, 4]
    assert table.free_slots(10).tolist() == [1, 4, 5]


def test_set_column_keeps_dtype_and_refuses_another_length():
    table = Table.empty(SCHEMA, 3)
    table.set_column("size", np.array([1.0, 2.0, 3.0]))
    assert table["size"].dtype == np.float32
    with pytest.raises(ValueError, match=r"things.size: expected shape \(3,\)"):
        table.set_column("size", np.zeros(4))


def test_copy_is_independent():
    table = Table.empty(SCHEMA, 2)
    twin = table.copy()
    twin.columns["cash"][0] = 5.0
    assert table["cash"][0] == 0.0


def test_a_static_table_counts_every_slot_alive():
    table = Table.empty(TableSchema("grid", {"x": np.float32}, dynamic=False), 4)
    assert table.count() == 4 and "alive" not in table.columns

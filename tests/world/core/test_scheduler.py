import numpy as np
import pytest

from daedalus.world.core import (
    SCHEMAS,
    EventQueue,
    KeyedRng,
    Scheduler,
    System,
    SystemContext,
    Table,
)


def _tables() -> dict[str, Table]:
    return {"macro": Table.empty(SCHEMAS["macro"], 1)}


def _step(system: System, config: object = None) -> dict[str, Table]:
    tables = _tables()
    Scheduler([system]).step(tables, KeyedRng(0), EventQueue(), config, 1)
    return tables


def test_a_system_writes_its_declared_columns():
    def run(ctx: SystemContext) -> dict[str, np.ndarray]:
        return {"macro.cpi": ctx.col("macro.cpi") + 2.0}

    tables = _step(System("s", frozenset(), frozenset({"macro.cpi"}), run))
    assert tables["macro"]["cpi"][0] == 2.0


def test_a_write_outside_the_write_set_is_refused():
    system = System("s", frozenset(), frozenset(), lambda ctx: {"macro.cpi": np.ones(1)})
    with pytest.raises(RuntimeError, match=r"system s wrote macro\.cpi outside its write set"):
        _step(system)


def test_reading_an_undeclared_column_is_refused():
    system = System("s", frozenset(), frozenset(), lambda ctx: {"x": ctx.col("macro.cpi")})
    with pytest.raises(KeyError, match=r"did not declare macro\.cpi"):
        _step(system)


def test_columns_are_read_only_views():
    def run(ctx: SystemContext) -> dict[str, np.ndarray]:
        ctx.col("macro.cpi")[0] = 1.0
        return {}

    with pytest.raises(ValueError, match="read-only"):
        _step(System("s", frozenset({"macro.cpi"}), frozenset(), run))


def test_a_disabled_system_is_skipped():
    system = System(
        "s", frozenset(), frozenset({"macro.cpi"}), lambda ctx: {"macro.cpi": np.ones(1)},
        enabled=lambda config: False,
    )
    assert _step(system)["macro"]["cpi"][0] == 0.0

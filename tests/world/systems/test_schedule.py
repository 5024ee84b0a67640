"""The tick order is the spec's, and each system's declared write set is exactly what it writes."""

from dataclasses import replace

from daedalus.world import World
from daedalus.world.systems import SYSTEMS
from tests.world.conftest import small_config

SPEC_ORDER = [
    "environment", "demography", "production", "labour_market", "goods_market", "finance",
    "government", "trade", "energy", "media", "health", "bookkeeping",
]


def test_systems_run_in_the_specs_order():
    assert [s.name for s in SYSTEMS] == SPEC_ORDER


def test_every_declared_write_is_written_and_nothing_else():
    written: dict[str, set[str]] = {}

    def spy(system):
        def run(ctx):
            writes = system.run(ctx)
            written[system.name] = set(writes)
            return writes
        return replace(system, run=run)

    world = World(small_config(trade={"conflict": True}))
    world.scheduler.systems = [spy(s) for s in SYSTEMS]
    world.step()
    assert set(written) == set(SPEC_ORDER)
    for system in SYSTEMS:
        assert written[system.name] == set(system.writes), system.name

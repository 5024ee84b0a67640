"""Pins the public surface: a name added or removed here is a deliberate API change."""

import importlib

import pytest

EXPECTED = {
    "daedalus.agents": [],
    "daedalus.graphs": [],
    "daedalus.testing": [],
    "daedalus.llm": ["ActionType", "Capability"],
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_all_is_pinned(module_name):
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(EXPECTED[module_name])
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} is exported but missing"


def test_top_level_all_is_sorted_and_present():
    import daedalus

    for name in daedalus.__all__:
        assert hasattr(daedalus, name)

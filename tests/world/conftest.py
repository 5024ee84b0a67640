"""Small worlds for tests: the tiny_island preset scaled down to a few thousand persons."""

from __future__ import annotations

from typing import Any

import pytest

from daedalus.world import World, WorldConfig, load_preset


def small_config(persons: int = 2000, firms: int = 120, **changes: Any) -> WorldConfig:
    """tiny_island on a 32 x 16 grid with ``persons`` and ``firms``; ``changes`` replace
    top-level sections (as dicts) or fields."""
    base = load_preset("tiny_island")
    data = base.model_dump()
    data["spatial"].update(width_tiles=32, height_tiles=16)
    data["population"]["persons"] = persons
    data["economy"]["firms"] = firms
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return WorldConfig.model_validate(data)


@pytest.fixture
def config() -> WorldConfig:
    return small_config()


@pytest.fixture
def world(config: WorldConfig) -> World:
    return World(config)

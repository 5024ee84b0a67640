"""A small preset file for grounding tests (tiny_island scaled down, a few ticks each)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.world.conftest import small_config


def write_small_preset(factory: pytest.TempPathFactory) -> str:
    """The path of a preset YAML with 2,000 persons and 120 firms, written once a session."""
    path = factory.getbasetemp() / "grounding" / "small_island.yaml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = small_config().model_dump(mode="json")
        data["name"] = "small_island"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(Path(path))

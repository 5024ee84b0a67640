"""A small preset file for grounding tests (tiny_island scaled down, a few ticks each)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.world.conftest import small_config


@pytest.fixture(scope="session")
def small_preset(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The path of a preset YAML with 2,000 persons and 120 firms."""
    path = Path(tmp_path_factory.mktemp("grounding")) / "small_island.yaml"
    data = small_config().model_dump(mode="json")
    data["name"] = "small_island"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)

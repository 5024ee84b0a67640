from __future__ import annotations

import pytest

from tests.world.grounding.support import write_small_preset


@pytest.fixture(scope="session")
def small_preset(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The path of a small preset YAML (see ``support``)."""
    return write_small_preset(tmp_path_factory)

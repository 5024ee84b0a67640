"""Fixtures of the service tests: one finished run shared by the read-only tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.service.support import Served, served


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    """An app whose store holds one completed board_meeting run (its id second)."""
    with pytest.MonkeyPatch.context() as env, served(tmp_path_factory.mktemp("store")) as app:
        env.delenv("OPENROUTER_API_KEY", raising=False)
        response = app.post("/api/v1/runs", {"template": "board_meeting", "seed": 3})
        assert response.status_code == 202, response.text
        app.drain()
        yield app, response.json()["run_id"]


@pytest.fixture
def fresh(tmp_path) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    with served(tmp_path) as app:
        yield app

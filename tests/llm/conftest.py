"""Fixtures of the HTTP tests: the fake OpenRouter mounted with respx, and the waits a router asked for."""

from __future__ import annotations

import pytest
import respx

from tests.llm.openrouter_support import URL, FakeOpenRouter


@pytest.fixture
def server():
    fake = FakeOpenRouter()
    with respx.mock(assert_all_called=False) as mock:
        mock.post(URL).mock(side_effect=fake)
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []

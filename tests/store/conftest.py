import pytest

from daedalus.store import MemoryRunStore, SqliteRunStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    """Each conformance test runs once per store implementation."""
    if request.param == "memory":
        yield MemoryRunStore()
        return
    with SqliteRunStore.at(tmp_path / "store") as sqlite_store:
        yield sqlite_store

import pytest

from daedalus.store import MemoryRunStore, SqliteRunStore, open_store
from tests.postgres import empty_tables, server_url


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request, tmp_path):
    """Each conformance test runs once per store implementation (PostgreSQL in the session's
    schema, emptied before each test)."""
    if request.param == "memory":
        yield MemoryRunStore()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        with open_store(url) as opened:
            empty_tables(server_url(), opened.target.schema)
            yield opened.runs
        return
    with SqliteRunStore.at(tmp_path / "store") as sqlite_store:
        yield sqlite_store

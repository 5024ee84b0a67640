"""Suite-wide settings: no test of ours may reach a real host.

Every collected test carries the ``block_network`` marker of the daedalus pytest plugin, so
any connection to a non-local address fails with ``NetworkBlockedError`` during setup, call
and teardown. ``pytester`` is enabled for the plugin's own tests; ``postgres_url`` gives tests
a PostgreSQL store of their own.
"""

from collections.abc import Iterator

import pytest

from tests.postgres import fresh_schema, reachable_server

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL store URL in a schema made for this test session and dropped after it
    (skipped where no server is reachable, unless ``CI`` is set; see ``tests.postgres``)."""
    with fresh_schema(reachable_server()) as url:
        yield url


def pytest_configure(config: pytest.Config) -> None:
    manager = config.pluginmanager
    if not (manager.has_plugin("daedalus") or manager.has_plugin("daedalus.testing.plugin")):
        raise pytest.UsageError(
            "the daedalus pytest plugin is not loaded: install the package "
            "(pip install -e '.[dev]') or run pytest with -p daedalus.testing.plugin"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.block_network)

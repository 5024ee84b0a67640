"""A PostgreSQL server for tests that need one, in a schema of their own.

``DAEDALUS_TEST_POSTGRES`` names the server (default: the local one on 127.0.0.1:5432, as on
CI). Where none is reachable the tests that need it are skipped with the reason, unless the
environment variable ``CI`` is set: there they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER_ENV = "DAEDALUS_TEST_POSTGRES"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"

RUN_TABLES = (
    "runs", "records", "entities", "timepoints", "exposures", "dialogs", "calls", "mechanisms",
    "validation", "leases", "answers", "ledger", "checkpoints", "checkpoint_blobs",
    "checkpoint_writes",
)


def server_url() -> str:
    return os.environ.get(SERVER_ENV, "").strip() or DEFAULT_SERVER


def reachable_server() -> str:
    """The server's URL, or skip (fail when ``CI`` is set) when it cannot be reached."""
    import psycopg

    url = server_url()
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"no PostgreSQL server reachable at {url} ({' '.join(str(exc).split())})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so tests that need it fail instead of skipping")
        pytest.skip(reason)
    return url


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A store URL in a schema of its own, dropped with everything in it afterwards."""
    import psycopg

    schema = f"daedalus_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}schema={schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


def empty_tables(url: str, schema: str) -> None:
    """Delete every row of a store's tables (its schema stays)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f'SET search_path = "{schema}"; TRUNCATE {", ".join(RUN_TABLES)}'.encode()
        )

"""Store locations as text: which kind they name, and passwords masked before showing."""

from pathlib import Path

import pytest

from daedalus.errors import ConfigError
from daedalus.store import STORE_ENV, store_dir
from daedalus.store._url import is_postgres_url, mask_url, sqlite_directory


def test_kinds_are_told_apart():
    assert is_postgres_url("postgresql://h/db") and is_postgres_url("POSTGRES://h/db")
    assert not is_postgres_url("sqlite:///runs") and not is_postgres_url("runs/postgresql")


def test_sqlite_urls_name_a_directory_relative_or_absolute():
    assert sqlite_directory("sqlite:///runs/here") == Path("runs/here")
    assert sqlite_directory("sqlite:////srv/runs") == Path("/srv/runs")
    with pytest.raises(ConfigError, match="unsupported scheme 'mysql'"):
        sqlite_directory("mysql://u:pw@h/db")
    with pytest.raises(ConfigError, match="names no directory"):
        sqlite_directory("sqlite://")


def test_passwords_are_masked_in_the_user_part_and_the_query():
    assert mask_url("postgresql://ann:pw@h:5432/db?schema=x") == (
        "postgresql://ann:***@h:5432/db?schema=x"
    )
    assert "pw" not in mask_url("postgresql://h/db?user=ann&password=pw")
    assert mask_url("postgresql://ann@h/db") == "postgresql://ann@h/db"
    assert mask_url("runs/dir") == "runs/dir"


def test_a_store_url_keeps_local_files_in_the_default_directory():
    assert store_dir("postgresql://h/db") == Path("daedalus_runs")
    assert store_dir(None, environ={STORE_ENV: "postgresql://h/db"}) == Path("daedalus_runs")
    assert store_dir("sqlite:///elsewhere") == Path("elsewhere")

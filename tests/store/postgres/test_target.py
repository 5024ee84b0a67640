"""A PostgreSQL store URL is read into a connection and a schema, or refused in one line."""

import pytest

from daedalus.errors import ConfigError
from daedalus.store.postgres._target import DEFAULT_SCHEMA, parse_target


def test_the_schema_comes_from_the_query_then_the_search_path_then_the_default():
    assert parse_target("postgresql://u@h/db?schema=mine").schema == "mine"
    assert parse_target("postgresql://u@h/db?options=-csearch_path%3Dtheirs").schema == "theirs"
    assert parse_target("postgres://u@h/db").schema == DEFAULT_SCHEMA == "daedalus"


def test_every_connection_searches_the_schema_alone():
    target = parse_target("postgresql://u@h:5433/db?schema=mine&sslmode=disable")
    assert "schema" not in target.conninfo and "sslmode=disable" in target.conninfo
    assert target.connect_options() == "-c search_path=mine"
    assert "search_path=mine" in target.conninfo_for()


def test_the_password_is_masked_in_what_is_shown():
    target = parse_target("postgresql://ann:s3cret@h/db?schema=x")
    assert "s3cret" not in target.shown and "ann:***@h" in target.shown
    assert "s3cret" in target.conninfo  # still used to connect


@pytest.mark.parametrize(("url", "fragment"), [
    ("postgresql://ann:s3cret@h:notaport/db", "cannot be read"),
    ("postgresql://ann:s3cret@h/db?schema=1bad", "names schema '1bad'"),
    ("postgresql://ann:s3cret@h/db?schema=a;drop", "expected a plain name"),
    ("postgresql://ann:s3cret@h/db?bogus=1", "cannot be read"),
])
def test_a_malformed_url_is_one_line_naming_it_masked(url, fragment):
    with pytest.raises(ConfigError) as caught:
        parse_target(url)
    message = str(caught.value)
    assert fragment in message and "ann:***@h" in message
    assert "s3cret" not in message and "\n" not in message

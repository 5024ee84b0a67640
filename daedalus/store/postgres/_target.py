"""A PostgreSQL store URL taken apart: what to connect to, and the schema its tables live in.

The schema comes from the URL's ``schema`` query parameter (ours; removed before libpq sees
the URL), else from ``options=-csearch_path=NAME``, else ``daedalus``. Every connection is
opened with ``search_path`` set to that schema alone, so the run tables and LangGraph's
checkpoint tables of one store never meet another store's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from daedalus.errors import ConfigError
from daedalus.store._url import is_postgres_url, mask_url

__all__ = ["CONNECT_TIMEOUT_S", "DEFAULT_SCHEMA", "PostgresTarget", "parse_target"]

DEFAULT_SCHEMA = "daedalus"
"""The schema a store URL without ``schema=`` or a ``search_path`` option uses."""

CONNECT_TIMEOUT_S = 10
"""Seconds to wait for the server before the store is reported unreachable."""

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([^\s,]+)")


@dataclass(frozen=True)
class PostgresTarget:
    """Where a PostgreSQL store lives. ``conninfo`` holds any password: never show it;
    ``shown`` is the URL with the password masked."""

    conninfo: str
    schema: str
    shown: str

    def connect_options(self) -> str:
        """The ``options`` every connection of this store is opened with."""
        given = conninfo_to_dict(self.conninfo).get("options") or ""
        kept = _SEARCH_PATH.sub("", str(given)).strip()
        return f"{kept} -c search_path={self.schema}".strip()

    def conninfo_for(self) -> str:
        """The connection string with the schema's ``search_path`` and a connect timeout."""
        return make_conninfo(
            self.conninfo, options=self.connect_options(), connect_timeout=CONNECT_TIMEOUT_S
        )


def parse_target(url: str) -> PostgresTarget:
    """The target of ``postgresql://...``; ``ConfigError`` naming the (masked) URL and what
    was expected when it cannot be read."""
    shown = mask_url(url)
    if not is_postgres_url(url):
        raise ConfigError(f"store URL {shown} is not a PostgreSQL URL; expected postgresql://...")
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # a port that is not a number raises here
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as exc:
        raise ConfigError(f"store URL {shown} cannot be read ({exc}); {_EXPECTED}") from None
    schemas = [value for key, value in pairs if key == "schema"]
    rest = [(key, value) for key, value in pairs if key != "schema"]
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
    try:
        settings = conninfo_to_dict(conninfo)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"store URL {shown} cannot be read ({reason}); {_EXPECTED}") from None
    from_options = _SEARCH_PATH.search(str(settings.get("options") or ""))
    schema = schemas[-1] if schemas else (
        from_options.group(1).split(",")[0].strip('"') if from_options else DEFAULT_SCHEMA
    )
    if not _SCHEMA_NAME.match(schema):
        raise ConfigError(
            f"store URL {shown} names schema {schema!r}; expected a plain name (letters, "
            "digits and _, at most 63, not starting with a digit)"
        )
    return PostgresTarget(conninfo=conninfo, schema=schema, shown=shown)


_EXPECTED = "expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]"

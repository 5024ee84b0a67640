"""Store locations written as text: a directory, ``sqlite:///dir`` or ``postgresql://...``.

Nothing here connects anywhere or imports a database driver; it only tells the kinds apart
and masks the password of a URL before it is shown or recorded.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from daedalus.errors import ConfigError

__all__ = [
    "POSTGRES_SCHEMES",
    "is_postgres_url",
    "is_url",
    "mask_url",
    "sqlite_directory",
]

POSTGRES_SCHEMES = ("postgresql", "postgres")
"""URL schemes that name a PostgreSQL store (the two libpq accepts)."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_MASK = "***"
_SECRET_PARAMS = frozenset({"password", "sslpassword"})


def is_url(text: str) -> bool:
    """True when ``text`` starts with ``scheme://`` (a URL, not a path)."""
    return _SCHEME.match(text.strip()) is not None


def _scheme(text: str) -> str:
    found = _SCHEME.match(text.strip())
    return found.group(1).lower() if found else ""


def is_postgres_url(text: str) -> bool:
    """True for ``postgresql://...`` and ``postgres://...``."""
    return _scheme(text) in POSTGRES_SCHEMES


def sqlite_directory(url: str) -> Path:
    """The store directory of ``sqlite:///relative/dir`` or ``sqlite:////absolute/dir``;
    ``ConfigError`` for any other URL (naming it, masked)."""
    scheme = _scheme(url)
    if scheme != "sqlite":
        raise ConfigError(
            f"store URL {mask_url(url)} has an unsupported scheme {scheme!r}; expected a "
            "directory, sqlite:///DIR or postgresql://USER@HOST/DATABASE"
        )
    rest = url.strip()[len("sqlite://"):]
    if not rest.startswith("/") or rest == "/":
        raise ConfigError(
            f"store URL {mask_url(url)} names no directory; expected sqlite:///relative/dir "
            "or sqlite:////absolute/dir"
        )
    return Path(rest[1:])


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (in the user part and in the query), so
    it can be printed or stored; text that is not a URL comes back unchanged."""
    if not is_url(url):
        return url
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        if "@" in netloc:
            users, _, hosts = netloc.rpartition("@")
            user, colon, _password = users.partition(":")
            netloc = f"{user}:{_MASK}@{hosts}" if colon else f"{user}@{hosts}"
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(
            [(k, _MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*=-/"
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:  # too broken to take apart: show the scheme only
        return f"{_scheme(url)}://{_MASK}"

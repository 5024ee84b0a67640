"""API keys: created by ``daedalus keys create``, stored hashed, scoped ``read`` or ``write``.

A key is ``dk_<id>_<secret>``: the id (8 hex) names it in listings and revocations, the secret
(43 url-safe characters, 256 bits) proves it. Only the SHA-256 of the whole key is stored, so a
key is shown once, when it is created, and can never be read back. A key carries a request rate
(per minute) and, optionally, a daily spending quota in dollars that the ledger enforces.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from daedalus.errors import ConfigError
from daedalus.service._db import Database

__all__ = [
    "DEFAULT_RATE_PER_MINUTE",
    "SCOPES",
    "ApiKey",
    "KeyStore",
    "Scope",
    "hash_key",
]

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
"""``read`` lists and reads; ``write`` also submits runs, batches and branches."""

DEFAULT_RATE_PER_MINUTE = 600
"""Requests a key may make per minute unless created with another rate."""

_PREFIX = "dk_"


def hash_key(token: str) -> str:
    """The stored form of a key: its SHA-256 in hex (keys are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiKey(BaseModel):
    """A key as stored: never the key itself."""

    model_config = ConfigDict(frozen=True)

    id: str
    scope: Scope
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    rate_per_minute: int
    quota_usd_per_day: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, needed: Scope) -> bool:
        """True when this key's scope covers ``needed`` (write covers read)."""
        return self.scope == "write" or needed == "read"


def _key_of(row: tuple[object, ...]) -> ApiKey:
    key_id, scope, name, created, revoked, rate, quota = row
    return ApiKey(
        id=str(key_id), scope=scope, name=str(name),
        created_at=datetime.fromisoformat(str(created)),
        revoked_at=None if revoked is None else datetime.fromisoformat(str(revoked)),
        rate_per_minute=int(rate),  # type: ignore[call-overload]
        quota_usd_per_day=None if quota is None else float(quota),  # type: ignore[arg-type]
    )


_COLUMNS = "id, scope, name, created_at, revoked_at, rate_per_minute, quota_usd_per_day"


class KeyStore:
    """The keys of one service database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        scope: str,
        *,
        name: str = "",
        rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
        quota_usd_per_day: float | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key and its secret token (returned this once, never stored)."""
        if scope not in SCOPES:
            raise ConfigError(f"unknown key scope {scope!r}; expected read or write")
        if rate_per_minute < 1:
            raise ConfigError(f"a key's rate is a positive count per minute, got {rate_per_minute}")
        if quota_usd_per_day is not None and quota_usd_per_day < 0:
            raise ConfigError(f"a quota is dollars a day (0 or more), got {quota_usd_per_day}")
        key_id = secrets.token_hex(4)
        token = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            id=key_id, scope=scope, name=name, created_at=datetime.now(UTC),
            rate_per_minute=rate_per_minute, quota_usd_per_day=quota_usd_per_day,
        )
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO keys (id, hash, scope, name, created_at, revoked_at, "
                "rate_per_minute, quota_usd_per_day) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                (key.id, hash_key(token), key.scope, key.name, key.created_at.isoformat(),
                 key.rate_per_minute, key.quota_usd_per_day),
            )
        return key, token

    def list(self) -> list[ApiKey]:
        """Every key, oldest first, revoked ones included."""
        with self.db.read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM keys ORDER BY created_at").fetchall()
        return [_key_of(row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key by its id (or the whole key); ``ConfigError`` for an unknown one."""
        wanted = key_id.removeprefix(_PREFIX).split("_")[0]
        with self.db.write() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM keys WHERE id = ?", (wanted,)).fetchone()
            if row is None:
                raise ConfigError(f"no API key {wanted!r}; list them with `daedalus keys list`")
            if row[4] is None:
                conn.execute(
                    "UPDATE keys SET revoked_at = ? WHERE id = ?",
                    (datetime.now(UTC).isoformat(), wanted),
                )
        return self.get(wanted)

    def get(self, key_id: str) -> ApiKey:
        with self.db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            raise ConfigError(f"no API key {key_id!r}")
        return _key_of(row)

    def verify(self, token: str) -> ApiKey | None:
        """The active key whose secret is ``token``, else ``None`` (unknown or revoked)."""
        if not token.startswith(_PREFIX) or len(token) > 128:
            return None
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM keys WHERE hash = ?", (hash_key(token),)
            ).fetchone()
        if row is None:
            return None
        key = _key_of(row)
        return key if key.active else None

"""API keys: random, stored only as a hash, scoped, revocable."""

from __future__ import annotations

import pytest

from daedalus.errors import ConfigError
from daedalus.service import KeyStore, ServiceDb
from daedalus.service.keys import hash_key


@pytest.fixture
def keys(tmp_path) -> KeyStore:
    return KeyStore(ServiceDb(tmp_path / "service.sqlite"))


def test_a_key_is_shown_once_and_only_its_hash_is_kept(keys: KeyStore, tmp_path):
    key, token = keys.create("write", name="ci", rate_per_minute=5, quota_usd_per_day=1.5)
    assert token.startswith(f"dk_{key.id}_") and len(token) > 40
    assert keys.verify(token) == key and key.allows("write") and key.allows("read")
    keys.db.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert token.encode() not in stored
    assert hash_key(token).encode() in stored
    listed = keys.list()
    assert [k.id for k in listed] == [key.id]
    assert token not in repr(listed) and token not in listed[0].model_dump_json()


def test_scopes_wrong_keys_and_revocation(keys: KeyStore):
    reader, token = keys.create("read")
    assert reader.allows("read") and not reader.allows("write")
    assert keys.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert keys.verify("not-a-key") is None and keys.verify("dk_" + "x" * 500) is None
    revoked = keys.revoke(reader.id)
    assert revoked.revoked_at is not None and not revoked.active
    assert keys.verify(token) is None
    assert keys.revoke(token).revoked_at == revoked.revoked_at  # by the whole key, idempotent


@pytest.mark.parametrize(
    ("scope", "options", "words"),
    [("admin", {}, "unknown key scope"), ("read", {"rate_per_minute": 0}, "rate"),
     ("read", {"quota_usd_per_day": -1.0}, "quota")],
)
def test_bad_key_options_are_config_errors(keys: KeyStore, scope, options, words):
    with pytest.raises(ConfigError, match=words):
        keys.create(scope, **options)
    assert keys.list() == []


def test_revoking_an_unknown_key_is_a_config_error(keys: KeyStore):
    with pytest.raises(ConfigError, match="no API key 'deadbeef'"):
        keys.revoke("deadbeef")

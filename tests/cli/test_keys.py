"""``daedalus keys``: create (shown once), list (never the key), revoke."""

from __future__ import annotations

import json

from daedalus.service import KeyStore, ServiceDb
from tests.cli.support import invoke, one_error_line


def test_create_list_and_revoke(tmp_path):
    created = invoke("keys", "create", "--scope", "write", "--name", "ci", "--store", tmp_path)
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("dk_") and "shown once" in created.stderr
    keys = KeyStore(ServiceDb(tmp_path / "service.sqlite"))
    key = keys.verify(token)
    assert key is not None and key.scope == "write" and key.name == "ci"
    listed = invoke("keys", "list", "--store", tmp_path, "--json")
    assert [k["id"] for k in json.loads(listed.stdout)] == [key.id]
    assert token not in listed.stdout
    table = invoke("keys", "list", "--store", tmp_path)
    assert key.id in table.stdout and token not in table.stdout
    revoked = invoke("keys", "revoke", key.id, "--store", tmp_path)
    assert revoked.exit_code == 0 and key.id in revoked.stdout
    assert keys.verify(token) is None


def test_bad_scopes_and_unknown_keys_are_one_line_errors(tmp_path):
    bad = invoke("keys", "create", "--scope", "admin", "--store", tmp_path)
    assert bad.exit_code == 2 and "unknown key scope" in one_error_line(bad)
    unknown = invoke("keys", "revoke", "deadbeef", "--store", tmp_path)
    assert unknown.exit_code == 2 and "no API key" in one_error_line(unknown)
    assert invoke("keys", "list", "--store", tmp_path, "--json").stdout.strip() == "[]"


def test_an_unreachable_postgres_store_is_one_line_with_its_password_masked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = "postgresql://someone:hunter2@127.0.0.1:1/test"
    refused = invoke("keys", "create", "--store", url)
    line = one_error_line(refused)
    assert refused.exit_code != 0 and "127.0.0.1" in line
    assert "hunter2" not in refused.output and "***" in line

"""``--store postgresql://...``: a whole offline run kept in PostgreSQL, interrupted, resumed
and read back through the command line; a store URL that cannot be used is refused first."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from daedalus.cli._progress import RunProgress
from daedalus.store import open_store
from tests.cli.support import invoke, one_error_line
from tests.cli.test_run import interrupting

SECRET = "s3cret-pw"


def with_password(url: str) -> str:
    """``url`` with a password added (the local test server trusts its users, so any works)."""
    parts = urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    netloc = f"{user.partition(':')[0]}:{SECRET}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def test_an_interrupted_run_in_postgres_resumes_and_reads_back(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = with_password(postgres_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(RunProgress, "__call__", interrupting(KeyboardInterrupt()))
    stopped = invoke("run", "convergence_simple", "--store", url, "--seed", "5")
    assert stopped.exit_code == 130
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith("error: interrupted; resume with: daedalus resume run_")
    run_id = last.rsplit(" ", 1)[-1]
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)

    listed = invoke("runs", "--json", DAEDALUS_HOME=url)  # the store from the environment
    assert listed.exit_code == 0, listed.output
    (summary,) = [s for s in json.loads(listed.stdout) if s["id"] == run_id]
    assert summary["status"] == "interrupted" and summary["timepoints"] >= 1

    resumed = invoke("resume", run_id, "--store", url, "--json", "--no-export")
    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.stdout)
    assert data["resumed"] is True and data["status"] == "completed"
    # no call paid twice: answers paid before the interruption come from the store's cache
    # unless the store's checkpoint already holds them (then they are not asked again at all)
    whole = invoke("run", "convergence_simple", "--store", tmp_path / "whole", "--seed", "5",
                   "--json", "--no-export")
    assert data["calls"] - data["cache_hits"] <= json.loads(whole.stdout)["calls"]
    assert data["store"].startswith("postgresql://") and ":***@" in data["store"]

    table = invoke("runs", "--store", url)
    assert table.exit_code == 0 and run_id in table.stdout and "completed" in table.stdout

    out = tmp_path / "exports"
    exported = invoke("export", "last", "--store", url, "--out", out, "--format", "json")
    assert exported.exit_code == 0, exported.output
    written = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert written["run"]["id"] == run_id
    assert sum(1 for tp in written["timepoints"] if "." not in tp["id"]) == 2

    with open_store(url) as store:
        record = store.runs.load_record(run_id)
        ledger = store.call_log(run_id).read()
    assert record.run.status == "completed" and len(record.ledger) == len(ledger) > 0
    everything = " ".join(
        [record.model_dump_json(), json.dumps(written)]
        + [r.output for r in (stopped, listed, resumed, table, exported)]
    )
    assert SECRET not in everything  # credentials are never printed or stored
    assert not (tmp_path / "daedalus_runs" / "runs.sqlite").exists()


@pytest.mark.parametrize(("store", "fragment"), [
    (f"postgresql://ann:{SECRET}@127.0.0.1:1/db", "cannot use the store postgresql://ann:***@"),
    (f"postgresql://ann:{SECRET}@127.0.0.1:port/db", "store URL postgresql://ann:***@"),
    (f"mysql://ann:{SECRET}@host/db", "unsupported scheme 'mysql'"),
])
def test_a_store_url_that_cannot_be_used_is_one_line_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str, fragment: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["run", "convergence_simple"], ["runs"], ["resume", "last"]):
        result = invoke(*args, "--store", store)
        assert result.exit_code == 2, result.output
        line = one_error_line(result)
        assert fragment in line and SECRET not in result.output
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written

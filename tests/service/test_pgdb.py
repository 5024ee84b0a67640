"""The service on a PostgreSQL store: its tables in the database, a queue two workers share
without claiming a job twice, and a run submitted, carried out and read back over the API.

Uses the server at 127.0.0.1:5432 (``DAEDALUS_TEST_PG`` to point elsewhere), each test in a
schema of its own; skipped with the reason where none is reachable, unless ``CI`` is set.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest

from daedalus.service import JobQueue, KeyStore, Worker
from daedalus.store import StoreLayout
from tests.service.support import served

URL = os.environ.get("DAEDALUS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    try:
        import psycopg

        with psycopg.connect(URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and no PostgreSQL server answers at {URL}: {exc}")
        pytest.skip(f"no PostgreSQL server at {URL}: {type(exc).__name__}")
    schema = f"svc_{uuid.uuid4().hex[:10]}"
    yield f"{URL}?schema={schema}"
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"DROP SCHEMA IF EXISTS {schema}_service CASCADE")


def test_the_service_tables_live_in_postgresql_and_two_workers_never_share_a_job(pg_url):
    from daedalus.service._pgdb import PgServiceDb

    db = PgServiceDb(pg_url)
    queue, keys = JobQueue(db), KeyStore(db)
    key, token = keys.create("write", name="pg")
    assert keys.verify(token) == key and keys.verify(token + "x") is None
    jobs = queue.submit_many([("run", f"run_{n}", {"template": "board_meeting"}) for n in range(20)])
    claimed: list[str] = []
    lock = threading.Lock()

    def drain(owner: str) -> None:
        own = PgServiceDb(pg_url)  # its own connections, as another process has
        other = JobQueue(own)
        while (taken := other.claim(owner)) is not None:
            with lock:
                claimed.append(taken[0].id)
        own.close()

    threads = [threading.Thread(target=drain, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(job.id for job in jobs)  # each job once, none lost
    numbers = [queue.append_event("run_0", {"event": "x"}) for _ in range(3)]
    assert numbers == [2, 3, 4]  # after the queued event
    import psycopg

    with psycopg.connect(URL) as conn:
        stored = conn.execute(f"SELECT hash FROM {db.schema}.keys").fetchall()
    assert stored and all(token not in row[0] for row in stored)  # only the hash is kept
    db.close()


def test_a_run_is_submitted_carried_out_and_read_on_a_postgresql_store(pg_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # local files of a PostgreSQL store go to ./daedalus_runs
    with served(pg_url) as app:  # type: ignore[arg-type]
        submitted = app.post("/api/v1/runs", {"template": "board_meeting", "seed": 2})
        assert submitted.status_code == 202, submitted.text
        run_id = submitted.json()["run_id"]
        worker = Worker(StoreLayout.at(pg_url), queue=app.service.queue, source=pg_url)
        assert worker.run_once()
        view = app.get(f"/api/v1/runs/{run_id}").json()
        assert view["status"] == "completed" and view["timepoints"] > 0
        assert [r["id"] for r in app.get("/api/v1/runs").json()["items"]] == [run_id]
        assert "event: completed" in app.get(f"/api/v1/runs/{run_id}/events").text
        assert app.get(f"/api/v1/runs/{run_id}/narrative").status_code == 200
    assert not (tmp_path / "daedalus_runs" / "runs.sqlite").exists()  # the runs are in PG
    assert not (tmp_path / "daedalus_runs" / "service.sqlite").exists()


def test_keys_are_created_on_the_command_line_in_the_postgresql_store(pg_url, tmp_path, monkeypatch):
    from tests.cli.support import invoke

    monkeypatch.chdir(tmp_path)
    created = invoke("keys", "create", "--scope", "read", "--store", pg_url)
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().split()[-1]
    from daedalus.service._pgdb import PgServiceDb

    db = PgServiceDb(pg_url)
    assert KeyStore(db).verify(token) is not None
    db.close()

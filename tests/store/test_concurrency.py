"""Several threads or processes saving different runs into one store at once."""

import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from daedalus.store import MemoryRunStore, SqliteRunStore
from tests.store.records import START, sample_record

ROOT = Path(__file__).resolve().parents[2]

# Each writer grows its run checkpoint by checkpoint, as a runner does, then marks it done.
WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from daedalus.store import SqliteRunStore
    from tests.store.records import sample_record

    path, run_id, start = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    store = SqliteRunStore(path)
    full = sample_record(run_id, started_at=start)
    running = full.run.model_copy(update={"status": "running", "completed_at": None})
    store.create_run(running)
    for size in range(len(full.ledger) + 1):
        store.save_record(full.model_copy(update={"run": running, "ledger": full.ledger[:size]}))
    store.save_record(full.model_copy(update={"run": running}))
    store.update_status(run_id, "completed", completed_at=full.run.completed_at)
    store.close()
    """
)


def _grow(store, run_id, start, barrier):
    full = sample_record(run_id, started_at=start)
    running = full.run.model_copy(update={"status": "running", "completed_at": None})
    barrier.wait()
    store.create_run(running)
    for size in range(len(full.ledger) + 1):
        store.save_record(full.model_copy(update={"run": running, "ledger": full.ledger[:size]}))
        store.list_runs()
    store.save_record(full.model_copy(update={"run": running}))
    store.update_status(run_id, "completed", completed_at=full.run.completed_at)


@pytest.mark.parametrize("kind", ["memory", "sqlite-shared", "sqlite-per-thread"])
def test_threads_writing_different_runs_leave_every_run_intact(tmp_path, kind):
    shared = MemoryRunStore() if kind == "memory" else SqliteRunStore(tmp_path / "runs.sqlite")
    ids = [f"run-{n:02d}" for n in range(6)]
    starts = [START + timedelta(minutes=n) for n in range(6)]
    barrier = threading.Barrier(len(ids))
    errors = []

    def work(run_id, start):
        try:
            if kind == "sqlite-per-thread":
                with SqliteRunStore(tmp_path / "runs.sqlite") as own:
                    _grow(own, run_id, start, barrier)
            else:
                _grow(shared, run_id, start, barrier)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in zip(ids, starts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reader = shared if kind != "sqlite-per-thread" else SqliteRunStore(tmp_path / "runs.sqlite")
    for run_id, start in zip(ids, starts, strict=True):
        assert reader.load_record(run_id) == sample_record(run_id, started_at=start)
    assert [s.id for s in reader.list_runs()] == list(reversed(ids))
    assert all(s.calls == 4 and s.status == "completed" for s in reader.list_runs())
    for opened in {id(shared): shared, id(reader): reader}.values():
        if isinstance(opened, SqliteRunStore):
            opened.close()


def test_two_processes_writing_two_runs_into_one_fresh_store(tmp_path):
    # Neither process finds the store: both create it, switch it to WAL and write at once.
    path = tmp_path / "store" / "runs.sqlite"
    runs = {"run-p1": START, "run-p2": START + timedelta(hours=1)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), run_id, start.isoformat()],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for run_id, start in runs.items()
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with SqliteRunStore(path) as store:
        for run_id, start in runs.items():
            assert store.load_record(run_id) == sample_record(run_id, started_at=start)
        assert [s.id for s in store.list_runs()] == ["run-p2", "run-p1"]


# Each contender waits for a go file, then asks for the lease once and prints what it got.
CONTENDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from daedalus.errors import RunBusyError
    from daedalus.store import SqliteRunStore

    path, owner, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    store = SqliteRunStore(path)
    store.list_runs()
    while not go.exists():
        time.sleep(0.005)
    try:
        store.acquire_lease("run-0001", owner, ttl_s=60)
        print("won")
    except RunBusyError as exc:
        print("busy", exc)
    store.close()
    """
)


def test_processes_racing_for_one_lease_leave_exactly_one_owner(tmp_path):
    path = tmp_path / "runs.sqlite"
    with SqliteRunStore(path) as store:
        store.create_run(sample_record().run)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, str(path), f"host:{100 + i}:t{i}", str(go)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(4)
    ]
    time.sleep(0.5)
    go.touch()
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(out.strip())
    assert sum(1 for line in outcomes if line == "won") == 1
    assert sum(1 for line in outcomes if line.startswith("busy run 'run-0001' is in use")) == 3
    with SqliteRunStore(path) as store:
        winner = store.lease_of("run-0001").owner
    assert outcomes[int(winner.split(":")[1]) - 100] == "won"

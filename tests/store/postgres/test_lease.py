"""The run lease on PostgreSQL holds across processes: one owner at a time, and the lease of
a process that died is taken over."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from daedalus.errors import RunBusyError
from daedalus.runs._lease import hold_lease
from daedalus.store import open_store
from daedalus.store.lease import owner_is_dead
from tests.store.records import sample_record

ROOT = Path(__file__).resolve().parents[3]

CONTENDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from daedalus.errors import RunBusyError
    from daedalus.store import open_store

    url, run_id, owner, go = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
    with open_store(url) as store:
        store.runs.has_run(run_id)
        while not go.exists():
            time.sleep(0.005)
        try:
            store.runs.acquire_lease(run_id, owner, ttl_s=60)
            print("won")
        except RunBusyError as exc:
            print("busy", exc)
    """
)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from daedalus.store import open_store
    from daedalus.store.lease import new_owner

    url, run_id = sys.argv[1], sys.argv[2]
    store = open_store(url)
    store.runs.acquire_lease(run_id, new_owner(), ttl_s=600)
    print("holding", flush=True)
    time.sleep(600)
    """
)


def _create(url, run_id):
    with open_store(url) as store:
        store.runs.create_run(sample_record(run_id).run)


def test_processes_racing_for_one_lease_leave_exactly_one_owner(postgres_url, tmp_path):
    _create(postgres_url, "race-1")
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, postgres_url, "race-1", f"host:{100 + i}:t{i}",
             str(go)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(2)
    ]
    time.sleep(0.5)
    go.touch()
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(out.strip())
    assert sum(1 for line in outcomes if line == "won") == 1
    assert sum(1 for line in outcomes if line.startswith("busy run 'race-1' is in use")) == 1
    with open_store(postgres_url) as store:
        winner = store.runs.lease_of("race-1").owner
    assert outcomes[int(winner.split(":")[1]) - 100] == "won"


def test_the_lease_of_a_killed_process_is_taken_over_at_once(postgres_url):
    _create(postgres_url, "killed-1")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_url, "killed-1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with open_store(postgres_url) as store:
            held = store.runs.lease_of("killed-1")
            assert held is not None and not owner_is_dead(held.owner)
            try:
                with hold_lease(store, "killed-1"):
                    raise AssertionError("a live process's lease was taken")
            except RunBusyError as busy:
                assert f"process {held.owner.split(':')[1]}" in str(busy)
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=60)
            with hold_lease(store, "killed-1") as mine:
                assert store.runs.lease_of("killed-1").owner == mine.owner != held.owner
            assert store.runs.lease_of("killed-1") is None
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=60)
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()

"""One process at a time works on a run: a second ``resume`` or ``branch`` is refused (or waits),
and the lease of a killed process is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import daedalus.runs as R
from daedalus.errors import ModelUnavailableError, RunBusyError
from daedalus.runs import _api
from daedalus.runs._lease import LEASE_TTL_ENV, hold_lease, lease_ttl
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.lease import Lease
from tests.cli.support import invoke, one_error_line
from tests.runs import failing_after

CLI = "from daedalus.cli import app; app()"
OFFLINE = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER_", "DAEDALUS_"))}


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)


def _interrupted_run(root: Path) -> str:
    """A run stopped before its end (a model failure), its lease free."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_api, "build_router", failing_after(4))
        with pytest.raises(ModelUnavailableError):
            R.run("convergence_simple", store=root, run_id="r1")
    return "r1"


def _hold_elsewhere(root: Path, run_id: str, owner: str, ttl: timedelta) -> None:
    with SqliteRunStore(StoreLayout(root).runs_db) as runs:
        runs.acquire_lease(run_id, owner, ttl.total_seconds())


def test_resume_and_branch_of_a_run_held_by_a_live_process_are_one_line_exit_two(tmp_path):
    run_id = _interrupted_run(tmp_path)
    _hold_elsewhere(tmp_path, run_id, "elsewhere:4242:abc", timedelta(minutes=5))
    before = R.Run(SqliteRunStore(StoreLayout(tmp_path).runs_db).load_record(run_id),
                   StoreLayout(tmp_path)).record
    resumed = invoke("resume", run_id, "--store", tmp_path, "--no-export")
    assert resumed.exit_code == 2
    assert "'r1' is in use by process 4242 on elsewhere" in one_error_line(resumed)
    branched = invoke("branch", run_id, "--at", "tp-000", "--what-if", "x", "--store", tmp_path)
    assert branched.exit_code == 2
    assert "in use by process 4242 on elsewhere" in one_error_line(branched)
    with SqliteRunStore(StoreLayout(tmp_path).runs_db) as runs:
        assert runs.load_record(run_id) == before  # nothing was written
        assert runs.lease_of(run_id).owner == "elsewhere:4242:abc"


def test_an_expired_lease_is_taken_over_and_the_run_finishes(tmp_path, monkeypatch):
    run_id = _interrupted_run(tmp_path)
    monkeypatch.setenv(LEASE_TTL_ENV, "0.2")
    _hold_elsewhere(tmp_path, run_id, "elsewhere:4242:abc", timedelta(seconds=0.2))
    time.sleep(0.3)
    listed = invoke("runs", "--store", tmp_path, "--json")
    assert json.loads(listed.stdout)[0]["status"] == "interrupted"
    finished = R.resume(run_id, store=tmp_path)
    assert finished.status == "completed"
    with SqliteRunStore(StoreLayout(tmp_path).runs_db) as runs:
        assert runs.lease_of(run_id) is None  # released at the end


def test_resume_with_wait_waits_for_the_owner_to_release(tmp_path):
    run_id = _interrupted_run(tmp_path)
    layout = StoreLayout(tmp_path)
    heard: list[str] = []
    with hold_lease(layout, run_id), pytest.raises(RunBusyError, match="in use by process"):
        R.resume(run_id, store=tmp_path)
    # Released: now a waiting resume goes through at once, and one held elsewhere waits.
    with SqliteRunStore(layout.runs_db) as runs:
        runs.acquire_lease(run_id, "elsewhere:1:x", 0.5)
    finished = R.resume(run_id, store=tmp_path, wait=True, on_notice=heard.append)
    assert finished.status == "completed"
    assert any(line.startswith("waiting: run 'r1' is in use by process 1") for line in heard)


def test_a_bad_lease_lifetime_is_a_config_error(monkeypatch):
    from daedalus.errors import ConfigError

    monkeypatch.setenv(LEASE_TTL_ENV, "soon")
    with pytest.raises(ConfigError, match=r"DAEDALUS_LEASE_TTL must be a positive.*'soon'"):
        lease_ttl()


def _wait_for_lease(layout: StoreLayout, process: subprocess.Popen[bytes]) -> tuple[str, Lease]:
    """The id of the run ``process`` started, and its lease, once it holds one."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it was seen holding its lease"
        if layout.runs_db.exists():
            with SqliteRunStore(layout.runs_db) as runs:
                listed = runs.list_runs()
                if listed and (lease := runs.lease_of(listed[0].id)) is not None:
                    return listed[0].id, lease
        time.sleep(0.05)
    raise AssertionError("no lease taken within 60 s")


# Holds a run's lease as a working process would, until told to let go.
HOLDER = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from daedalus.runs._lease import hold_lease\n"
    "from daedalus.store import StoreLayout\n"
    "root, run_id = Path(sys.argv[1]), sys.argv[2]\n"
    "with hold_lease(StoreLayout(root), run_id):\n"
    "    (root / 'held').touch()\n"
    "    while not (root / 'release').exists():\n"
    "        time.sleep(0.02)\n"
)


def test_two_processes_on_one_run_the_second_refused_then_waiting(tmp_path):
    run_id = _interrupted_run(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path), run_id], env=OFFLINE)
    waiting: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "held").exists():
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        waiting = subprocess.Popen(
            [sys.executable, "-c", CLI, "resume", run_id, "--store", str(tmp_path), "--wait",
             "--json"],
            env=OFFLINE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        refused = subprocess.run(
            [sys.executable, "-c", CLI, "resume", run_id, "--store", str(tmp_path)],
            env=OFFLINE, capture_output=True, text=True, timeout=120,
        )
        assert refused.returncode == 2
        (line,) = refused.stderr.strip().splitlines()
        assert line.startswith("error: ") and f"in use by process {holder.pid}" in line
        assert waiting.stderr is not None
        said = waiting.stderr.readline()  # blocks until it says it waits (it cannot go on)
        assert waiting.poll() is None
        (tmp_path / "release").touch()
        out, rest = waiting.communicate(timeout=120)
        err = said + rest
        assert holder.wait(timeout=60) == 0
    finally:
        for process in (holder, waiting):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
    assert waiting.returncode == 0, err
    assert f"waiting: run '{run_id}' is in use by process {holder.pid}" in err
    assert json.loads(out)["resumed"] is True
    with SqliteRunStore(StoreLayout(tmp_path).runs_db) as runs:
        assert runs.load_record(run_id).run.status == "completed"
        assert runs.lease_of(run_id) is None


def test_a_killed_owner_shows_interrupted_and_its_lease_is_taken_at_once(tmp_path):
    layout = StoreLayout(tmp_path)
    first = subprocess.Popen(
        [sys.executable, "-c", CLI, "run", "board_meeting", "--store", str(tmp_path),
         "--no-export", "--offline-latency", "0.15"],
        env=OFFLINE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    run_id, _ = _wait_for_lease(layout, first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    with SqliteRunStore(layout.runs_db) as runs:
        assert runs.list_runs()[0].status == "interrupted"
        assert runs.load_record(run_id).run.status == "running"  # as the killed process left it
    listed = invoke("runs", "--store", tmp_path, "--json")  # what `daedalus runs` shows
    assert listed.exit_code == 0, listed.output
    assert [(r["id"], r["status"]) for r in json.loads(listed.stdout)] == [(run_id, "interrupted")]
    started = datetime.now(UTC)
    resumed = subprocess.run(
        [sys.executable, "-c", CLI, "resume", run_id, "--store", str(tmp_path), "--no-export"],
        env=OFFLINE, capture_output=True, text=True, timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "waiting" not in resumed.stderr
    with SqliteRunStore(layout.runs_db) as runs:
        assert runs.list_runs()[0].status == "completed"
        assert runs.lease_of(run_id) is None
    assert datetime.now(UTC) - started < timedelta(seconds=60)

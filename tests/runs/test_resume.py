"""``resume``: a run stopped at any point continues from its last checkpoint.

A run killed with SIGKILL (no chance to save anything) and a run stopped by a model failure
both resume to completion without paying again for the calls they finished, and end exactly
as an uninterrupted run of the same template and seed does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import daedalus.runs as R
from daedalus.errors import ModelUnavailableError
from daedalus.llm.actions import ActionType
from daedalus.llm.ledger import CallRecord
from daedalus.runs import _api
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.ledger_log import LedgerLog
from daedalus.store.record import RunMeta, RunRecord
from daedalus.templates import load_template
from tests.runs import failing_after

# A quick BRANCHING template: a main line, then two planned branches on their own threads,
# so an interruption can land in the main line or inside a branch.
TEMPLATE = "vc_pitch_branching"
CONCURRENCY = 4
KILL_DEADLINE_S = 120.0


def _dumps(items: Any) -> list[str]:
    return [item.model_dump_json() for item in items]


def _paid(rows: Any) -> int:
    """Answers a model produced (not from the cache, not failed attempts)."""
    return sum(1 for row in rows if not row.cache_hit and row.error is None)


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[R.Run, int]:
    """An uninterrupted run in this process, and its ledger rows when its first branch began."""
    root = tmp_path_factory.mktemp("reference")
    marks: list[int] = []

    def note(event: Mapping[str, Any]) -> None:
        if event.get("event") == "branch":
            marks.append(len(LedgerLog.of(root, "ref").read()))

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        run = R.run(TEMPLATE, store=root, run_id="ref", concurrency=CONCURRENCY, progress=note)
    assert marks and 0 < marks[0] < len(run.record.ledger)
    return run, marks[0]


@pytest.fixture(scope="module")
def fresh_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[R.Run, int]:
    """The same uninterrupted run made in a fresh process, like the killed runs it is compared
    with (a BRANCHING run in a long-lived process can come out differently after other runs of
    the same template with other seeds; the killed runs always start fresh)."""
    root = tmp_path_factory.mktemp("fresh_reference")
    code = (
        "import json, sys\n"
        "import daedalus.runs as R\n"
        "from daedalus.store.ledger_log import LedgerLog\n"
        "marks = []\n"
        "def note(event):\n"
        "    if event.get('event') == 'branch':\n"
        f"        marks.append(len(LedgerLog.of(__import__('pathlib').Path({str(root)!r}), 'ref').read()))\n"
        f"R.run({TEMPLATE!r}, store={str(root)!r}, run_id='ref', concurrency={CONCURRENCY}, progress=note)\n"
        "sys.stdout.write(json.dumps(marks))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    marks = json.loads(done.stdout.decode().strip().splitlines()[-1])
    with SqliteRunStore(StoreLayout(root).runs_db) as runs:
        run = R.Run(runs.load_record("ref"), StoreLayout(root))
    assert len(marks) >= 2 and 0 < marks[0] < marks[1] < len(run.record.ledger)
    SECOND_BRANCH_AT[:] = [marks[1] + 1]
    return run, marks[0]


def _stop_point(reference: tuple[R.Run, int], where: str) -> int:
    run, branches_from = reference
    total = len(run.record.ledger)
    if where == "main line":
        return branches_from // 2
    if where == "second branch start":
        # b1 complete, b2 seeded: a kill here once left b2's first step half-done (pending
        # writes, no ``next``) and the resume took the branch for finished.
        return SECOND_BRANCH_AT[0]
    return (branches_from + total) // 2


def _assert_same_run(resumed: R.Run, reference: R.Run) -> None:
    assert _dumps(resumed.timepoints) == _dumps(reference.timepoints)
    assert _dumps(resumed.dialogs) == _dumps(reference.dialogs)
    assert _dumps(resumed.exposures) == _dumps(reference.exposures)
    assert resumed.record.branches == reference.record.branches
    assert resumed.mechanisms == reference.mechanisms


def _kill_when(process: subprocess.Popen[bytes], log: LedgerLog, rows: int) -> int:
    """SIGKILL ``process`` once ``log`` holds ``rows`` rows; returns the rows at the kill."""
    deadline = time.monotonic() + KILL_DEADLINE_S
    while len(log.read()) < rows:
        assert process.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline, "the run wrote no ledger rows in time"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return len(log.read())


SECOND_BRANCH_AT: list[int] = []


@pytest.mark.parametrize("where", ["main line", "branch", "second branch start"])
def test_a_killed_run_resumes_without_paying_twice_and_ends_as_an_uninterrupted_one(
    fresh_reference: tuple[R.Run, int], tmp_path: Path, where: str
) -> None:
    reference = fresh_reference
    ref, _ = reference
    code = (
        "import daedalus.runs as R; "
        f"R.run({TEMPLATE!r}, store={str(tmp_path)!r}, run_id='r1', offline_latency=0.05, "
        f"concurrency={CONCURRENCY})"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    log = LedgerLog.of(tmp_path, "r1")
    try:
        at_kill = _kill_when(process, log, _stop_point(reference, where))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    layout = StoreLayout(tmp_path)
    with SqliteRunStore(layout.runs_db) as store:
        assert store.load_record("r1").run.status == "running"  # killed: nothing was saved

    # Resumed in a fresh process too, as a user would after a crash.
    resume_code = (
        f"import daedalus.runs as R; R.resume('r1', store={str(tmp_path)!r}, "
        f"concurrency={CONCURRENCY})"
    )
    subprocess.run([sys.executable, "-c", resume_code], env=env, check=True, capture_output=True)
    with SqliteRunStore(StoreLayout(tmp_path).runs_db) as runs:
        resumed = R.Run(runs.load_record("r1"), StoreLayout(tmp_path))

    rows = log.read()
    assert resumed.status == "completed" and list(resumed.record.ledger) == rows
    # Identical prompts in flight at once are each paid, one after the other the second is a
    # cache hit: timing moves the count by up to the concurrency either way, never more.
    paid = _paid(ref.record.ledger)
    assert paid - CONCURRENCY <= _paid(rows) <= paid + CONCURRENCY
    # From the last checkpoint, not from the start: finished steps make no call at all.
    assert len(rows) - at_kill < len(ref.record.ledger)
    _assert_same_run(resumed, ref)
    with SqliteRunStore(layout.runs_db) as store:
        listed = {summary.id: summary for summary in store.list_runs()}
    assert listed["r1"].status == "completed" and listed["r1"].calls == len(rows)


@pytest.mark.parametrize("where", ["main line", "branch"])
def test_a_run_stopped_by_a_model_failure_is_saved_interrupted_and_resumes(
    reference: tuple[R.Run, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    ref, _ = reference
    stop = _stop_point(reference, where)
    monkeypatch.setattr(_api, "build_router", failing_after(stop))
    with pytest.raises(ModelUnavailableError, match="no model answered"):
        R.run(TEMPLATE, store=tmp_path, run_id="flaky", concurrency=CONCURRENCY)
    monkeypatch.undo()
    layout = StoreLayout(tmp_path)
    with SqliteRunStore(layout.runs_db) as store:
        saved = store.load_record("flaky")
    assert saved.run.status == "interrupted" and saved.run.completed_at is None
    assert 1 <= len(saved.timepoints) < len(ref.timepoints)
    assert any(row.error is not None for row in saved.ledger)  # the failed attempts are billed
    before = _paid(saved.ledger)
    assert before >= stop - CONCURRENCY

    resumed = R.resume("flaky", store=tmp_path, concurrency=CONCURRENCY)

    assert resumed.status == "completed"
    after = _paid(resumed.record.ledger) - before
    # As above: prompts paid twice in flight at once may be one paid call and one cache hit.
    paid = _paid(ref.record.ledger)
    assert paid - CONCURRENCY <= before + after <= paid + CONCURRENCY
    _assert_same_run(resumed, ref)


def test_resuming_a_completed_run_returns_it_without_a_call(
    reference: tuple[R.Run, int], tmp_path: Path
) -> None:
    done = R.run("board_meeting", store=tmp_path, run_id="done")
    rows = len(LedgerLog.of(tmp_path, "done").read())
    again = R.resume("done", store=tmp_path)
    assert again.status == "completed" and again.record == done.record
    assert len(LedgerLog.of(tmp_path, "done").read()) == rows


def test_a_run_stopped_before_its_first_checkpoint_starts_from_its_scenario(
    reference: tuple[R.Run, int], tmp_path: Path
) -> None:
    ref, _ = reference
    scenario = load_template(TEMPLATE)
    meta = RunMeta(
        id="early", template=scenario.id, mode=scenario.mode, seed=0, model="offline",
        offline=True, started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    # What run() leaves behind when killed between registering the run and its first step.
    with SqliteRunStore(StoreLayout(tmp_path).create().runs_db) as store:
        store.create_run(meta)
        store.save_record(RunRecord(run=meta, scenario=scenario))
    resumed = R.resume("early", store=tmp_path, concurrency=CONCURRENCY)
    assert resumed.status == "completed"
    _assert_same_run(resumed, ref)


def test_a_ledger_row_cut_short_by_a_kill_loses_no_other_row(tmp_path: Path) -> None:
    rows = [
        CallRecord(node=f"node_{n}", action=ActionType.GENERAL, model="offline", offline=True)
        for n in range(3)
    ]
    killed = LedgerLog.of(tmp_path, "r1")
    killed.append(rows[0])
    killed.append(rows[1])
    with killed.path.open("ab") as handle:  # the write the kill interrupted, cut inside a "é"
        handle.write(rows[2].model_dump_json().encode()[:20] + "é".encode()[:1])
    assert killed.read() == rows[:2]
    resumed = LedgerLog.of(tmp_path, "r1")
    resumed.append(rows[2])
    assert resumed.read() == rows

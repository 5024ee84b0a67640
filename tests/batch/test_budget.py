"""The batch cap holds across guards, threads and processes sharing one budget file, and
across eight workers of a batch against the loopback OpenRouter stand-in."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from daedalus.batch import RunSpec, run_batch
from daedalus.batch._budget import BatchGuard, SharedBudget
from daedalus.batch._record import batch_dir
from daedalus.errors import BudgetExceededError
from daedalus.store import StoreLayout
from daedalus.testing import LoopbackOpenRouter
from tests.batch.support import QUICK


def test_two_openers_of_one_file_share_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "budget.sqlite"
    first, second = SharedBudget(path, 1.0), SharedBudget(path, 1.0)
    row = first.reserve("a", 0.6, model="m")
    with pytest.raises(BudgetExceededError, match=r"batch budget of \$1.0000"):
        second.reserve("b", 0.5, model="m")  # 0.6 in flight + 0.5 > 1.0
    first.settle(row, 0.2)  # billed less than its worst case: room again
    second.reserve("b", 0.5, model="m")
    assert second.committed_usd() == pytest.approx(0.7)
    assert first.spent_usd() == pytest.approx(0.2)


def test_an_unknown_worst_case_passes_only_below_the_cap(tmp_path: Path) -> None:
    shared = SharedBudget(tmp_path / "b.sqlite", 0.1)
    shared.settle(shared.reserve("a", None, model="m"), 0.1)
    with pytest.raises(BudgetExceededError, match="unknown"):
        shared.reserve("a", None, model="m")


def test_a_refused_call_frees_the_runs_own_reservation(tmp_path: Path) -> None:
    shared = SharedBudget(tmp_path / "b.sqlite", 0.5)
    guard = BatchGuard(None, "hard", spent_usd=0.0, shared=shared, run_id="r")
    with pytest.raises(BudgetExceededError):
        guard.reserve(0.6, model="m")
    assert guard.in_flight_usd == 0.0
    held = guard.reserve(0.4, model="m")
    guard.settle(held, 0.3)
    assert guard.spent_usd == pytest.approx(0.3)
    assert shared.spent_usd() == pytest.approx(0.3)


def test_the_per_run_cap_still_holds_inside_a_batch(tmp_path: Path) -> None:
    shared = SharedBudget(tmp_path / "b.sqlite", None)
    guard = BatchGuard(0.1, "hard", spent_usd=0.05, shared=shared, run_id="r")
    with pytest.raises(BudgetExceededError, match=r"hard budget of \$0.1000"):
        guard.reserve(0.06, model="m")
    assert shared.committed_usd() == 0.0  # refused before the batch ledger saw it


def test_many_threads_never_commit_more_than_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        shared = SharedBudget(path, 1.0)  # each worker opens the file itself
        for _ in range(20):
            try:
                row = shared.reserve("r", 0.07, model="m")
            except BudgetExceededError:
                continue
            shared.settle(row, 0.05)
            with lock:
                granted.append(0.05)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = SharedBudget(path, 1.0).spent_usd()
    assert spent == pytest.approx(sum(granted))
    assert spent <= 1.0
    assert spent + 0.07 > 1.0  # the cap was reached, not just approached


def test_the_batch_cap_holds_under_8_workers_against_the_loopback_openrouter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-loopback-test")
    cap = 0.004  # about half of what the eight runs would cost (0.0001 a call, ~13 calls each)
    specs = [RunSpec(template="board_meeting", seed=seed, overrides=QUICK) for seed in range(8)]
    with LoopbackOpenRouter(latency=0.01, cost=0.0001) as server:
        result = run_batch(
            specs, store=tmp_path, base_url=server.base_url, workers=8, budget=cap,
            retries=0,
        )
    assert server.peak_in_flight >= 2  # the workers really raced for the budget
    assert 0 < server.billed_usd <= cap
    refused = [e for e in result.record.entries if e.status == "failed"]
    # the cap refused some runs (others may stop on what the refusal left them: a failed run's
    # error is its own; the cap itself is checked against the bill below)
    assert refused and all(e.error for e in refused)
    assert any("batch budget of $0.0040" in (e.error or "") for e in refused)
    # What every run booked is what the server billed: no call slipped past the ledger.
    assert result.record.cost_usd == pytest.approx(server.billed_usd)
    shared = SharedBudget(batch_dir(StoreLayout(tmp_path), result.id) / "budget.sqlite", cap)
    assert shared.spent_usd() == pytest.approx(server.billed_usd)
    assert shared.committed_usd() <= cap
    shared.close()

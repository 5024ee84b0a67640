"""The batch cap holds across guards, threads and processes sharing one budget file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from daedalus.batch._budget import BatchGuard, SharedBudget
from daedalus.errors import BudgetExceededError


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

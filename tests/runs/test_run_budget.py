"""A run's hard budget holds over its whole life: every process, resume and branch counts what
the run's ledger already holds, and ``resume --budget`` changes the cap in the open."""

from __future__ import annotations

import pytest

import daedalus.runs as R
from daedalus.errors import BudgetExceededError, ModelUnavailableError
from daedalus.llm.actions import ActionType
from daedalus.llm.ledger import CallRecord
from daedalus.runs import _api
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.ledger_log import LedgerLog
from tests.cli.support import invoke
from tests.runs import failing_after


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)


def _billed(root, run_id: str, usd: float) -> None:
    """A call an earlier process of the run paid for, as its ledger log holds it."""
    row = CallRecord(node="event_writer", action=ActionType.DIALOG_SYNTHESIS,
                     model="openai/gpt-4o-mini", prompt_tokens=900, completion_tokens=300,
                     cost_usd=usd)
    LedgerLog.of(root, run_id).append(row)


def _stopped_run(root, monkeypatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(_api, "build_router", failing_after(3))
        with pytest.raises(ModelUnavailableError):
            R.run("convergence_simple", store=root, run_id="capped", budget=0.003,
                  budget_mode="hard")
    return "capped"


def test_resume_counts_what_earlier_processes_spent(tmp_path, monkeypatch):
    run_id = _stopped_run(tmp_path, monkeypatch)
    _billed(tmp_path, run_id, 0.0042)  # more than the cap, billed before the stop
    with pytest.raises(BudgetExceededError, match=r"\$0.0030 refuses.*spent \$0.004200"):
        R.resume(run_id, store=tmp_path)
    with SqliteRunStore(StoreLayout(tmp_path).runs_db) as runs:
        assert runs.load_record(run_id).run.status == "interrupted"
    heard: list[str] = []
    done = R.resume(run_id, store=tmp_path, budget=0.01, on_notice=heard.append)
    assert done.status == "completed" and done.record.run.budget_usd == 0.01
    assert (
        "budget of run capped raised: $0.0030 -> $0.0100 for the whole run "
        "($0.004200 spent so far, hard mode)"
    ) in heard


def test_a_branch_counts_the_whole_run_against_its_cap(tmp_path):
    R.run("convergence_simple", store=tmp_path, run_id="whole", budget=0.003, budget_mode="hard")
    _billed(tmp_path, "whole", 0.0031)
    with pytest.raises(BudgetExceededError, match=r"spent \$0.003100"):
        R.branch("whole", at="tp-000", intervention="the vote is postponed", store=tmp_path)


def test_resume_budget_on_the_command_line_says_what_changed(tmp_path, monkeypatch):
    run_id = _stopped_run(tmp_path, monkeypatch)
    _billed(tmp_path, run_id, 0.002)
    lowered = invoke("resume", run_id, "--store", tmp_path, "--budget", "0.001", "--no-export")
    assert lowered.exit_code == 1
    assert "budget of run capped lowered: $0.0030 -> $0.0010" in lowered.stderr
    assert lowered.stderr.strip().splitlines()[-1].startswith("error: budget exceeded:")
    with SqliteRunStore(StoreLayout(tmp_path).runs_db) as runs:
        assert runs.load_record(run_id).run.budget_usd == 0.001  # kept for the next resume
    raised = invoke("resume", run_id, "--store", tmp_path, "--budget", "0.01", "--no-export")
    assert raised.exit_code == 0, raised.stderr
    assert "budget of run capped raised: $0.0010 -> $0.0100" in raised.stderr

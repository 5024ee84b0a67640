"""Requests in doubt: booked at their worst case before they are sent, settled when answered,
kept (in the ledger and the budget) when the answer never arrives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage

from daedalus.cli._report import summary_table
from daedalus.errors import ModelUnavailableError
from daedalus.llm._routed import RoutedModel
from daedalus.llm.actions import ActionType
from daedalus.llm.budget import BudgetGuard
from daedalus.llm.ledger import Ledger
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.router import Router
from daedalus.store.ledger_log import LedgerLog
from daedalus.testing import ScriptedModel

PRICED = "meta-llama/llama-3.1-8b-instruct"
HELLO = [HumanMessage("hello")]


def _router(tmp_path: Path, answer: Any, budget: BudgetGuard | None = None) -> Router:
    log = LedgerLog.of(tmp_path, "r1")
    routed = RoutedModel(
        model_id=PRICED, chat_model=ScriptedModel({}, default=answer),
        profile=ModelRegistry.default().get(PRICED),
    )

    async def no_wait(_seconds: float) -> None:
        return None

    return Router(
        lambda _action: [routed], ledger=Ledger(on_record=log.append, on_settle=log.settle),
        budget=budget, max_retries=1, sleep=no_wait,
    )


def _timeout(_messages: list[Any], _kwargs: dict[str, Any]) -> Any:
    raise httpx.ReadTimeout("the answer never came")


def test_an_answered_request_leaves_no_doubt_behind(tmp_path: Path) -> None:
    router = _router(tmp_path, "a fine answer")
    assert router.complete(node="n", action=ActionType.DIALOG_SYNTHESIS, messages=HELLO) == (
        "a fine answer"
    )
    rows = LedgerLog.of(tmp_path, "r1").read()
    assert [row.in_doubt for row in rows] == [False]
    assert b'"in_doubt":true' in LedgerLog.of(tmp_path, "r1").path.read_bytes()  # booked first
    assert router.ledger.in_doubt == ()


def test_a_request_that_times_out_stays_in_doubt_at_its_worst_case(tmp_path: Path) -> None:
    budget = BudgetGuard(1.0, "hard")
    router = _router(tmp_path, _timeout, budget)
    with pytest.raises(ModelUnavailableError):
        router.complete(node="n", action=ActionType.DIALOG_SYNTHESIS, messages=HELLO)
    rows = LedgerLog.of(tmp_path, "r1").read()
    doubts = [row for row in rows if row.in_doubt]
    assert len(doubts) == 2  # the request and its one retry
    assert all(row.cost_usd > 0 and row.model == PRICED for row in doubts)
    worst = sum(row.cost_usd for row in doubts)
    assert budget.spent_usd == pytest.approx(worst)  # the budget counts what may be billed
    totals = Ledger(rows).totals()
    assert totals.in_doubt == 2 and totals.in_doubt_usd == pytest.approx(worst)
    assert totals.cost_usd == 0  # nothing is known to be billed


# Sends one priced request whose model kills the process while the request is in flight.
KILLED_IN_FLIGHT = (
    "import os, signal, sys\n"
    "from pathlib import Path\n"
    "from tests.runs.test_in_doubt import _router\n"
    "from daedalus.llm.actions import ActionType\n"
    "def die(_m, _k):\n"
    "    os.kill(os.getpid(), signal.SIGKILL)\n"
    "from tests.runs.test_in_doubt import HELLO\n"
    "_router(Path(sys.argv[1]), die).complete(node='n', action=ActionType.DIALOG_SYNTHESIS,"
    " messages=HELLO)\n"
)


def test_a_request_in_flight_at_a_kill_is_in_the_ledger(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", KILLED_IN_FLIGHT, str(tmp_path)], cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True)
    assert done.returncode == -9, done.stderr
    (row,) = LedgerLog.of(tmp_path, "r1").read()
    assert row.in_doubt and row.cost_usd > 0 and row.node == "n"


def test_the_summary_shows_the_amount_in_doubt() -> None:
    summary = {
        "run": "r", "template": "t", "mode": "pearl", "status": "interrupted", "model": "auto",
        "offline": False, "timepoints": 1, "dialogs": 0, "turns": 0, "exposures": 0,
        "calls": 3, "cache_hits": 0, "prompt_tokens": 10, "completion_tokens": 5,
        "cost_usd": 0.001, "in_doubt_calls": 2, "in_doubt_usd": 0.0042, "mechanisms_fired": [],
    }
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(summary_table(summary))
    assert "$0.001000 + up to $0.004200 in doubt (2 requests sent, never answered)" in (
        console.export_text()
    )


def test_the_request_timeout_reaches_the_client_and_is_kept_for_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import daedalus.runs as R
    from daedalus.runs import _api
    from tests.runs import failing_after

    seen: list[float | None] = []
    stop = failing_after(3)

    def build(**options: Any) -> Any:
        seen.append(options["request_timeout"])
        return stop(**options)

    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.setattr(_api, "build_router", build)
    with pytest.raises(ModelUnavailableError):
        R.run("convergence_simple", store=tmp_path, run_id="t", request_timeout=7.5)
    monkeypatch.undo()
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.setattr(_api, "build_router", lambda **o: seen.append(o["request_timeout"])
                        or failing_after(10_000)(**o))
    R.resume("t", store=tmp_path)
    assert seen == [7.5, 7.5]
    direct = Router.openrouter(api_key="sk-test", base_url="https://x.test/v1", model=PRICED,
                               timeout_s=7.5)
    assert direct._resolve(ActionType.DIALOG_SYNTHESIS)[0].chat_model.request_timeout == 7.5
    with pytest.raises(Exception, match="positive number of seconds"):
        Router.openrouter(api_key="sk-test", base_url="https://x.test/v1", timeout_s=0)


def test_request_timeout_on_the_command_line_is_checked() -> None:
    from tests.cli.support import invoke

    result = invoke("run", "convergence_simple", "--request-timeout", "-1")
    assert result.exit_code == 2 and "--request-timeout" in result.stderr

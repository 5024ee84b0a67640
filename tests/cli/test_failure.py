"""How commands fail: one line, the right exit code, a resume hint, a traceback only on --debug."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog

from daedalus.cli._failure import INTERRUPTED, describe_failure
from daedalus.errors import (
    BudgetExceededError,
    ConfigError,
    ModelOutputError,
    ModelUnavailableError,
    RunError,
    StateConflictError,
    TemplateError,
)
from tests.cli.support import invoke, one_error_line


def test_a_budget_failure_exits_one_and_says_how_to_resume() -> None:
    failure = describe_failure(
        BudgetExceededError("the next call could cost $0.02 and $0.00 of $0.01 is left"),
        "run_20260101_000000_abcd1234",
    )
    assert failure.code == 1
    assert failure.message == (
        "budget exceeded: the next call could cost $0.02 and $0.00 of $0.01 is left; "
        "resume with: daedalus resume run_20260101_000000_abcd1234 --budget USD"
    )


@pytest.mark.parametrize(("error", "code", "text"), [
    (ConfigError("bad value"), 2, "bad value"),
    (TemplateError("x.yaml: entities: required field is missing"), 2, "x.yaml: entities"),
    (RunError("no run 'r' in s"), 2, "no run 'r' in s"),
    (ModelUnavailableError("every model\nfailed"), 1, "model failure: every model failed"),
    (StateConflictError("tp-001 differs"), 1, "tp-001 differs"),
    (KeyboardInterrupt(), INTERRUPTED, "interrupted"),
    (ValueError("odd"), 1, "unexpected ValueError: odd (run again with `daedalus --debug"),
])
def test_errors_map_to_one_line_and_an_exit_code(
    error: BaseException, code: int, text: str
) -> None:
    failure = describe_failure(error)
    assert failure.code == code and failure.message.startswith(text)
    assert "\n" not in failure.message and "resume with" not in failure.message
    hinted = describe_failure(error, "run_x")
    if code != 2:
        assert "resume with: daedalus resume run_x" in hinted.message


def test_unexpected_errors_are_one_line_unless_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> list[object]:
        raise RuntimeError("catalogue unreadable")

    monkeypatch.setattr("daedalus.cli.catalog.list_templates", broken)
    result = invoke("list")
    assert result.exit_code == 1
    assert "unexpected RuntimeError: catalogue unreadable" in one_error_line(result)
    debug = invoke("--debug", "list")
    assert isinstance(debug.exception, RuntimeError) and debug.exit_code == 1


@pytest.mark.parametrize(("args", "fragment"), [
    (["nope"], "No such command 'nope'"),
    (["--bogus", "list"], "No such option: --bogus"),
    (["show"], "Missing argument 'TEMPLATE|PATH'"),
    (["list", "--tier", "epic"], "'epic' is not one of"),
])
def test_usage_errors_are_one_line_with_a_help_pointer(args: list[str], fragment: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert fragment in line and "--help`)" in line


def test_help_still_works() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("list", "show", "run", "estimate", "runs", "resume", "branch", "export",
                    "query", "new", "models", "--debug"):
        assert command in result.stdout
    assert invoke("run", "--help").exit_code == 0


def test_a_model_failure_exits_one_and_logs_stay_off_stdout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async def failing(*args: object, **kwargs: object) -> None:
        structlog.get_logger("daedalus.llm").warning("model failed", model="acme/writer")
        raise ModelOutputError("the outline stayed invalid after 2 re-asks")

    monkeypatch.setattr("daedalus.cli.new.generate_scenario", failing)
    result = invoke("new", "A baker argues.", "--model", "offline", "--out", tmp_path / "x.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "model failed" in result.stderr and "acme/writer" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == "error: model failure: the outline stayed invalid after 2 re-asks"
    assert not (tmp_path / "x.yaml").exists()

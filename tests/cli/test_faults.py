"""Bad paths, damaged databases, endless inputs and run-ending model errors: each is one
``error:`` line with the right exit code, and nothing is registered or written for it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from daedalus.llm._routed import RoutedModel
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.router import Router
from daedalus.runs import _api
from daedalus.runs._router import RouterChoice
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.templates import MAX_TEMPLATE_BYTES
from daedalus.testing import ScriptedModel
from tests.cli.support import invoke, one_error_line


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a_file"
    path.write_text("not a directory")
    return path


@pytest.mark.parametrize(("option", "where", "expected"), [
    ("--store", "{file}", "store directory {file} is a file; expected a directory"),
    ("--store", "{file}/sub", "store directory {file}/sub cannot be created (Not a directory)"),
    ("--store", "/proc/daedalus-store", "store directory /proc/daedalus-store cannot be created"),
    ("--out", "{file}", "--out directory {file} is a file; expected a directory"),
    ("--out", "{file}/x", "--out directory {file}/x cannot be created (Not a directory)"),
    ("--out", "/proc/daedalus-out", "--out directory /proc/daedalus-out cannot be created"),
])
def test_a_store_or_out_path_that_cannot_be_a_directory_is_one_line_exit_two(
    tmp_path: Path, a_file: Path, option: str, where: str, expected: str
) -> None:
    path = where.format(file=a_file)
    store = ["--store", str(tmp_path / "store")] if option == "--out" else []
    result = invoke("run", "convergence_simple", option, path, *store)
    assert result.exit_code == 2, result.output
    assert expected.format(file=a_file) in one_error_line(result)
    assert not (tmp_path / "store").exists()  # refused before the run started


@pytest.mark.parametrize("name", ["checkpoints.sqlite", "cache.sqlite", "runs.sqlite"])
def test_a_damaged_database_is_refused_before_a_run_is_registered(
    tmp_path: Path, name: str
) -> None:
    layout = StoreLayout(tmp_path).create()
    if name != "runs.sqlite":
        with SqliteRunStore(layout.runs_db) as runs:
            runs.list_runs()  # a healthy run store beside the damaged file
    (tmp_path / name).write_bytes(b"\x13\x37 definitely not SQLite " * 200)
    result = invoke("run", "convergence_simple", "--store", tmp_path)
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert f"{tmp_path / name} is not a readable SQLite database" in line
    if name != "runs.sqlite":
        with SqliteRunStore(layout.runs_db) as runs:
            assert runs.list_runs() == []  # no run registered that could not be resumed
    assert not (tmp_path / "ledgers").exists()


def test_a_damaged_checkpoint_database_stops_resume_in_one_line(tmp_path: Path) -> None:
    assert invoke("run", "convergence_simple", "--store", tmp_path, "--no-export").exit_code == 0
    (tmp_path / "checkpoints.sqlite").write_bytes(b"garbage" * 1000)
    for name in ("checkpoints.sqlite-wal", "checkpoints.sqlite-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    result = invoke("resume", "last", "--store", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: checkpoint database")


def test_a_template_larger_than_the_limit_is_refused_without_reading_it_all(
    tmp_path: Path,
) -> None:
    result = invoke("run", "/dev/zero", "--store", tmp_path)
    assert result.exit_code == 2
    assert f"/dev/zero: the file is larger than {MAX_TEMPLATE_BYTES:,} bytes" in one_error_line(
        result
    )
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * (MAX_TEMPLATE_BYTES // 10 + 1))
    assert "larger than" in one_error_line(invoke("run", big, "--store", tmp_path / "s"))


def _out_of_credit(**options: Any) -> RouterChoice:
    """A provider that answers twice, then says the account is out of credit (HTTP 402)."""
    offline, answers = OfflineChatModel(seed=options["seed"]), itertools.count()

    def answer(messages: list[Any], kwargs: dict[str, Any]) -> Any:
        if next(answers) >= 2:
            response = httpx.Response(402, request=httpx.Request("POST", "https://x.test"))
            raise httpx.HTTPStatusError("402 Payment Required", request=response.request,
                                        response=response)
        return offline.invoke(messages, **kwargs)

    routed = RoutedModel(model_id="acme/writer", chat_model=ScriptedModel({}, default=answer))
    router = Router(lambda _action: [routed], is_offline=False, seed=options["seed"],
                    cache=options["cache"], ledger=options["ledger"], concurrency=1)
    return RouterChoice(router, "acme/writer", None)


def test_out_of_credit_prints_only_its_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_api, "build_router", _out_of_credit)
    result = invoke("run", "convergence_simple", "--store", tmp_path)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: model failure: the provider account is out of credit")
    assert not [line for line in lines if "warning" in line or "model failed" in line]


def test_a_budget_stop_prints_only_its_one_line_error(tmp_path: Path) -> None:
    result = invoke("run", "convergence_simple", "--store", tmp_path, "--budget", "0",
                    "--budget-mode", "hard", "--model", "meta-llama/llama-3.1-8b-instruct",
                    OPENROUTER_API_KEY="sk-test-budget")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: budget exceeded: hard budget of $0.0000")
    assert not [line for line in lines if "warning" in line or "model failed" in line]

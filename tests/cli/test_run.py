"""``daedalus run``, ``resume`` and ``branch`` on the offline model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from daedalus.cli._progress import RunProgress
from daedalus.errors import OutOfCreditError
from daedalus.runs import OFFLINE_NOTICE
from daedalus.store import SqliteRunStore, StoreLayout
from tests.cli.support import invoke, one_error_line

EXPORTED = {
    "run.json", "narrative.md", "training.jsonl", "screenplay.fountain", "timeline.graphml",
    "exposures.graphml",
}


def stored(store: Path) -> list[Any]:
    with SqliteRunStore(StoreLayout(store).runs_db) as runs:
        return runs.list_runs()


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Any]:
    """One offline run of convergence_simple: its store, its id and the CLI result."""
    store = tmp_path_factory.mktemp("store")
    result = invoke("run", "convergence_simple", "--store", store)
    assert result.exit_code == 0, result.output
    (summary,) = stored(store)
    return store, summary.id, result


def test_run_prints_the_summary_and_the_offline_notice(finished: tuple[Path, str, Any]) -> None:
    store, run_id, result = finished
    out = result.stdout
    assert run_id in out and "convergence_simple · pearl · completed" in out
    assert "OFFLINE" in out
    for label in ("timepoints", "dialogs", "turns", "calls", "tokens", "dollars", "mechanisms"):
        assert label in out
    assert "M11" in out and "fired" in out
    assert OFFLINE_NOTICE in " ".join(result.stderr.split())
    assert "moment 1/2 tp-000" in result.stderr and "moment 2/2 tp-001" in result.stderr
    (summary,) = stored(store)
    assert summary.status == "completed" and f"{summary.timepoints}" in out


def test_run_writes_the_exports_into_the_store(finished: tuple[Path, str, Any]) -> None:
    store, run_id, result = finished
    folder = store / "exports" / run_id
    assert {p.name for p in folder.iterdir()} >= EXPORTED
    assert json.loads((folder / "run.json").read_text(encoding="utf-8"))["run"]["id"] == run_id
    assert "exports in" in result.stdout and run_id in result.stdout


def test_run_json_prints_only_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(
        "run", "convergence_simple", "--store", tmp_path / "s", "--json", "--seed", "3",
        "--format", "json,markdown", "--out", out,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["template"] == "convergence_simple" and data["offline"] is True
    assert data["status"] == "completed" and data["calls"] > 0
    assert set(data["exports"]) == {"json", "markdown"}
    assert sorted(p.name for p in out.iterdir()) == ["narrative.md", "run.json"]
    timepoints = json.loads((out / "run.json").read_text(encoding="utf-8"))["timepoints"]
    # two moments, plus any beats vertical expansion (M8) added inside them
    assert data["timepoints"] == len(timepoints)
    assert sum(1 for tp in timepoints if "." not in tp["id"]) == 2
    assert "moment" not in result.stderr  # no progress lines with --json


def test_no_export_writes_nothing(tmp_path: Path) -> None:
    result = invoke("run", "convergence_simple", "--store", tmp_path, "--no-export")
    assert result.exit_code == 0, result.output
    assert "exports: none written" in result.stdout
    assert not (tmp_path / "exports").exists()


@pytest.mark.parametrize(("args", "fragment"), [
    (["run", "no_such_template"], "no template named 'no_such_template'"),
    (["run", "convergence_simple", "--format", "pdf"], "unknown export format 'pdf'"),
    (["run", "convergence_simple", "--bogus"], "No such option: --bogus"),
    (["run", "convergence_simple", "--concurrency", "0"], "'--concurrency'"),
    (["run", "convergence_simple", "--budget-mode", "lavish"], "'lavish' is not one of"),
    (["run", "convergence_simple", "--no-export", "--out", "x"], "--out names where exports"),
    (["run"], "Missing argument 'TEMPLATE|PATH'"),
    (["runn", "convergence_simple"], "No such command 'runn'"),
])
def test_bad_input_is_one_line_and_exit_two_and_runs_nothing(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    result = invoke(*args, "--store", tmp_path) if len(args) > 1 else invoke(*args)
    assert result.exit_code == 2
    assert fragment in one_error_line(result)
    assert not (tmp_path / "runs.sqlite").exists()


def test_resume_of_a_completed_run_is_a_no_op(finished: tuple[Path, str, Any]) -> None:
    store, run_id, _ = finished
    before = stored(store)
    result = invoke("resume", "last", "--store", store)
    assert result.exit_code == 0, result.output
    assert f"run {run_id} is already complete; nothing to resume" in result.stderr
    assert run_id in result.stdout and "exports" not in result.stdout
    assert stored(store) == before


def interrupting(error: BaseException) -> Any:
    """A ``RunProgress.__call__`` that raises ``error`` at the second moment."""
    original = RunProgress.__call__

    def call(self: RunProgress, event: Mapping[str, Any]) -> None:
        original(self, event)
        if event.get("event") == "timepoint" and event.get("index") == 1:
            raise error

    return call


@pytest.mark.parametrize(("error", "code", "fragment"), [
    (KeyboardInterrupt(), 130, "error: interrupted; resume with: daedalus resume "),
    (OutOfCreditError("HTTP 402: no credit left"), 1, "error: model failure: HTTP 402"),
])
def test_a_failed_run_is_saved_and_resume_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int,
    fragment: str,
) -> None:
    monkeypatch.setattr(RunProgress, "__call__", interrupting(error))
    result = invoke("run", "convergence_simple", "--store", tmp_path)
    assert result.exit_code == code
    (summary,) = stored(tmp_path)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(fragment) and last.endswith(f"resume with: daedalus resume {summary.id}")
    assert summary.status == "interrupted" and "Traceback" not in result.output
    monkeypatch.undo()
    resumed = invoke("resume", summary.id, "--store", tmp_path, "--json")
    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.stdout)
    assert data["resumed"] is True and data["status"] == "completed"
    with SqliteRunStore(StoreLayout(tmp_path).runs_db) as runs:
        record = runs.load_record(summary.id)
    # the scenario's two moments, plus any beats vertical expansion (M8) added inside them
    assert data["timepoints"] == len(record.timepoints) and data["exports"]
    assert sum(1 for tp in record.timepoints if tp.moment_of is None) == 2
    # no call paid twice: what the resume did not take from the cache, with what the first
    # process paid, is at most what an uninterrupted run pays (a call whose answer was checkpointed
    # before the failure is not asked again, so the cache may serve none)
    whole = invoke("run", "convergence_simple", "--store", tmp_path / "whole", "--json")
    assert data["calls"] - data["cache_hits"] <= json.loads(whole.stdout)["calls"]


def test_branch_adds_a_branch(finished: tuple[Path, str, Any]) -> None:
    store, run_id, _ = finished
    result = invoke(
        "branch", run_id, "--at", "tp-000", "--what-if", "Ines signs for the other unit",
        "--id", "walkout", "--store", store,
    )
    assert result.exit_code == 0, result.output
    assert "walkout after tp-000:" in result.stdout and "M12" in result.stdout
    with SqliteRunStore(StoreLayout(store).runs_db) as runs:
        record = runs.load_record(run_id)
    branch = next(b for b in record.branches if b.id == "walkout")
    assert branch.intervention == "Ines signs for the other unit"
    assert any(tp.branch_id == "walkout" for tp in record.timepoints)
    assert record.run.status == "completed"


@pytest.mark.parametrize(("args", "fragment"), [
    (["--at", "tp-000", "--what-if", "x", "--id", "Bad Id"], "branch id 'Bad Id' must start"),
    (["--at", "tp-009", "--what-if", "x"], "cannot branch at 'tp-009'"),
    (["--at", "tp-000", "--what-if", "  "], "--what-if is empty"),
    (["--what-if", "x"], "Missing option '--at'"),
])
def test_bad_branch_input_is_one_line_and_exit_two(
    finished: tuple[Path, str, Any], args: list[str], fragment: str
) -> None:
    store, run_id, _ = finished
    result = invoke("branch", run_id, *args, "--store", store)
    assert result.exit_code == 2
    assert fragment in one_error_line(result)


def test_resume_and_branch_of_an_unknown_run_are_bad_input(tmp_path: Path) -> None:
    assert invoke("run", "convergence_simple", "--store", tmp_path, "--no-export").exit_code == 0
    for args in (["resume", "run_nope"], ["branch", "run_nope", "--at", "tp-000", "--what-if", "x"]):
        result = invoke(*args, "--store", tmp_path)
        assert result.exit_code == 2
        assert "no run 'run_nope'" in one_error_line(result)
    empty = invoke("resume", "last", "--store", tmp_path / "empty")
    assert empty.exit_code == 2 and "no runs in" in one_error_line(empty)


def test_a_portal_run_reads_at_80_columns(tmp_path: Path) -> None:
    """Progress (backward search, detail moments), the offline notice and the summary: every
    line fits 80 columns, wrapped at words."""
    result = invoke("run", "election_upset_portal", "--store", tmp_path, COLUMNS="80")
    assert result.exit_code == 0, result.output
    for text in (result.stdout, result.stderr):
        assert max(len(line) for line in text.splitlines()) <= 80, text
    words = " ".join(result.stderr.split())
    assert "backward search: slot" in words and OFFLINE_NOTICE in words
    assert "beats inside it, portal-004.m1 to .m3 (vertical expansion, M8)" in words

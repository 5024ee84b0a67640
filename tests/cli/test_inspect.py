"""``daedalus runs``, ``export`` and ``query`` on a store holding two offline runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daedalus.store import SqliteRunStore, StoreLayout
from tests.cli.support import invoke, one_error_line


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a convergence_simple run, then a board_meeting run (the newest)."""
    root = tmp_path_factory.mktemp("store")
    for template in ("convergence_simple", "board_meeting"):
        result = invoke("run", template, "--store", root, "--no-export")
        assert result.exit_code == 0, result.output
    return root


def run_ids(root: Path) -> list[str]:
    with SqliteRunStore(StoreLayout(root).runs_db) as runs:
        return [summary.id for summary in runs.list_runs()]


def test_runs_lists_the_stored_runs_newest_first(store: Path) -> None:
    result = invoke("runs", "--store", store)
    assert result.exit_code == 0, result.output
    newest, oldest = run_ids(store)
    assert result.stdout.index(newest) < result.stdout.index(oldest)
    assert "board_meeting" in result.stdout and "convergence_simple" in result.stdout
    assert "OFFLINE" in result.stdout and "completed" in result.stdout


def test_runs_json_and_limit(store: Path) -> None:
    result = invoke("runs", "--store", store, "--json", "--limit", "1")
    assert result.exit_code == 0, result.output
    (only,) = json.loads(result.stdout)
    assert only["id"] == run_ids(store)[0] and only["template"] == "board_meeting"
    assert only["offline"] is True and only["calls"] > 0
    by_template = json.loads(invoke("runs", "--store", store, "--json", "-t", "board_meeting").stdout)
    assert [r["template"] for r in by_template] == ["board_meeting"]


def test_runs_on_an_empty_store_says_so_without_creating_it(tmp_path: Path) -> None:
    result = invoke("runs", "--store", tmp_path / "nothing")
    assert result.exit_code == 0
    assert "no runs in" in result.stdout and not (tmp_path / "nothing").exists()
    assert json.loads(invoke("runs", "--store", tmp_path, "--json").stdout) == []


def test_runs_limit_must_be_positive(store: Path) -> None:
    result = invoke("runs", "--store", store, "--limit", "0")
    assert result.exit_code == 2
    assert "--limit" in one_error_line(result)


def test_export_last_writes_the_newest_run(store: Path) -> None:
    result = invoke("export", "last", "--store", store)
    assert result.exit_code == 0, result.output
    newest = run_ids(store)[0]
    folder = store / "exports" / newest
    names = {p.name for p in folder.iterdir()}
    assert {"run.json", "narrative.md", "screenplay.fountain", "timeline.graphml"} <= names
    assert newest in result.stdout and "run.json" in result.stdout
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert record["run"]["template"] == "board_meeting"


def test_export_chosen_formats_to_a_folder(store: Path, tmp_path: Path) -> None:
    oldest = run_ids(store)[-1]
    out = tmp_path / "mine"
    result = invoke("export", oldest, "-f", "fountain", "-f", "graphml", "--out", out, "--store", store)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "exposures.graphml", "screenplay.fountain", "timeline.graphml"
    ]
    assert "INES MOREAU" in (out / "screenplay.fountain").read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "fragment"), [
    (["export", "run_nope"], "no run 'run_nope'"),
    (["export", "last", "--format", "docx"], "unknown export format 'docx'"),
    (["query", "run_nope", "who?"], "no run 'run_nope'"),
    (["query", "last", "  "], "the question is empty"),
])
def test_bad_input_is_one_line_and_exit_two(store: Path, args: list[str], fragment: str) -> None:
    result = invoke(*args, "--store", store)
    assert result.exit_code == 2
    assert fragment in one_error_line(result)


def test_query_answers_with_cited_exposures(store: Path) -> None:
    oldest = run_ids(store)[-1]
    result = invoke("query", oldest, "What did Ines Moreau know at step 1?", "--store", store)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Ines Moreau at tp-001")
    assert "cited exposures" in result.stdout
    data = json.loads(
        invoke("query", oldest, "What did Ines Moreau know at step 1?", "--store", store, "--json")
        .stdout
    )
    assert data["entity_id"] == "ines_moreau" and data["timepoint_id"] == "tp-001"
    assert data["answer"] and data["cited"]
    cited = {event["id"] for event in data["cited_exposures"]}
    assert cited == set(data["cited"])
    assert all(event["entity_id"] == "ines_moreau" for event in data["cited_exposures"])
    with SqliteRunStore(StoreLayout(store).runs_db) as runs:
        exposures = runs.load_record(oldest).exposures
    hers = {event.id for event in exposures if event.entity_id == "ines_moreau"}
    assert cited <= hers and any(event_id in result.stdout for event_id in hers)
    assert data["resolution_after"] in ("scene", "graph", "dialog", "trained", "tensor_only")


def test_at_80_columns_runs_shows_every_id_template_and_status_whole(store: Path) -> None:
    result = invoke("runs", "--store", store, COLUMNS="80")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    words = set(result.stdout.split())
    assert set(run_ids(store)) <= words
    assert {"board_meeting", "convergence_simple", "completed", "pearl"} <= words


def test_at_80_columns_the_query_table_fits(store: Path) -> None:
    result = invoke("query", "last", "What did Helen Park know at step 1?", "--store", store,
                    COLUMNS="80")
    assert result.exit_code == 0, result.output
    table = result.stdout.split("cited exposures", 1)[1]
    assert max(len(line) for line in table.splitlines()) <= 80, table

"""``daedalus batch`` run, list, report and resume on the offline model; bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.support import invoke, one_error_line


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    store = tmp_path_factory.mktemp("store")
    result = invoke(
        "batch", "run", "board_meeting", "--seeds", "0-1", "--set", "timeline.steps=2",
        "--set", "dialog.max_turns=2", "--workers", "2", "--store", store, "--json",
    )
    assert result.exit_code == 0, result.output
    return store, json.loads(result.stdout)


def test_batch_run_prints_every_run_id_and_keeps_the_record(ran) -> None:
    store, summary = ran
    assert summary["completed"] == 2 and summary["failed"] == 0
    record = json.loads(Path(str(summary["record"])).read_text())
    assert [e["run_id"] for e in record["entries"]] == summary["runs"]
    listed = invoke("batch", "list", "--store", store)
    assert summary["batch"] in listed.stdout and "2 completed" in listed.stdout


def test_batch_run_shows_a_line_per_state_change_and_a_summary(tmp_path: Path) -> None:
    result = invoke(
        "batch", "run", "board_meeting", "--set", "timeline.steps=2", "--set",
        "dialog.max_turns=2", "--store", tmp_path,
    )
    assert result.exit_code == 0, result.output
    assert "[0/1]" in result.stderr and "running" in result.stderr
    assert "[1/1]" in result.stderr and "completed" in result.stderr
    assert "completed" in result.stdout and "record" in result.stdout


def test_batch_report_writes_tables_plots_and_markdown(ran, tmp_path: Path) -> None:
    store, summary = ran
    result = invoke("batch", "report", "last", "--store", store, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert list(runs["run_id"]) == summary["runs"]
    assert (runs["status"] == "completed").all() and (runs["calls"] > 0).all()
    assert pd.read_csv(tmp_path / "entities.csv")["entity"].nunique() >= 2
    for plot in ("cost_per_run.png", "outcomes.png"):
        assert (tmp_path / plot).read_bytes()[:4] == b"\x89PNG"
    report = (tmp_path / "report.md").read_text()
    assert "convergence of board_meeting (2 runs)" in report and "offline" in report


def test_batch_resume_of_a_finished_batch_runs_nothing(ran) -> None:
    store, summary = ran
    result = invoke("batch", "resume", str(summary["batch"]), "--store", store, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["runs"] == summary["runs"]
    assert "running" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nope"], "no template named 'nope'"),
        (["board_meeting", "--seeds", "3-1"], "--seeds '3-1'"),
        (["board_meeting", "--set", "dialog.max_turns"], "expected FIELD=VALUE"),
        (["board_meeting", "--set", "dialog.turns=4,8"], "dialog.turns: unknown field"),
        (["board_meeting", "--backend", "cloud"], "--backend 'cloud'"),
        (["board_meeting", "--backend", "ray", "--address", "127.0.0.1:1"], "no Ray cluster"),
        (
            ["board_meeting", "--store", "postgresql://u:pw@127.0.0.1:1/x"],
            "cannot use the store postgresql://u:***@127.0.0.1:1/x",
        ),
        (["board_meeting", "--store", "ftp://host/x"], "unsupported scheme 'ftp'"),
        (["mars_mission_portal", "--what-if", "x"], "cannot be branched"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_starts_nothing(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    store = tmp_path / "store"
    has_store = "--store" in args
    result = invoke("batch", "run", *args, *([] if has_store else ["--store", store]))
    assert result.exit_code == 2, result.output
    assert expected in one_error_line(result)
    assert not store.exists()


def test_an_unknown_batch_is_one_line(tmp_path: Path) -> None:
    result = invoke("batch", "report", "batch_nope", "--store", tmp_path)
    assert result.exit_code == 2
    assert "no batch 'batch_nope'" in one_error_line(result)


def test_batch_run_list_and_resume_on_a_postgres_store(postgres_url: str) -> None:
    result = invoke(
        "batch", "run", "board_meeting", "--seeds", "5", "--set", "timeline.steps=2",
        "--set", "dialog.max_turns=2", "--store", postgres_url, "--json",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["completed"] == 1 and "table batches" in summary["record"]
    listed = invoke("batch", "list", "--store", postgres_url)
    assert summary["batch"] in listed.stdout and "1 completed" in listed.stdout
    resumed = invoke("batch", "resume", summary["batch"], "--store", postgres_url, "--json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["runs"] == summary["runs"]

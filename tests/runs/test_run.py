"""``daedalus.runs.run`` and ``Run``: what a finished run holds, where it is kept, and replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import daedalus.runs as R
from daedalus.exports.narrative import OFFLINE_NOTICE as NARRATIVE_OFFLINE_LINE
from daedalus.provenance import Provenance
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.ledger_log import LedgerLog
from daedalus.store.record import MECHANISM_IDS
from daedalus.templates import load_template

TEMPLATE = "board_meeting"


def _dumps(items: object) -> list[str]:
    return [item.model_dump_json() for item in items]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[R.Run, list[str], Path]]:
    """One offline run of the quick template, its notices and its export directory."""
    root = tmp_path_factory.mktemp("store")
    notices: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        run = R.run(
            TEMPLATE, seed=3, store=root, run_id="first", out=root / "out",
            on_notice=notices.append,
        )
        yield run, notices, root


def test_a_run_exposes_its_timeline_cast_knowledge_dialogs_costs_and_mechanisms(finished):
    run, _, _ = finished
    scenario = load_template(TEMPLATE)
    assert run.status == "completed" and run.record.run.completed_at is not None
    assert run.timepoints and run.timepoints[0].id == "tp-000"
    assert set(scenario.entity_ids) <= set(run.entities)
    assert all(e.entity_id in run.entities for e in run.exposures)
    assert run.dialogs and all(d.turns for d in run.dialogs)
    spoken = {turn.speaker for d in run.dialogs for turn in d.turns}
    assert spoken <= set(run.entities)
    totals = run.ledger.totals()
    assert totals.calls == len(run.record.ledger) > 0
    assert list(run.mechanisms)[: len(MECHANISM_IDS)] == list(MECHANISM_IDS)
    assert run.mechanisms["M11"] > 0 and run.mechanisms["M3"] > 0
    summary = run.summary()
    assert summary["timepoints"] == len(run.timepoints)
    assert summary["turns"] == sum(len(d.turns) for d in run.dialogs)


def test_the_record_reads_back_equal_from_a_fresh_store(finished):
    run, _, root = finished
    with SqliteRunStore(StoreLayout(root).runs_db) as fresh:
        assert fresh.load_record(run.id) == run.record
        listed = {summary.id: summary for summary in fresh.list_runs()}
    assert listed[run.id].status == "completed"
    assert listed[run.id].calls == len(run.record.ledger)


def test_out_writes_every_export_of_the_stored_record(finished):
    run, _, root = finished
    out = root / "out"
    document = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert document["run"]["id"] == run.id and document["run"]["offline"] is True
    assert len(document["timepoints"]) == len(run.timepoints)
    assert NARRATIVE_OFFLINE_LINE in (out / "narrative.md").read_text(encoding="utf-8")
    for name in ("screenplay.fountain", "training.jsonl", "timeline.graphml", "exposures.graphml"):
        assert (out / name).stat().st_size > 0, name


def test_knowledge_at_agrees_with_provenance(finished):
    run, _, _ = finished
    provenance = Provenance(run.timepoints, run.exposures)
    told_later = 0
    for entity_id in run.entities:
        for tp in run.timepoints:
            known = run.knowledge_at(entity_id, tp.id)
            assert known == provenance.knowledge_at(entity_id, tp.id)
            told_later += sum(1 for e in known if e.timepoint_id not in (None, tp.id))
    assert told_later > 0  # knowledge from earlier moments reaches later ones


def test_the_run_is_labelled_offline(finished):
    run, notices, _ = finished
    assert run.offline and run.record.run.offline and run.record.run.model == "offline"
    assert all(row.offline and row.cost_usd == 0.0 for row in run.record.ledger)
    assert run.summary()["offline"] is True
    assert notices == [R.OFFLINE_NOTICE]


def test_the_ledger_on_disk_is_the_records_ledger(finished):
    run, _, root = finished
    on_disk = LedgerLog.of(root, run.id).read()
    assert on_disk == list(run.record.ledger)
    assert (root / "ledgers" / f"{run.id}.jsonl").read_text(encoding="utf-8").count("\n") == len(
        on_disk
    )


def test_a_replay_in_the_same_store_pays_for_nothing_and_gives_the_same_run(finished):
    run, _, root = finished
    assert any(not row.cache_hit for row in run.record.ledger)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        again = R.run(TEMPLATE, seed=3, store=root, run_id="again")
    assert again.record.ledger and all(row.cache_hit for row in again.record.ledger)
    assert len(again.record.ledger) == len(run.record.ledger)
    assert _dumps(again.timepoints) == _dumps(run.timepoints)
    assert _dumps(again.exposures) == _dumps(run.exposures)
    assert _dumps(again.dialogs) == _dumps(run.dialogs)


def test_another_seed_is_not_served_from_the_cache(finished):
    run, _, root = finished
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        other = R.run(TEMPLATE, seed=4, store=root, run_id="other_seed")
    assert any(not row.cache_hit for row in other.record.ledger)
    assert _dumps(other.dialogs) != _dumps(run.dialogs)

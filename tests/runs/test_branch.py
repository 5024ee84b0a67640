"""BRANCHING runs and ``branch``: counterfactual lines that share the parent's prefix (M12)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import daedalus.runs as R
from daedalus.domain import Timepoint
from daedalus.errors import ConfigError, ModelUnavailableError, RunError, StateConflictError
from daedalus.graphs.branching import BranchSpec
from daedalus.kernel.temporal import check_branching
from daedalus.provenance import Timeline
from daedalus.runs import _api
from daedalus.runs._execute import merge_branch
from daedalus.state import ValidationRecord
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.ledger_log import LedgerLog
from daedalus.store.record import RunMeta, RunRecord
from daedalus.templates import load_template
from tests.runs import failing_after

TEMPLATE = "vc_pitch_branching"
FORK = "tp-000"
INTERVENTION = "The lead investor withdraws the term sheet an hour after sending it"


def _dumps(items: Any) -> list[str]:
    return [item.model_dump_json() for item in items]


def _parent_checkpoints(root: Path, thread: str) -> list[str]:
    with sqlite3.connect(StoreLayout(root).checkpoints_db) as conn:
        rows = conn.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id",
            (thread,),
        ).fetchall()
    return [row[0] for row in rows]


@pytest.fixture(scope="module")
def branched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A BRANCHING run, then a user branch ``w1`` forked after its first moment."""
    root = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        parent = R.run(TEMPLATE, store=root, run_id="p")
        checkpoints = _parent_checkpoints(root, "p")
        events: list[tuple[Mapping[str, Any], int]] = []

        def note(event: Mapping[str, Any]) -> None:
            events.append((dict(event), len(LedgerLog.of(root, "p").read())))

        child = R.branch(parent, at=FORK, intervention=INTERVENTION, store=root, progress=note)
    return {
        "root": root, "before": parent.record, "after": child.record, "events": events,
        "checkpoints": checkpoints,
    }


def test_the_planned_branches_ran_from_the_fork_step(branched):
    record: RunRecord = branched["before"]
    scenario = load_template(TEMPLATE)
    assert scenario.branching is not None
    fork = f"tp-{scenario.branching.fork_step:03d}"
    planned = {b.id: b for b in record.branches if b.id != "main"}
    assert sorted(planned) == ["b1", "b2"]
    assert [planned[b].intervention for b in ("b1", "b2")] == list(scenario.branching.branch_points)
    timeline = Timeline(record.timepoints)
    for branch_id, branch in planned.items():
        assert branch.parent == "main" and branch.fork_timepoint == fork
        own = [tp for tp in record.timepoints if tp.id.startswith(f"{branch_id}-")]
        assert own and all(tp.branch_id == branch_id for tp in own)
        assert all(fork in timeline.ancestors(tp.id) for tp in own)
        first = next(tp for tp in own if tp.causal_parent == fork)
        assert first.event_description == branch.intervention
    assert record.mechanisms["M12"] >= 2


def test_branching_leaves_the_parent_byte_identical(branched):
    before: RunRecord = branched["before"]
    after: RunRecord = branched["after"]
    for key in ("timepoints", "exposures", "dialogs", "validation"):
        old, new = getattr(before, key), getattr(after, key)
        assert _dumps(new[: len(old)]) == _dumps(old), key
        assert len(new) > len(old) or key == "validation", key
    assert after.ledger[: len(before.ledger)] == before.ledger
    assert _parent_checkpoints(branched["root"], "p") == branched["checkpoints"]


def test_the_branch_pays_only_for_moments_after_the_fork(branched):
    before: RunRecord = branched["before"]
    after: RunRecord = branched["after"]
    events = [(e, rows) for e, rows in branched["events"] if e.get("event") == "timepoint"]
    own = [tp for tp in after.timepoints if tp.branch_id == "w1"]
    moments = [tp for tp in own if tp.moment_of is None]
    assert [e["id"] for e, _ in events] == [tp.id for tp in moments]
    # Nothing ran before the intervention moment was written, and writing it asked no model.
    assert events[0][0]["id"] == "w1-tp-001" and events[0][1] == len(before.ledger)
    new_rows = after.ledger[len(before.ledger):]
    by_node = Counter(row.node for row in new_rows)
    assert by_node["next_event"] == len(moments) - 1
    assert by_node["populate_tensors"] == 0 and by_node["load_roster"] == 0
    new_dialogs = after.dialogs[len(before.dialogs):]
    branch_ids = {tp.id for tp in own}
    assert new_dialogs and all(d.timepoint_id in branch_ids for d in new_dialogs)
    assert by_node["character"] > 0


def test_the_new_timeline_passes_the_branching_check(branched):
    before: RunRecord = branched["before"]
    after: RunRecord = branched["after"]
    report = check_branching(after.timepoints, before.timepoints, "w1", FORK)
    assert report.valid and not report.warnings, report.violations
    w1 = next(b for b in after.branches if b.id == "w1")
    assert (w1.parent, w1.fork_timepoint, w1.intervention) == ("main", FORK, INTERVENTION)
    first = next(tp for tp in after.timepoints if tp.branch_id == "w1")
    assert first.causal_parent == FORK and first.event_description == INTERVENTION


def test_no_entity_on_a_branch_knows_anything_from_another_branch(branched):
    record: RunRecord = branched["after"]
    provenance = record.provenance()
    timeline = Timeline(record.timepoints)
    branch_of = {tp.id: tp.branch_id for tp in record.timepoints}
    checked = shared = 0
    for tp in record.timepoints:
        if tp.branch_id == "main":
            continue
        allowed = set(timeline.ancestors(tp.id)) | {tp.id}
        assert all(branch_of[a] in ("main", tp.branch_id) for a in allowed)
        for entity_id in (e.id for e in record.entities):
            for event in provenance.knowledge_at(entity_id, tp.id):
                if event.timepoint_id is None:
                    continue
                checked += 1
                assert branch_of[event.timepoint_id] in ("main", tp.branch_id), (tp.id, event.id)
                assert event.timepoint_id in allowed
                shared += branch_of[event.timepoint_id] == "main"
    assert checked and shared  # the prefix is shared, and knowledge was really looked up


def test_branching_at_the_last_moment_or_an_unknown_one_is_a_clear_run_error(branched):
    root = branched["root"]
    main = [tp.id for tp in branched["after"].timepoints if tp.branch_id == "main"]
    main = [tp for tp in main if "." not in tp]
    with pytest.raises(RunError, match=rf"cannot branch at '{main[-1]}': pick a moment .* before"):
        R.branch("p", at=main[-1], intervention="Too late", store=root)
    with pytest.raises(RunError, match="cannot branch at 'tp-999'"):
        R.branch("p", at="tp-999", intervention="Nowhere", store=root)
    with pytest.raises(ConfigError, match="branch 'w1' already exists"):
        R.branch("p", at=FORK, intervention="Again", branch_id="w1", store=root)


def test_a_portal_run_cannot_be_branched(tmp_path: Path) -> None:
    scenario = load_template("litigation_portal")
    meta = RunMeta(
        id="portal_run", template=scenario.id, mode=scenario.mode, seed=0, model="offline",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with SqliteRunStore(StoreLayout(tmp_path).create().runs_db) as store:
        store.create_run(meta)
        store.save_record(RunRecord(run=meta, scenario=scenario))
    with pytest.raises(ConfigError, match="PORTAL run cannot be branched"):
        R.branch("portal_run", at="tp-000", intervention="Anything", store=tmp_path)


def test_a_branch_keeps_the_runs_completion_time(branched):
    before: RunRecord = branched["before"]
    after: RunRecord = branched["after"]
    assert after.run.status == "completed"
    assert after.run.completed_at == before.run.completed_at is not None


def _finding(record_id: str, message: str) -> ValidationRecord:
    return ValidationRecord(
        id=record_id, validator="temporal:cause_precedes_effect", message=message,
        action="recorded",
    )


def _moment(tp_id: str, branch_id: str = "main", parent: str | None = None) -> Timepoint:
    return Timepoint(
        id=tp_id, timestamp=datetime(2026, 1, 1, tzinfo=UTC), causal_parent=parent,
        event_description=tp_id, branch_id=branch_id,
    )


def test_merging_keeps_a_branch_finding_whose_id_the_parent_already_uses() -> None:
    spec = BranchSpec(id="w1", fork_timepoint="tp-000", intervention="Changed")
    shared = _finding("temporal-pearl-0", "error: on the main line")
    fork = _moment("tp-000")
    parent = {"timepoints": [fork, _moment("tp-001", parent="tp-000")], "validation": [shared],
              "mechanisms": {"M12": 0, "M17": 3}}
    seeded = {"timepoints": [fork], "validation": [], "mechanisms": {"M17": 1}}
    own = _moment("w1-tp-001", "w1", "tp-000")
    final = {
        "timepoints": [fork, own],
        "validation": [shared, _finding("temporal-pearl-0", "error: on the branch")],
        "mechanisms": {"M12": 1, "M17": 2},
    }
    merged = merge_branch(parent, seeded, final, spec)
    assert [tp.id for tp in merged["timepoints"]] == ["tp-000", "tp-001", "w1-tp-001"]
    assert [(v.id, v.message) for v in merged["validation"]] == [
        ("temporal-pearl-0", "error: on the main line"),
        ("w1:temporal-pearl-0", "error: on the branch"),
    ]
    assert merged["mechanisms"] == {"M12": 1, "M17": 4}  # the seed's counts are the parent's
    assert merged["branches"] == [{"id": "w1", "intervention": "Changed"}]


def test_merging_refuses_a_branch_moment_that_rewrites_a_parent_moment() -> None:
    spec = BranchSpec(id="w1", fork_timepoint="tp-000", intervention="Changed")
    parent = {"timepoints": [_moment("tp-000"), _moment("tp-001", parent="tp-000")]}
    seeded = {"timepoints": [_moment("tp-000")]}
    rewritten = _moment("tp-001", parent="tp-000").model_copy(update={"event_description": "x"})
    final = {"timepoints": [_moment("tp-000"), rewritten]}
    with pytest.raises(StateConflictError, match="'tp-001'"):
        merge_branch(parent, seeded, final, spec)


def _paid(rows: Any) -> int:
    return sum(1 for row in rows if not row.cache_hit and row.error is None)


def test_a_branch_cut_short_is_continued_and_another_change_gets_a_fresh_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)
    log = LedgerLog.of(tmp_path, "p")
    parent = R.run("board_meeting", store=tmp_path, run_id="p")
    start = len(log.read())
    with monkeypatch.context() as patch:
        patch.setattr(_api, "build_router", failing_after(2))
        with pytest.raises(ModelUnavailableError):
            R.branch(parent, at="tp-000", intervention="The chair resigns", store=tmp_path)
    cut = log.read()[start:]
    assert _paid(cut) == 2
    assert parent.refresh().record.branches == parent.record.branches  # nothing was saved

    other = R.branch(parent, at="tp-000", intervention="The auditor calls", store=tmp_path)
    assert [b.id for b in other.record.branches if b.id.startswith("w")] == ["w2"]
    before_resume = len(log.read())

    resumed = R.branch(parent, at="tp-000", intervention="The chair resigns", store=tmp_path)
    named = {b.id: b.intervention for b in resumed.record.branches if b.id.startswith("w")}
    assert named == {"w1": "The chair resigns", "w2": "The auditor calls"}

    alone_store = tmp_path / "alone"
    fresh = R.run("board_meeting", store=alone_store, run_id="p")
    alone = R.branch(fresh, at="tp-000", intervention="The chair resigns", store=alone_store)
    assert _dumps(tp for tp in resumed.timepoints if tp.branch_id == "w1") == _dumps(
        tp for tp in alone.timepoints if tp.branch_id == "w1"
    )
    # The answers the cut branch got are not paid for again when it is continued.
    continued = _paid(resumed.record.ledger[before_resume:])
    assert continued + _paid(cut) <= _paid(alone.record.ledger[len(fresh.record.ledger) :])

"""The run record: built from graph state, exact JSON round trips, derived views."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from daedalus.domain import Dialog, ResolutionLevel, TemporalMode, Timepoint
from daedalus.kernel.adprs import BandPrediction, shadow_report
from daedalus.llm.ledger import Ledger
from daedalus.store.record import MECHANISM_IDS, BranchRecord, RunMeta, RunRecord, Snapshot
from tests.store.records import START, sample_calls, sample_meta, sample_record, sample_state


def test_an_empty_state_gives_an_empty_record():
    record = RunRecord.from_state({}, meta=sample_meta())
    assert record == RunRecord(run=sample_meta())
    assert record.timepoints == () and record.branches == () and record.portal == {}
    assert record.story_order() == () and record.mechanism_counts()["M19"] == 0
    assert record.shadow_report().evaluations == 0
    assert record.title == "harbour_vote"


def test_from_state_reads_every_key():
    record = sample_record()
    state = sample_state()
    assert [e.id for e in record.entities] == ["ada", "ben"]
    assert record.timepoints == tuple(state["timepoints"])
    assert record.exposures == tuple(state["exposures"])
    assert record.withheld == {"ada": ("init-ada-1",)}
    assert record.dialogs == tuple(state["dialogs"])
    assert record.relationships == state["relationships"]
    assert record.environment.location == "Harbour office"
    assert [s.timepoint_id for s in record.snapshots] == ["tp-0", "tp-1"]
    assert record.ledger == tuple(sample_calls())
    assert record.resolution["ada"]["tp-1"] is ResolutionLevel.DIALOG
    assert record.prophecies == ({"id": "p1", "text": "The pier will fall", "fulfilled": False},)
    assert record.title == "The harbour vote"


def test_the_ledger_may_be_a_ledger_object():
    from_ledger = RunRecord.from_state({}, meta=sample_meta(), ledger=Ledger(sample_calls()))
    assert from_ledger.ledger == tuple(sample_calls())
    assert from_ledger.ledger_view().totals().prompt_tokens == 2510


def test_json_round_trip_is_exact_even_for_tuples_inside_plain_values():
    record = sample_record()
    assert record.portal["note"] == ["unused", "in branching"]
    again = RunRecord.model_validate_json(record.model_dump_json())
    assert again == record
    assert again.scenario == record.scenario


def test_knowledge_at_follows_causal_ancestry():
    record = sample_record()
    ids = lambda entity, tp: [e.id for e in record.knowledge_at(entity, tp)]  # noqa: E731
    assert ids("ben", "tp-0") == ["init-ben-0"]
    assert ids("ben", "tp-1") == ["init-ben-0", "dlg-tp-1-told-0-ben"]
    # the branch shares tp-0 but never sees what was said on the main line after the fork
    assert ids("ada", "alt.tp-1") == ["init-ada-0", "init-ada-1", "tp-0-ada-report", "alt.tp-1-ada-storm"]


def test_branches_come_from_the_timeline_with_declared_interventions():
    record = sample_record()
    assert record.branches == (
        BranchRecord(id="main"),
        BranchRecord(id="alt", parent="main", fork_timepoint="tp-0",
                     intervention="A storm hits the night before the meeting"),
    )


def test_branches_may_be_declared_as_a_map_and_before_their_first_timepoint():
    state = sample_state()
    state["branches"] = {"alt": "Storm", "later": {"parent": "alt", "intervention": "Fire"}}
    record = RunRecord.from_state(state, meta=sample_meta())
    assert record.branches[1].intervention == "Storm"
    assert record.branches[2] == BranchRecord(id="later", parent="alt", intervention="Fire")


def test_a_declared_branch_without_id_is_refused():
    state = sample_state()
    state["branches"] = [{"intervention": "Storm"}]
    with pytest.raises(ValueError, match="needs an 'id'"):
        RunRecord.from_state(state, meta=sample_meta())


def test_mechanism_counts_list_m1_to_m19_then_others():
    record = RunRecord(run=sample_meta(), mechanisms={"M12": 2, "M3": 1, "ADPRS": 5})
    counts = record.mechanism_counts()
    assert list(counts)[:19] == list(MECHANISM_IDS)
    assert list(counts)[19:] == ["ADPRS"]
    assert counts["M3"] == 1 and counts["M12"] == 2 and counts["M1"] == 0


def test_the_shadow_report_compares_phi_bands_with_levels_used():
    record = sample_record()
    expected = shadow_report(
        {(e, tp): BandPrediction(phi=v) for e, m in record.phi.items() for tp, v in m.items()},
        {(e, tp): lv for e, m in record.resolution.items() for tp, lv in m.items()},
    )
    report = record.shadow_report()
    assert report == expected
    # ada at tp-0: phi 0.55 predicts GRAPH and GRAPH was used; at tp-1 0.9 predicts TRAINED, DIALOG used
    assert (report.evaluations, report.actual_below, report.predicted_only) == (4, 1, 1)


def test_a_phi_outside_the_unit_interval_is_refused():
    with pytest.raises(ValidationError):
        RunRecord(run=sample_meta(), phi={"ada": {"tp-0": 1.5}})


def test_story_order_puts_the_main_line_before_a_branch():
    assert [tp.id for tp in sample_record().story_order()] == ["tp-0", "tp-1", "alt.tp-1"]


def test_story_order_follows_a_presentation_order_first():
    state = sample_state()
    state["presentation_order"] = ["tp-1", "tp-0"]
    record = RunRecord.from_state(state, meta=sample_meta())
    assert [tp.id for tp in record.story_order()] == ["tp-1", "tp-0", "alt.tp-1"]
    assert record.causal_order()[0].id == "tp-0"


@pytest.mark.parametrize("change", [
    {"dialogs": (Dialog(id="d", timepoint_id="nowhere", participants=("ada",)),)},
    {"presentation_order": ("nowhere",)},
    {"snapshots": (Snapshot(timepoint_id="nowhere"),)},
])
def test_references_to_missing_timepoints_are_refused(change):
    fields = {**dict(sample_record()), **change}
    with pytest.raises(ValidationError, match="'nowhere'"):
        RunRecord(**fields)


def test_offline_use_shows_in_the_meta_or_the_ledger():
    paid = sample_meta(offline=False, model="some/model")
    assert RunRecord(run=paid).used_offline is False
    assert RunRecord(run=paid, ledger=tuple(sample_calls())).used_offline is True
    assert RunRecord(run=sample_meta()).used_offline is True


def test_snapshot_of_copies_the_current_maps():
    state = sample_state()
    snap = Snapshot.of(state, "tp-1")
    assert snap.cognitive == state["cognitive"] and snap.relationships == state["relationships"]
    assert Snapshot.of({}, "tp-0") == Snapshot(timepoint_id="tp-0")


def test_run_meta_ids_follow_the_id_pattern():
    with pytest.raises(ValidationError):
        RunMeta(id="-bad id", template="t", mode=TemporalMode.PEARL, seed=1, model="offline",
                started_at=START)


@st.composite
def forests(draw):
    """Timelines where each timepoint hangs under an earlier one, sometimes on a new branch."""
    count = draw(st.integers(min_value=1, max_value=12))
    timepoints = []
    for n in range(count):
        parent = draw(st.one_of(st.none(), st.integers(0, n - 1))) if n else None
        inherited = timepoints[parent].branch_id if parent is not None else "main"
        branch = draw(st.sampled_from([inherited, f"b{n}"]))
        timepoints.append(Timepoint(
            id=f"t{n}", timestamp=datetime(2026, 1, 1) + timedelta(hours=n),
            causal_parent=None if parent is None else f"t{parent}", branch_id=branch,
        ))
    return timepoints


@settings(max_examples=60, deadline=None)
@given(forests())
def test_every_branch_forks_where_its_first_timepoint_leaves_its_parent_branch(timepoints):
    record = RunRecord.from_state({"timepoints": timepoints}, meta=sample_meta())
    by_id = {tp.id: tp for tp in timepoints}
    first = {}
    for tp in record.causal_order():
        first.setdefault(tp.branch_id, tp)
    assert [b.id for b in record.branches] == list(first)
    for branch in record.branches:
        start = first[branch.id]
        parent = by_id.get(start.causal_parent) if start.causal_parent else None
        if parent is None or parent.branch_id == branch.id:
            assert branch.parent is None and branch.fork_timepoint is None
        else:
            assert branch.fork_timepoint == parent.id and branch.parent == parent.branch_id
    assert RunRecord.model_validate_json(record.model_dump_json()) == record


def test_the_nonlinear_graph_key_presentation_is_read_too():
    state = {**sample_state(), "presentation": ["tp-1", "tp-0", "alt.tp-1"]}
    record = RunRecord.from_state(state, meta=sample_meta())
    assert record.presentation_order == ("tp-1", "tp-0", "alt.tp-1")


def test_portal_and_prophecies_may_be_pydantic_values():
    from pydantic import BaseModel

    class Pivot(BaseModel):
        step: int
        at: datetime

    class Portal(BaseModel):
        steps: list[dict]
        pivots: list[Pivot]

    state = {**sample_state(), "portal": Portal(steps=[{"chosen": "c1"}], pivots=[Pivot(step=2, at=START)]),
             "prophecies": [Pivot(step=1, at=START)]}
    record = RunRecord.from_state(state, meta=sample_meta())
    assert record.portal == {"steps": [{"chosen": "c1"}], "pivots": [{"step": 2, "at": START.isoformat()}]}
    assert record.prophecies == ({"step": 1, "at": START.isoformat()},)
    assert RunRecord.model_validate_json(record.model_dump_json()) == record


def test_every_counter_has_a_documented_unit():
    from daedalus.store.record import MECHANISM_UNITS

    assert list(MECHANISM_UNITS) == list(MECHANISM_IDS)
    assert all(unit.strip() for unit in MECHANISM_UNITS.values())


def test_the_compression_error_of_each_compressed_entity_is_kept_and_round_trips():
    """M6: run.json carries, per entity stored compressed, its round-trip error."""
    record = RunRecord.from_state({"compression_error": {"ben": 0.125, "ada": 0.0}},
                                  meta=sample_meta())
    assert record.compression_error == {"ada": 0.0, "ben": 0.125}
    assert RunRecord.model_validate_json(record.model_dump_json()) == record

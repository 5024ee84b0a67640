from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import TemporalMode, Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.temporal import (
    ConsistencyReport,
    Prophecy,
    Severity,
    TemporalRule,
    check_branching,
    check_consistency,
    check_cyclical,
    check_directorial,
    check_nonlinear,
    check_pearl,
    check_portal,
)
from daedalus.provenance import Timeline

T0 = datetime(2030, 1, 1)
Rule = TemporalRule


def tp(tp_id: str, parent: str | None = None, hours: float = 0, **fields: object) -> Timepoint:
    return Timepoint(
        id=tp_id, timestamp=T0 + timedelta(hours=hours), causal_parent=parent, **fields
    )


def chain(count: int, prefix: str = "t") -> list[Timepoint]:
    return [tp(f"{prefix}{i}", f"{prefix}{i - 1}" if i else None, i) for i in range(count)]


def broken(report: ConsistencyReport, rule: TemporalRule) -> list[tuple[str, ...]]:
    return [v.timepoint_ids for v in report.violations if v.rule is rule]


# ---- PEARL / DIRECTORIAL ----------------------------------------------------------------


def test_pearl_accepts_a_forward_chain_with_simultaneous_details():
    timeline = [
        *chain(3),
        tp("d1", "t1", 1, moment_of="t1"),
        tp("d2", "d1", 1.5, moment_of="t1"),
        tp("d2a", "d2", 1.5, moment_of="d2"),
    ]
    report = check_pearl(timeline)
    assert report.valid and report.violations == () and report.mode is TemporalMode.PEARL


def test_pearl_rejects_effects_before_or_with_their_cause():
    report = check_pearl([tp("a", None, 5), tp("b", "a", 4), tp("c", "a", 5)])
    assert not report.valid
    assert broken(report, Rule.CAUSE_PRECEDES_EFFECT) == [("a", "b"), ("a", "c")]
    assert "precedes" in report.violations[0].message


def test_pearl_rejects_a_next_moment_before_the_last_detail():
    timeline = [
        tp("m", None, 0),
        tp("d1", "m", 0, moment_of="m"),
        tp("d2", "d1", 3, moment_of="m"),
        tp("n", "m", 2),
    ]
    assert broken(check_pearl(timeline), Rule.CAUSE_PRECEDES_EFFECT) == [("d2", "n")]


def test_pearl_reports_structure_instead_of_raising():
    dangling = check_pearl([tp("a"), tp("b", "ghost", 1)])
    assert broken(dangling, Rule.CAUSAL_STRUCTURE) == [("b", "ghost")]
    looped = check_pearl([tp("x", "z"), tp("y", "x", 1), tp("z", "y", 2)])
    assert broken(looped, Rule.CAUSAL_STRUCTURE) == [("x", "z", "y")]
    assert "causal cycle" in looped.violations[0].message and not looped.valid


def test_directorial_applies_the_causal_rules():
    assert check_directorial(chain(4)).valid
    report = check_directorial([tp("a", None, 2), tp("b", "a", 1)])
    assert report.mode is TemporalMode.DIRECTORIAL
    assert broken(report, Rule.CAUSE_PRECEDES_EFFECT) == [("a", "b")]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=12))
def test_pearl_flags_exactly_the_links_that_go_back_in_time(hours):
    timeline = [tp(f"t{i}", f"t{i - 1}" if i else None, h) for i, h in enumerate(hours)]
    expected = [(f"t{i - 1}", f"t{i}") for i in range(1, len(hours)) if hours[i] <= hours[i - 1]]
    report = check_pearl(timeline)
    assert broken(report, Rule.CAUSE_PRECEDES_EFFECT) == expected
    assert report.valid is (not expected)


# ---- NONLINEAR --------------------------------------------------------------------------


def test_nonlinear_accepts_any_permutation():
    report = check_nonlinear(chain(4), ["t3", "t0", "t2", "t1"])
    assert report.valid and report.mode is TemporalMode.NONLINEAR


def test_nonlinear_rejects_bad_presentation_orders():
    report = check_nonlinear(chain(4), ["t3", "t0", "t3", "zz", "t1"])
    assert broken(report, Rule.PRESENTATION_DUPLICATE) == [("t3",)]
    assert broken(report, Rule.UNKNOWN_TIMEPOINT) == [("zz",)]
    assert broken(report, Rule.PRESENTATION_MISSING) == [("t2",)]
    assert not report.valid


def test_nonlinear_checks_causality_on_causal_order():
    timeline = [tp("a", None, 3), tp("b", "a", 1)]
    report = check_nonlinear(timeline, ["b", "a"])
    assert broken(report, Rule.CAUSE_PRECEDES_EFFECT) == [("a", "b")]


# ---- CYCLICAL ---------------------------------------------------------------------------


def test_cyclical_accepts_linked_closed_cycles_and_fulfilled_prophecy():
    prophecy = Prophecy(text="the tower falls", made_at="t1", fulfilled_at="t4")
    report = check_cyclical(chain(6), 3, [prophecy], closes={"t5": "t3"})
    assert report.valid and report.violations == ()


def test_cyclical_requires_the_final_closure():
    report = check_cyclical(chain(6), 3)
    assert broken(report, Rule.CYCLE_CLOSURE) == [("t5", "t3")]
    assert "closes['t5'] = 't3'" in report.violations[0].message


def test_cyclical_rejects_wrong_closures():
    report = check_cyclical(chain(6), 3, closes={"t5": "t0", "t4": "t3", "t2": "t0", "q": "t0"})
    assert broken(report, Rule.CYCLE_CLOSURE) == [("t5", "t0"), ("t4", "t3")]
    assert broken(report, Rule.UNKNOWN_TIMEPOINT) == [("q",)]


def test_cyclical_rejects_an_incomplete_cycle_and_unlinked_cycles():
    assert broken(check_cyclical(chain(5), 3), Rule.CYCLE_INCOMPLETE) == [("t3", "t4")]
    two_roots = [*chain(3, "a"), *chain(3, "b")]
    report = check_cyclical(two_roots, 3, closes={"b2": "b0"})
    assert broken(report, Rule.CYCLE_LINK) == [("a2", "b0")]


def test_cyclical_prophecies():
    prophecies = [
        Prophecy(text="backwards", made_at="t4", fulfilled_at="t1"),
        Prophecy(text="same moment", made_at="t2", fulfilled_at="t2"),
        Prophecy(text="waiting", made_at="t0"),
        Prophecy(text="lost", made_at="t0", fulfilled_at="nowhere"),
    ]
    report = check_cyclical(chain(6), 3, prophecies, closes={"t5": "t3"})
    assert broken(report, Rule.PROPHECY_ORDER) == [("t4", "t1"), ("t2",)]
    assert broken(report, Rule.UNKNOWN_TIMEPOINT) == [("nowhere",)]
    unfulfilled = [v for v in report.violations if v.rule is Rule.PROPHECY_UNFULFILLED]
    assert [v.severity for v in unfulfilled] == [Severity.WARNING]


def test_unfulfilled_prophecy_is_only_a_warning():
    report = check_cyclical(chain(3), 3, [Prophecy(text="one day", made_at="t0")], {"t2": "t0"})
    assert report.valid and len(report.warnings) == 1 and report.errors == ()


def test_cyclical_needs_a_positive_cycle_length():
    with pytest.raises(ConfigError, match="cycle_length must be at least 1, got 0"):
        check_cyclical(chain(3), 0)


# ---- PORTAL -----------------------------------------------------------------------------


def test_portal_accepts_a_linked_backward_chain():
    report = check_portal(chain(5), ["t4", "t3", "t2", "t1"])
    assert report.valid and report.mode is TemporalMode.PORTAL


def test_portal_rejects_order_links_duplicates_and_unknowns():
    timeline = [tp("o"), tp("a", "o", 5), tp("b", "o", 3), tp("e", "a", 4)]
    report = check_portal(timeline, ["e", "a", "o", "a", "zz"])
    assert broken(report, Rule.PORTAL_ORDER) == [("a", "e"), ("a", "o")]
    assert broken(report, Rule.PORTAL_LINK) == [("o", "a")]
    assert broken(report, Rule.PORTAL_DUPLICATE) == [("a",)]
    assert broken(report, Rule.UNKNOWN_TIMEPOINT) == [("zz",)]
    assert not check_portal(timeline, []).valid


def test_portal_origin_must_not_hang_off_the_chain():
    timeline = [tp("x"), tp("o", "a", 1), tp("a", "x", 2), tp("e", "a", 3)]
    report = check_portal(timeline, ["e", "a", "o"])
    assert broken(report, Rule.PORTAL_ORIGIN) == [("o", "a")]
    assert broken(report, Rule.PORTAL_LINK) == [("a", "o")]


# ---- BRANCHING --------------------------------------------------------------------------


def branched() -> tuple[list[Timepoint], list[Timepoint]]:
    parent = chain(4)
    branch = [tp("b1", "t1", 2, branch_id="what_if"), tp("b2", "b1", 3, branch_id="what_if")]
    return parent, branch


def test_branching_accepts_a_clean_fork():
    parent, branch = branched()
    report = check_branching([*parent, *branch], parent, "what_if", "t1")
    assert report.valid and report.violations == ()


def test_branching_rejects_a_changed_or_missing_parent():
    parent, branch = branched()
    edited = parent[2].model_copy(update={"event_description": "rewritten"})
    report = check_branching([parent[0], parent[1], edited, *branch], parent, "what_if", "t1")
    assert broken(report, Rule.PARENT_MODIFIED) == [("t2",)]
    assert broken(report, Rule.PARENT_MISSING) == [("t3",)]


def test_branching_rejects_detached_timepoints_and_bad_fork_or_id():
    parent, branch = branched()
    stray = tp("b3", "t2", 4, branch_id="what_if")
    report = check_branching([*parent, *branch, stray], parent, "what_if", "t1")
    assert broken(report, Rule.BRANCH_DETACHED) == [("b3",)]
    assert broken(check_branching([*parent, *branch], parent, "what_if", "zz"), Rule.UNKNOWN_FORK)
    reused = check_branching([*parent, *branch], parent, "main", "t1")
    assert broken(reused, Rule.BRANCH_ID_IN_PARENT) == [("t0", "t1", "t2", "t3")]


def test_empty_branch_is_a_warning():
    parent, _ = branched()
    report = check_branching(parent, parent, "what_if", "t1")
    assert report.valid and [v.rule for v in report.warnings] == [Rule.BRANCH_EMPTY]


def test_branch_upstream_of_the_parent_is_a_leak():
    # The parent's late timepoint named a cause that only the branch later supplied.
    parent = [*chain(2), tp("late", "b1", 5)]
    branch = [tp("b1", "t1", 2, branch_id="what_if")]
    report = check_branching(Timeline([*parent, *branch]), parent, "what_if", "t1")
    assert broken(report, Rule.BRANCH_LEAK) == [("b1", "late")]


# ---- dispatcher and report --------------------------------------------------------------


def test_dispatcher_routes_every_mode():
    parent, branch = branched()
    forked = [*parent, *branch]
    inputs = {
        TemporalMode.PEARL: (forked, {}),
        TemporalMode.DIRECTORIAL: (forked, {}),
        TemporalMode.NONLINEAR: (
            forked,
            {"presentation_order": ["t3", "t2", "t1", "t0", "b2", "b1"]},
        ),
        TemporalMode.CYCLICAL: (parent, {"cycle_length": 2, "closes": {"t3": "t2"}}),
        TemporalMode.PORTAL: (forked, {"chain": ["b2", "b1", "t1", "t0"]}),
        TemporalMode.BRANCHING: (
            forked,
            {"parent_snapshot": parent, "branch_id": "what_if", "fork_timepoint_id": "t1"},
        ),
    }
    for mode, (timeline, kwargs) in inputs.items():
        report = check_consistency(mode, timeline, **kwargs)
        assert report.mode is mode and report.valid, (mode, report.violations)
    assert check_consistency("pearl", chain(2)).mode is TemporalMode.PEARL
    failing = check_consistency(TemporalMode.PORTAL, forked, chain=["b2", "t1"])
    assert broken(failing, Rule.PORTAL_LINK) == [("b2", "t1")]


def test_dispatcher_rejects_bad_inputs():
    with pytest.raises(ConfigError, match="needs presentation_order"):
        check_consistency(TemporalMode.NONLINEAR, chain(2))
    with pytest.raises(ConfigError, match="does not take chain"):
        check_consistency(TemporalMode.PEARL, chain(2), chain=["t1"])
    with pytest.raises(ConfigError, match="unknown temporal mode 'spiral'"):
        check_consistency("spiral", chain(2))


def test_report_round_trips_through_json():
    report = check_nonlinear(chain(3), ["t0"])
    data = report.model_dump(mode="json")
    assert data["valid"] is False
    again = ConsistencyReport.model_validate(data)
    assert again == report and not again.valid
    assert again.rules() == {Rule.PRESENTATION_MISSING}

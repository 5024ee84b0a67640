from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daedalus.domain import Timepoint
from daedalus.errors import StateConflictError
from daedalus.state import add_counts, append_unique, merge_map, merge_nested


def tp(tp_id: str, event: str = "") -> Timepoint:
    return Timepoint(id=tp_id, timestamp=datetime(2026, 1, 1), event_description=event)


def test_append_unique_skips_identical_repeats():
    log = append_unique([tp("a")], [tp("a"), tp("b")])
    assert [t.id for t in log] == ["a", "b"]


def test_append_unique_refuses_a_changed_record():
    with pytest.raises(StateConflictError, match="'a'"):
        append_unique([tp("a", "one")], [tp("a", "two")])


def test_append_unique_handles_empty_sides():
    assert append_unique(None, None) == []
    assert [t.id for t in append_unique(None, [tp("x")])] == ["x"]


@given(st.lists(st.sampled_from("abcdef")), st.lists(st.sampled_from("abcdef")))
def test_append_unique_is_idempotent_and_keeps_order(left_ids, right_ids):
    left = append_unique([], [tp(i) for i in left_ids])
    once = append_unique(left, [tp(i) for i in right_ids])
    twice = append_unique(once, [tp(i) for i in right_ids])
    assert once == twice
    ids = [t.id for t in once]
    assert len(ids) == len(set(ids))
    assert ids[: len(left)] == [t.id for t in left]


def test_merge_map_and_nested():
    assert merge_map({"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}
    assert merge_nested({"e": {"t1": 1}}, {"e": {"t2": 2}, "f": {"t1": 0}}) == {
        "e": {"t1": 1, "t2": 2},
        "f": {"t1": 0},
    }


@given(st.dictionaries(st.text(max_size=3), st.integers(0, 9)),
       st.dictionaries(st.text(max_size=3), st.integers(0, 9)))
def test_add_counts_sums(left, right):
    total = add_counts(left, right)
    assert sum(total.values()) == sum(left.values()) + sum(right.values())


def test_apply_update_uses_the_schema_reducers():
    from daedalus.state import SimState, apply_update

    state = {"timepoints": [tp("a")], "mechanisms": {"M1": 1}, "cursor": "a"}
    after = apply_update(state, {"timepoints": [tp("b")], "mechanisms": {"M1": 2}, "cursor": "b"}, SimState)
    assert [t.id for t in after["timepoints"]] == ["a", "b"]
    assert after["mechanisms"] == {"M1": 3} and after["cursor"] == "b"
    assert state["cursor"] == "a"  # the input is not changed


def test_logs_are_checkpointed_as_writes_and_read_back_whole():
    from typing import Any

    from langgraph.graph import END, START, StateGraph

    from daedalus.state import SNAPSHOT_EVERY, SimState
    from daedalus.store.checkpoint import memory_checkpointer

    moments = SNAPSHOT_EVERY + 6

    def add_moment(state: SimState) -> dict[str, Any]:
        return {"timepoints": [tp(f"t{len(state.get('timepoints', []))}")], "cursor": "c"}

    graph = StateGraph(SimState)
    graph.add_node("add_moment", add_moment)
    graph.add_edge(START, "add_moment")
    graph.add_conditional_edges(
        "add_moment",
        lambda s: END if len(s["timepoints"]) >= moments else "add_moment",
        ["add_moment", END],
    )
    saver = memory_checkpointer()
    app = graph.compile(checkpointer=saver)
    config: Any = {"configurable": {"thread_id": "t"}, "recursion_limit": moments + 10}
    app.invoke({"cursor": None}, config)
    assert [t.id for t in app.get_state(config).values["timepoints"]] == [
        f"t{i}" for i in range(moments)
    ]
    holding = [
        saved for saved in saver.list(config) if "timepoints" in saved.checkpoint["channel_values"]
    ]
    # the whole log sits only in the periodic snapshots, not in every one of the checkpoints
    assert 1 <= len(holding) <= 2 < moments

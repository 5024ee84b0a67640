"""The search record in graph state: each node writes a patch, and the patches give back the
record exactly, also after a trip through the checkpoint serializer."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.portal import (
    PortalPatch,
    PortalRecord,
    PortalState,
    add_round,
    apply_decision,
    decide,
    judge_round,
    new_candidates,
    open_round,
    patch_of,
    start_record,
    with_chain,
)
from daedalus.portal._state import apply_writes
from daedalus.scenario import PortalStrategy
from daedalus.state import apply_update
from daedalus.store.checkpoint import serializer
from tests.portal.test_portal import flat, reached, scenario


def records(steps: int, strategy: PortalStrategy, budget: int, salt: int) -> list[PortalRecord]:
    """Every record the search passes through, as its nodes write them."""
    spec = scenario(steps=steps, strategy=strategy.value, max_backtracks=budget)
    record = start_record(spec.portal, spec)
    seen = [record]
    while record.pending is not None:
        frame = open_round(record)
        shift = ((record.round_count * 7919 + frame.slot * 31 + salt) % 100) / 100
        values = [round((v + shift) % 1.0, 3) for v in (0.2, 0.5, 0.9)]
        drafts = [(f"event {frame.id} #{i}", ["e0"], 0.4, "because") for i in range(3)]
        record = add_round(record, new_candidates(frame, drafts))
        seen.append(record)
        ids = [c.id for c in record.latest.candidates]
        judged = {i: (flat(v), f"critique {i}") for i, v in zip(ids, values, strict=True)}
        record = judge_round(record, frame.id, {i: reached(i) for i in ids}, judged)
        seen.append(record)
        record = apply_decision(record, decide(record))
        seen.append(record)
    seen.append(with_chain(record, spec.entity_ids))
    return seen


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 5),
    st.sampled_from(list(PortalStrategy)),
    st.integers(0, 2),
    st.integers(0, 2**16),
)
def test_patches_rebuild_every_record_through_the_serializer(steps, strategy, budget, salt):
    serde = serializer()
    history = records(steps, strategy, budget, salt)
    writes = [patch_of(None, history[0])]
    writes += [patch_of(old, new) for old, new in pairwise(history)]
    assert isinstance(writes[0], PortalRecord)
    assert all(isinstance(write, PortalPatch) for write in writes[1:])
    stored = [serde.loads_typed(serde.dumps_typed(write)) for write in writes]
    for count, record in enumerate(history, start=1):
        assert apply_writes(None, stored[:count]) == record
        assert apply_writes(None, writes[:count]) == record


def test_a_patch_holds_only_the_rounds_it_changed():
    history = records(6, PortalStrategy.REVERSE_CHRONOLOGICAL, 2, 11)
    final = history[-1]
    assert final.round_count >= 6
    for old, new in pairwise(history):
        patch = patch_of(old, new)
        assert isinstance(patch, PortalPatch)
        assert sum(len(step.rounds) for step in patch.head.steps) <= 1
        assert len(patch.head.decisions) <= 1


def test_the_state_key_folds_patches_as_the_graph_does():
    history = records(3, PortalStrategy.OSCILLATING, 1, 5)
    state: dict[str, object] = {}
    previous = None
    for record in history:
        state = apply_update(state, {"portal": patch_of(previous, record)}, PortalState)
        previous = record
    assert state["portal"] == history[-1]

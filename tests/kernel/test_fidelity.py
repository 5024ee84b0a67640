import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from daedalus.domain import EntityMetadata, Relationship, ResolutionLevel
from daedalus.errors import ConfigError
from daedalus.kernel.fidelity import (
    TOKENS_PER_LEVEL,
    FidelityMap,
    FidelityThresholds,
    compress_by_disuse,
    decide_resolution,
    earned_resolution,
    record_elaboration,
    record_query,
    relationship_centrality,
    relationship_weight,
)

T, S, G, D, TR = (
    ResolutionLevel.TENSOR_ONLY,
    ResolutionLevel.SCENE,
    ResolutionLevel.GRAPH,
    ResolutionLevel.DIALOG,
    ResolutionLevel.TRAINED,
)
THRESHOLDS = FidelityThresholds(
    frequent_access=3, central_node=0.6, critical_event=0.7, elaborations_per_level=2
)
levels = st.sampled_from(list(ResolutionLevel))
units = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
metadata = st.builds(
    EntityMetadata,
    query_count=st.integers(0, 20),
    training_iterations=st.integers(0, 20),
    eigenvector_centrality=units,
    resolution=levels,
    last_accessed=st.one_of(st.none(), st.integers(0, 50)),
)


# M1: token costs and the resolution map


def test_token_costs_rise_with_level_and_match_the_documented_ends():
    costs = [TOKENS_PER_LEVEL[level] for level in ResolutionLevel]
    assert costs == sorted(costs) and len(set(costs)) == len(costs)
    assert TOKENS_PER_LEVEL[T] == 200
    assert TOKENS_PER_LEVEL[D] == 10_000
    assert TOKENS_PER_LEVEL[TR] == 50_000


def test_map_set_returns_a_new_map_and_leaves_the_old_one():
    empty = FidelityMap()
    one = empty.set("madison", "t0", D)
    assert empty.get("madison", "t0") is T
    assert one.get("madison", "t0") is D
    assert one.get("madison", "t1") is T
    assert one.set("madison", "t0", S).get("madison", "t0") is S


def test_map_elevate_never_lowers():
    fmap = FidelityMap().set("washington", "t0", TR)
    assert fmap.elevate("washington", "t0", S) is fmap
    assert fmap.elevate("washington", "t0", S).get("washington", "t0") is TR
    assert fmap.elevate("attendee_47", "t0", G).get("attendee_47", "t0") is G


def test_map_totals_count_set_cells_only():
    fmap = (
        FidelityMap()
        .set("washington", "t0", TR)
        .set("madison", "t0", D)
        .set("attendee_47", "t0", T)
    )
    assert fmap.total_tokens() == 50_000 + 10_000 + 200
    assert fmap.tokens_by_entity() == {"attendee_47": 200, "madison": 10_000, "washington": 50_000}
    assert fmap.level_counts() == {T: 1, S: 0, G: 0, D: 1, TR: 1}
    assert [cell[0] for cell in fmap.cells()] == ["attendee_47", "madison", "washington"]


def test_map_is_frozen_and_does_not_share_the_callers_dict():
    source = {"a": {"t0": S}}
    fmap = FidelityMap(levels=source)
    source["a"]["t0"] = TR
    assert fmap.get("a", "t0") is S
    with pytest.raises(ValidationError):
        fmap.default = D  # type: ignore[misc]


def test_map_round_trips_through_json():
    fmap = FidelityMap().set("a", "t0", D).set("b", "t1", S)
    assert FidelityMap.model_validate_json(fmap.model_dump_json()) == fmap


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), levels), max_size=12))
def test_elevate_is_monotone_per_cell(steps):
    fmap = FidelityMap()
    for entity_id, timepoint_id, level in steps:
        before = fmap.get(entity_id, timepoint_id)
        fmap = fmap.elevate(entity_id, timepoint_id, level)
        assert fmap.get(entity_id, timepoint_id) == max(before, level)


# M5: eigenvector centrality from the relationship graph


def rel(a, b, trust=0.5, interactions=0):
    return Relationship(a=a, b=b, trust=trust, interaction_count=interactions)


def test_weight_grows_with_trust_and_interactions():
    assert relationship_weight(rel("a", "b", trust=0.0, interactions=9)) == 0.0
    assert relationship_weight(rel("a", "b", 0.8)) > relationship_weight(rel("a", "b", 0.4))
    assert relationship_weight(rel("a", "b", 0.5, 10)) > relationship_weight(rel("a", "b", 0.5, 1))


def test_star_centre_is_most_central():
    relationships = [rel("hub", leaf) for leaf in ("a", "b", "c", "d")]
    scores = relationship_centrality(["hub", "a", "b", "c", "d"], relationships)
    assert scores["hub"] == 1.0
    assert scores["a"] == scores["b"] == scores["c"] == scores["d"]
    assert 0.0 < scores["a"] < 1.0


def test_trusted_frequent_ties_raise_centrality():
    base = [rel("a", "b"), rel("b", "c"), rel("c", "d")]
    plain = relationship_centrality("abcd", base)
    assert plain["b"] == plain["c"]
    boosted = relationship_centrality("abcd", [*base[:2], rel("c", "d", 1.0, 30)])
    assert boosted["c"] > boosted["b"]


def test_centrality_edge_cases():
    assert relationship_centrality([], []) == {}
    assert relationship_centrality(["solo"], []) == {"solo": 0.0}
    assert relationship_centrality(["a", "b"], []) == {"a": 0.0, "b": 0.0}
    assert relationship_centrality(["a", "b"], [rel("a", "b", trust=0.0)]) == {"a": 0.0, "b": 0.0}
    assert relationship_centrality(["a", "b"], [rel("a", "b")]) == {"a": 1.0, "b": 1.0}
    # A relationship with someone outside the cast is ignored.
    assert relationship_centrality(["a"], [rel("a", "outsider")]) == {"a": 0.0}


def test_disconnected_components_both_count_and_isolated_nodes_stay_zero():
    relationships = [rel("a", "b", 0.9), rel("b", "c", 0.9), rel("x", "y", 0.3)]
    scores = relationship_centrality(["a", "b", "c", "x", "y", "lone"], relationships)
    assert scores["b"] == 1.0
    assert 0.0 < scores["x"] == scores["y"] < scores["a"]
    assert scores["lone"] == 0.0


pairs = st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef")).filter(
    lambda p: p[0] != p[1]
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.builds(lambda p, t, n: rel(p[0], p[1], t, n), pairs, units, st.integers(0, 50)),
        max_size=10,
    ),
    st.randoms(use_true_random=False),
)
def test_centrality_is_bounded_normalised_and_order_free(relationships, rnd):
    ids = list("abcdef")
    scores = relationship_centrality(ids, relationships)
    assert set(scores) == set(ids)
    assert all(0.0 <= value <= 1.0 for value in scores.values())
    if any(relationship_weight(r) > 0 for r in relationships):
        assert max(scores.values()) == 1.0
    else:
        assert set(scores.values()) <= {0.0}
    shuffled_ids, shuffled_rels = ids[:], relationships[:]
    rnd.shuffle(shuffled_ids)
    rnd.shuffle(shuffled_rels)
    assert relationship_centrality(shuffled_ids, shuffled_rels) == scores


# M5: lazy resolution decision


def test_decide_follows_each_rule():
    quiet = EntityMetadata()
    assert decide_resolution(quiet, 0.1, THRESHOLDS) is T
    assert decide_resolution(quiet, 0.7, THRESHOLDS) is S
    assert decide_resolution(EntityMetadata(eigenvector_centrality=0.6), 0.1, THRESHOLDS) is G
    assert decide_resolution(EntityMetadata(query_count=3), 0.1, THRESHOLDS) is D
    assert decide_resolution(EntityMetadata(query_count=2), 0.1, THRESHOLDS) is T


def test_decide_never_goes_below_the_current_resolution():
    trained = EntityMetadata(resolution=TR)
    assert decide_resolution(trained, 0.0, THRESHOLDS) is TR


def test_decide_rejects_importance_outside_the_unit_interval():
    with pytest.raises(ConfigError, match=r"importance must be in \[0, 1\], got 1.5"):
        decide_resolution(EntityMetadata(), 1.5, THRESHOLDS)
    with pytest.raises(ConfigError):
        decide_resolution(EntityMetadata(), float("nan"), THRESHOLDS)


@settings(max_examples=120, deadline=None)
@given(
    metadata,
    units,
    st.integers(0, 10),
    units,
    units,
)
def test_decide_is_monotone_in_queries_centrality_and_importance(
    meta, importance, more_queries, centrality_gain, importance_gain
):
    level = decide_resolution(meta, importance, THRESHOLDS)
    assert level >= meta.resolution
    busier = meta.model_copy(update={"query_count": meta.query_count + more_queries})
    central = meta.model_copy(
        update={
            "eigenvector_centrality": meta.eigenvector_centrality
            + centrality_gain * (1.0 - meta.eigenvector_centrality)
        }
    )
    later = importance + importance_gain * (1.0 - importance)
    assert decide_resolution(busier, importance, THRESHOLDS) >= level
    assert decide_resolution(central, importance, THRESHOLDS) >= level
    assert decide_resolution(meta, later, THRESHOLDS) >= level


# M2: progressive training and compression


def test_queries_accumulate_and_elevate_at_the_threshold():
    meta = EntityMetadata()
    for tick in range(2):
        meta = record_query(meta, tick, THRESHOLDS)
    assert (meta.query_count, meta.last_accessed, meta.resolution) == (2, 1, T)
    meta = record_query(meta, 5, THRESHOLDS)
    assert (meta.query_count, meta.last_accessed, meta.resolution) == (3, 5, D)


def test_elaboration_climbs_one_level_per_pass_pair_up_to_trained():
    meta = EntityMetadata()
    seen = []
    for tick in range(10):
        meta = record_elaboration(meta, tick, THRESHOLDS)
        seen.append(meta.resolution)
    assert seen == [T, S, S, G, G, D, D, TR, TR, TR]
    assert meta.training_iterations == 10
    assert meta.query_count == 0


def test_recording_rejects_ticks_that_go_back():
    meta = record_query(EntityMetadata(), 4, THRESHOLDS)
    with pytest.raises(ConfigError, match="tick 3 is before the entity's last access at tick 4"):
        record_query(meta, 3, THRESHOLDS)
    with pytest.raises(ConfigError, match="non-negative"):
        record_elaboration(EntityMetadata(), -1, THRESHOLDS)


def test_disuse_drops_one_level_per_idle_window():
    meta = EntityMetadata(training_iterations=8, resolution=TR, last_accessed=10)
    assert earned_resolution(meta, THRESHOLDS) is TR
    got = [compress_by_disuse(meta, tick, 5, THRESHOLDS).resolution for tick in (14, 15, 20, 25)]
    assert got == [TR, D, G, S]
    assert compress_by_disuse(meta, 40, 5, THRESHOLDS).resolution is T


def test_disuse_never_drops_below_the_centrality_floor():
    meta = EntityMetadata(query_count=3, eigenvector_centrality=0.9, resolution=D, last_accessed=0)
    assert compress_by_disuse(meta, 5, 5, THRESHOLDS).resolution is G
    assert compress_by_disuse(meta, 500, 5, THRESHOLDS).resolution is G


def test_disuse_releases_unearned_detail_after_one_window():
    planned = EntityMetadata(resolution=D, last_accessed=0)
    assert compress_by_disuse(planned, 4, 5, THRESHOLDS) == planned
    assert compress_by_disuse(planned, 5, 5, THRESHOLDS).resolution is T


def test_compression_is_idempotent_and_a_query_restores_earned_detail():
    meta = EntityMetadata(query_count=3, resolution=D, last_accessed=0)
    once = compress_by_disuse(meta, 12, 5, THRESHOLDS)
    assert once.resolution is S
    assert compress_by_disuse(once, 12, 5, THRESHOLDS) == once
    assert (once.query_count, once.last_accessed) == (3, 0)
    assert record_query(once, 13, THRESHOLDS).resolution is D


def test_compression_rejects_a_non_positive_window():
    with pytest.raises(ConfigError, match="idle_ticks must be a positive number"):
        compress_by_disuse(EntityMetadata(), 3, 0, THRESHOLDS)


@settings(max_examples=120, deadline=None)
@given(
    metadata,
    st.lists(st.sampled_from(["query", "elaborate", "compress"]), max_size=15),
    st.integers(1, 6),
)
def test_counts_never_decrease_and_compression_never_raises(meta, actions, window):
    tick = meta.last_accessed or 0
    for action in actions:
        tick += 2
        before = meta
        if action == "query":
            meta = record_query(meta, tick, THRESHOLDS)
            assert meta.resolution >= before.resolution
        elif action == "elaborate":
            meta = record_elaboration(meta, tick, THRESHOLDS)
            assert meta.resolution >= before.resolution
        else:
            meta = compress_by_disuse(meta, tick, window, THRESHOLDS)
            assert meta.resolution <= before.resolution
            assert meta.last_accessed == before.last_accessed
            if before.eigenvector_centrality >= THRESHOLDS.central_node:
                assert meta.resolution >= min(before.resolution, G)
        assert meta.query_count >= before.query_count
        assert meta.training_iterations >= before.training_iterations

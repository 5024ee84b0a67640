import io
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.errors import ConfigError, ProvenanceError, UnknownTimepointError
from daedalus.provenance import ExposureLog, Provenance, Timeline, knowledge_at

T0 = datetime(2026, 3, 1, 9, 0)


def tp(tp_id: str, parent: str | None = None, minutes: int = 0, **fields: object) -> Timepoint:
    return Timepoint(
        id=tp_id, timestamp=T0 + timedelta(minutes=minutes), causal_parent=parent, **fields
    )


def ev(
    ev_id: str,
    entity: str,
    at: str | None,
    information: str = "",
    kind: ExposureKind = ExposureKind.WITNESSED,
    source: str = "external",
) -> ExposureEvent:
    return ExposureEvent(
        id=ev_id,
        entity_id=entity,
        kind=kind,
        information=information or f"seen at {at}",
        source=source,
        timepoint_id=at,
    )


def ids(events: Iterable[ExposureEvent]) -> list[str]:
    return [e.id for e in events]


# A board meeting ``m`` expanded into details s1 -> s2 -> s3 (s2 itself expanded into s2a),
# a side consequence ``x`` of s2, the next moment ``n`` and a branch ``alt`` forked at ``m``.
MEETING = [
    tp("a", minutes=0),
    tp("m", "a", minutes=60),
    tp("s1", "m", minutes=61, moment_of="m"),
    tp("s2", "s1", minutes=62, moment_of="m"),
    tp("s2a", "s2", minutes=62, moment_of="s2"),
    tp("s3", "s2", minutes=63, moment_of="m"),
    tp("x", "s2", minutes=70),
    tp("n", "m", minutes=120),
    tp("b1", "m", minutes=120, branch_id="alt"),
    tp("b2", "b1", minutes=180, branch_id="alt"),
]


def test_m8_expansion_is_upstream_after_the_moment_only():
    timeline = Timeline(reversed(MEETING))  # any insertion order
    assert timeline.ancestors("m") == ("a", "m")
    assert timeline.ancestors("s2") == ("a", "m", "s1", "s2")
    assert timeline.ancestors("s3") == ("a", "m", "s1", "s2", "s2a", "s3")
    assert timeline.ancestors("x") == ("a", "m", "s1", "s2", "s2a", "x")
    assert timeline.ancestors("n") == ("a", "m", "s1", "s2", "s2a", "s3", "n")
    assert timeline.is_upstream("s3", "n")
    assert not timeline.is_upstream("s3", "s2")
    assert not timeline.is_upstream("s3", "x")
    assert timeline.sub_moments("m") == ("s1", "s2", "s3")
    assert timeline.sub_moments("s2") == ("s2a",)
    assert timeline.downstream("s2a") == ("s2a", "s3", "x", "b1", "b2", "n")


def test_branch_shares_prefix_but_not_parent_tail():
    timeline = Timeline(MEETING)
    assert timeline.ancestors("b2") == ("a", "m", "s1", "s2", "s2a", "s3", "b1", "b2")
    assert not timeline.is_upstream("n", "b2")
    assert not timeline.is_upstream("b1", "n")
    assert timeline.branch_ids() == ("main", "alt")


def test_forest_navigation():
    timeline = Timeline(MEETING)
    assert [t.id for t in timeline.ordered()] == [
        "a", "m", "s1", "s2", "s2a", "s3", "x", "b1", "b2", "n",
    ]  # fmt: skip
    assert timeline.roots() == ("a",)
    assert timeline.children("m") == ("s1", "b1", "n")
    assert timeline.path_to_root("s2a") == ("s2a", "s2", "s1", "m", "a")
    assert timeline.position("a") == 0
    assert "x" in timeline and "zz" not in timeline
    assert timeline["x"].causal_parent == "s2"
    assert timeline.get("zz") is None
    assert [t.id for t in timeline] == [t.id for t in MEETING]


def test_dangling_parent_raises_naming_the_id():
    timeline = Timeline([tp("a"), tp("b", "ghost")])
    with pytest.raises(UnknownTimepointError, match="'ghost'"):
        timeline.ancestors("a")
    with pytest.raises(UnknownTimepointError, match="'nowhere'"):
        Timeline([tp("a"), tp("b", "a", moment_of="nowhere")]).validate()


def test_cycle_raises_naming_the_ids():
    timeline = Timeline([tp("root"), tp("p", "q"), tp("q", "r"), tp("r", "p")])
    with pytest.raises(ProvenanceError, match="causal cycle") as caught:
        timeline.validate()
    assert all(f"'{name}'" in str(caught.value) for name in ("p", "q", "r"))


def test_misplaced_sub_moments_raise():
    wrong_parent = Timeline([tp("m"), tp("o"), tp("s", "o", moment_of="m")])
    with pytest.raises(ProvenanceError, match="sub-moment 's' of 'm'"):
        wrong_parent.validate()
    other_branch = Timeline([tp("m"), tp("s", "m", moment_of="m", branch_id="alt")])
    with pytest.raises(ProvenanceError, match="shares its moment's branch"):
        other_branch.validate()


def test_appends_are_idempotent_and_conflicts_raise():
    timeline = Timeline([tp("a")])
    assert timeline.append(tp("a")) is False
    assert len(timeline) == 1
    with pytest.raises(ProvenanceError, match="'a'"):
        timeline.append(tp("a", event_description="changed"))
    log = ExposureLog([ev("e1", "ann", "a")])
    assert log.extend([ev("e1", "ann", "a"), ev("e2", "ann", "a")]) == 1
    with pytest.raises(ProvenanceError, match="'e1'"):
        log.append(ev("e1", "bob", "a"))
    assert ids(log) == ["e1", "e2"] and "e2" in log and log["e2"].entity_id == "ann"
    with pytest.raises(ProvenanceError, match="'zz'"):
        log["zz"]


def meeting_provenance() -> Provenance:
    log = ExposureLog(
        [ev(f"e_{t.id}", "ann", t.id) for t in MEETING]
        + [ev("prior_z", "ann", None, "old news"), ev("prior_a", "ann", None, "older news")]
        + [ev("bob_n", "bob", "n")]
    )
    return Provenance(Timeline(MEETING), log)


def test_knowledge_at_golden():
    prov = meeting_provenance()
    assert ids(prov.knowledge_at("ann", "s2")) == [
        "prior_a",
        "prior_z",
        "e_a",
        "e_m",
        "e_s1",
        "e_s2",
    ]
    assert ids(prov.knowledge_at("ann", "b2")) == [
        "prior_a", "prior_z", "e_a", "e_m", "e_s1", "e_s2", "e_s2a", "e_s3", "e_b1", "e_b2",
    ]  # fmt: skip
    assert ids(prov.knowledge_at("bob", "b2")) == []
    assert ids(prov.knowledge_at("nobody", "n")) == []
    assert knowledge_at(MEETING, list(prov.log), "ann", "s2") == prov.knowledge_at("ann", "s2")
    with pytest.raises(UnknownTimepointError, match="'nope'"):
        prov.knowledge_at("ann", "nope")


def test_queries_follow_later_appends():
    prov = meeting_provenance()
    assert "late" not in ids(prov.knowledge_at("ann", "n"))
    prov.log.append(ev("late", "ann", "s1"))
    prov.timeline.append(tp("n2", "n", minutes=200))
    prov.log.append(ev("e_n2", "ann", "n2"))
    assert ids(prov.knowledge_at("ann", "n"))[4:] == [
        "e_s1", "late", "e_s2", "e_s2a", "e_s3", "e_n",
    ]  # fmt: skip
    assert ids(prov.knowledge_at("ann", "n2"))[-1] == "e_n2"


def test_exposure_at_unknown_timepoint_raises_then_recovers():
    prov = Provenance(Timeline([tp("a")]), ExposureLog([ev("e1", "ann", "later")]))
    with pytest.raises(UnknownTimepointError, match=r"'e1'.*'later'"):
        prov.knowledge_at("ann", "a")
    prov.timeline.append(tp("later", "a", minutes=5))
    assert ids(prov.knowledge_at("ann", "later")) == ["e1"]


def test_check_references_and_can_know():
    prov = meeting_provenance()
    refs = ["e_s1", "e_s3", "bob_n", "missing", "e_s1", "prior_z"]
    assert prov.check_references("ann", "s2", refs) == ("e_s3", "bob_n", "missing")
    assert prov.check_references("ann", "n", ["e_s3", "prior_a"]) == ()
    assert prov.can_know("ann", "e_s1", "s2")
    assert not prov.can_know("ann", "e_s3", "s2")
    assert not prov.can_know("bob", "e_s1", "n")
    assert prov.can_know("ann", "  SEEN at S1! ", "s2")
    assert not prov.can_know("ann", "seen at s3", "s2")


def test_timepoint_dag_graphml_round_trip(tmp_path):
    prov = meeting_provenance()
    dag = prov.timepoint_dag()
    assert dag is prov.timepoint_dag()
    assert nx.is_frozen(dag) and nx.is_directed_acyclic_graph(dag)
    assert set(dag.edges) == {(t.causal_parent, t.id) for t in MEETING if t.causal_parent}
    path = tmp_path / "timepoints.graphml"
    prov.write_graphml("timepoints", path)
    back = nx.read_graphml(path)
    assert set(back.edges) == set(dag.edges)
    node = back.nodes["s2a"]
    assert node["timestamp"] == MEETING[4].timestamp.isoformat()
    assert node["moment_of"] == "s2" and node["branch"] == "main"
    assert node["importance"] == pytest.approx(0.5)
    assert back.nodes["a"]["moment_of"] == ""


def test_exposure_dag_traces_told_events():
    timeline = Timeline([tp("t0"), tp("t1", "t0", 10), tp("t2", "t1", 20), tp("u1", "t0", 15)])
    told = ExposureKind.TOLD
    log = ExposureLog(
        [
            ev("w_old", "ann", None, "The vault code is 1234"),
            ev("w_new", "ann", "t0", "the vault code is 1234."),
            ev("ann_t1", "ann", "t1", "The merger closes on Friday"),
            ev("bob_1", "bob", "t1", "the vault code is 1234", told, "ann"),
            ev("cid_2", "cid", "t2", "THE VAULT CODE IS 1234", told, "bob"),
            ev("cid_3", "cid", "t2", "the merger closes Friday", told, "ann"),
            ev("cid_4", "cid", "t2", "the weather is fine", told, "ann"),
            ev("cid_5", "cid", "t2", "the vault code is 1234", told, "newspaper"),
            ev("dan_1", "dan", "u1", "the merger closes on friday", told, "ann"),
        ]
    )
    prov = Provenance(timeline, log)
    dag = prov.exposure_dag()
    assert nx.is_directed_acyclic_graph(dag)
    edges = {(u, v): data for u, v, data in dag.edges(data=True)}
    assert set(edges) == {("w_new", "bob_1"), ("bob_1", "cid_2"), ("ann_t1", "cid_3")}
    assert edges[("w_new", "bob_1")]["match"] == "exact"  # most recent of two exact matches
    assert edges[("ann_t1", "cid_3")]["match"] == "overlap"
    assert 0.5 <= edges[("ann_t1", "cid_3")]["score"] < 1.0
    buffer = io.BytesIO()
    prov.write_graphml("exposures", buffer)
    back = nx.read_graphml(io.BytesIO(buffer.getvalue()))
    assert set(back.edges) == set(edges)
    assert back.nodes["w_old"]["timepoint"] == "" and back.nodes["w_old"]["kind"] == "witnessed"
    assert back.nodes["cid_3"]["confidence"] == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="'people'"):
        prov.write_graphml("people", buffer)  # type: ignore[arg-type]


def test_exposure_dag_uses_log_order_within_one_timepoint():
    timeline = Timeline([tp("t0")])
    told = ExposureKind.TOLD
    log = ExposureLog(
        [
            ev("a_hears", "ann", "t0", "the bridge is out", told, "bob"),
            ev("b_hears", "bob", "t0", "the bridge is out", told, "ann"),
            ev("c_hears", "cid", "t0", "the bridge is out", told, "bob"),
        ]
    )
    dag = Provenance(timeline, log).exposure_dag()
    assert set(dag.edges) == {("a_hears", "b_hears"), ("b_hears", "c_hears")}


# ---- properties on random forests with branch forks and sub-moments ----------------------


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Timepoint], list[ExposureEvent]]:
    size = draw(st.integers(1, 18))
    made: list[Timepoint] = []
    for i in range(size):
        kinds = ["root", "next", "next", "sub", "sub", "fork", "detail", "detail"]
        kind = draw(st.sampled_from(kinds)) if made else "root"
        in_moments = [t for t in made if t.moment_of is not None]
        minutes = draw(st.integers(0, 4))
        name = f"t{i}"
        if kind == "root":
            made.append(tp(name, None, minutes, branch_id=draw(st.sampled_from(["main", "r2"]))))
            continue
        if kind == "detail" and in_moments:  # continue (or nest inside) an expansion
            parent = draw(st.sampled_from(in_moments))
            moment = draw(st.sampled_from([parent.id, parent.moment_of]))
            made.append(tp(name, parent.id, minutes, branch_id=parent.branch_id, moment_of=moment))
            continue
        parent = draw(st.sampled_from(made))
        if kind in ("next", "detail"):
            made.append(tp(name, parent.id, minutes, branch_id=parent.branch_id))
        elif kind == "fork":
            made.append(tp(name, parent.id, minutes, branch_id=f"b{i}"))
        else:
            details = [t for t in made if parent.id in moment_chain(made, t)]
            anchor = draw(st.sampled_from([parent, *details]))
            made.append(
                tp(name, anchor.id, minutes, branch_id=parent.branch_id, moment_of=parent.id)
            )
    order = draw(st.permutations(made))
    n_events = draw(st.integers(0, 30))
    events = [
        ev(
            f"e{draw(st.integers(0, 999)):03d}_{k}",
            draw(st.sampled_from(["ann", "bob", "cid"])),
            draw(st.none() | st.sampled_from([t.id for t in made])),
        )
        for k in range(n_events)
    ]
    return list(order), events


def moment_chain(made: list[Timepoint], point: Timepoint) -> list[str]:
    by_id = {t.id: t for t in made}
    chain, current = [], point.moment_of
    while current is not None:
        chain.append(current)
        current = by_id[current].moment_of
    return chain


def details_of(timepoints: list[Timepoint]) -> dict[str, set[str]]:
    """Each moment's details at any depth, by walking every timepoint's moment_of chain."""
    found: dict[str, set[str]] = {}
    for point in timepoints:
        for moment in moment_chain(timepoints, point):
            found.setdefault(moment, set()).add(point.id)
    return found


def naive_upstream(
    timepoints: list[Timepoint], query: str, details: dict[str, set[str]] | None = None
) -> set[str]:
    """The documented rule, walking parents: path, plus whole expansions left by the main line."""
    details = details_of(timepoints) if details is None else details
    by_id = {t.id: t for t in timepoints}
    path, current = [], query
    while current is not None:
        path.append(current)
        current = by_id[current].causal_parent
    upstream = set(path)
    for below, moment in pairwise(path):
        if by_id[below].moment_of != moment:
            upstream |= details.get(moment, set())
    return upstream


def naive_knowledge(timepoints, events, entity, query) -> set[str]:
    upstream = naive_upstream(timepoints, query)
    return {
        e.id
        for e in events
        if e.entity_id == entity and (e.timepoint_id is None or e.timepoint_id in upstream)
    }


ENTITIES = ("ann", "bob", "cid", "dan")


@settings(max_examples=80, deadline=None)
@given(worlds())
def test_knowledge_is_sound_and_complete(world):
    timepoints, events = world
    prov = Provenance(timepoints, events)
    for point in timepoints:
        upstream = naive_upstream(timepoints, point.id)
        assert set(prov.timeline.ancestors(point.id)) == upstream
        for entity in ENTITIES:
            known = prov.knowledge_at(entity, point.id)
            for e in known:  # soundness: nothing from outside the causal past
                assert e.entity_id == entity
                assert e.timepoint_id is None or e.timepoint_id in upstream
            # completeness: every upstream exposure of the entity is there, once
            assert sorted(ids(known)) == sorted(
                naive_knowledge(timepoints, events, entity, point.id)
            )


@settings(max_examples=60, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_order_and_answers_do_not_depend_on_insertion_order(world, rnd):
    timepoints, events = world
    shuffled = list(timepoints)
    rnd.shuffle(shuffled)
    first, second = Provenance(timepoints, events), Provenance(shuffled, reversed(events))
    order = [t.id for t in first.timeline.ordered()]
    assert order == [t.id for t in second.timeline.ordered()]
    position = {tid: i for i, tid in enumerate(order)}
    for point in timepoints:
        if point.causal_parent is not None:
            assert position[point.causal_parent] < position[point.id]
        for entity in ENTITIES:
            known = first.knowledge_at(entity, point.id)
            assert known == second.knowledge_at(entity, point.id)
            key = [
                (-1, e.id) if e.timepoint_id is None else (position[e.timepoint_id], e.id)
                for e in known
            ]
            assert key == sorted(key)


@settings(max_examples=60, deadline=None)
@given(worlds(), st.data())
def test_other_branches_never_change_knowledge(world, data):
    timepoints, events = world
    prov = Provenance(timepoints, events)
    before = {(e, t.id): prov.knowledge_at(e, t.id) for e in ENTITIES for t in timepoints}
    fork = data.draw(st.sampled_from(timepoints))
    prov.timeline.append(tp("zz_new", fork.id, 3, branch_id="zz_branch"))
    prov.log.extend(ev(f"zz_{e}", e, "zz_new") for e in ENTITIES)
    for point in timepoints:
        path_branches = {prov.timeline[t].branch_id for t in prov.timeline.path_to_root(point.id)}
        elsewhere = ExposureLog(prov.log)
        elsewhere.extend(
            ev(f"zz_{e}_{other.id}", e, other.id)
            for other in timepoints
            if other.branch_id not in path_branches
            for e in ENTITIES
        )
        isolated = Provenance(prov.timeline, elsewhere)
        for entity in ENTITIES:
            assert prov.knowledge_at(entity, point.id) == before[(entity, point.id)]
            assert isolated.knowledge_at(entity, point.id) == before[(entity, point.id)]


@settings(max_examples=60, deadline=None)
@given(worlds())
def test_knowledge_grows_along_causal_links(world):
    timepoints, events = world
    prov = Provenance(timepoints, events)
    timeline = prov.timeline
    links = [(t.causal_parent, t.id) for t in timepoints if t.causal_parent is not None]
    for moment in timepoints:  # M8: a moment's details all precede what follows the moment
        details = [t.id for t in timepoints if moment.id in moment_chain(timepoints, t)]
        after = [c for c in timeline.children(moment.id) if timeline[c].moment_of != moment.id]
        links += [(d, c) for d in details for c in after]
    for cause, effect in links:
        assert timeline.is_upstream(cause, effect)
        for entity in ENTITIES:
            assert set(prov.knowledge_at(entity, cause)) <= set(prov.knowledge_at(entity, effect))


@settings(max_examples=40, deadline=None)
@given(worlds())
def test_downstream_inverts_upstream(world):
    timepoints, _ = world
    timeline = Timeline(timepoints)
    for point in timepoints:
        expected = {q.id for q in timepoints if point.id in naive_upstream(timepoints, q.id)}
        assert set(timeline.downstream(point.id)) == expected


def random_forest(rng: np.random.Generator, size: int) -> list[Timepoint]:
    made = [tp("r0", None, 0)]
    for i in range(1, size):
        parent = made[int(rng.integers(0, len(made)))] if rng.random() < 0.3 else made[-1]
        roll = rng.random()
        if roll < 0.05:
            made.append(tp(f"r{i}", parent.id, i, branch_id=f"b{i}"))
        elif roll < 0.12:  # open an expansion of the parent
            made.append(tp(f"r{i}", parent.id, i, branch_id=parent.branch_id, moment_of=parent.id))
        elif roll < 0.25 and parent.moment_of is not None:  # continue the parent's expansion
            made.append(
                tp(f"r{i}", parent.id, i, branch_id=parent.branch_id, moment_of=parent.moment_of)
            )
        else:
            made.append(tp(f"r{i}", parent.id, i, branch_id=parent.branch_id))
    return made


def test_scale_matches_naive_reference():
    rng = np.random.default_rng(7)
    timepoints = random_forest(rng, 400)
    names = [t.id for t in timepoints]
    entities = ["hub"] * 12_000 + [f"p{k}" for k in rng.integers(0, 8, 8_000)]
    events = [
        ev(f"x{k:05d}", entity, None if rng.random() < 0.01 else names[int(rng.integers(0, 400))])
        for k, entity in enumerate(entities)
    ]
    prov = Provenance(timepoints, events)
    prov.reindex()
    by_entity: dict[str, list[ExposureEvent]] = {}
    for e in events:
        by_entity.setdefault(e.entity_id, []).append(e)
    details = details_of(timepoints)
    for query in [names[0], names[1], *rng.choice(names, 25)]:
        upstream = naive_upstream(timepoints, str(query), details)
        for entity in ["hub", "p0", "p5"]:
            expected = {
                e.id
                for e in by_entity[entity]
                if e.timepoint_id is None or e.timepoint_id in upstream
            }
            assert set(ids(prov.knowledge_at(entity, str(query)))) == expected


def test_mixed_naive_and_aware_timestamps_order_as_utc():
    aware = Timepoint(id="aware", timestamp=datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    timeline = Timeline([tp("naive"), aware])  # naive 09:00 is read as 09:00 UTC
    assert timeline.roots() == ("aware", "naive")

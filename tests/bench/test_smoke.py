"""Smoke tests of the benchmarks: every one runs at a seconds-long scale and measures.

Nothing here asserts speed: figures are checked for presence, shape and consistency only.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage

from bench import BENCHMARKS, Report, run_benchmarks
from bench.__main__ import main
from bench._generated import naive_upstream, provenance_violations, town_scenario
from bench._measure import at_least, at_most, exactly, figure
from bench._portal_workload import graph_critical_path
from bench._replay_and_branch import comparable
from bench._timing import ModelTimer, critical_path, max_in_flight, method_spans
from daedalus.domain import Dialog, DialogTurn, ExposureEvent, ExposureKind, Timepoint
from daedalus.llm.offline import OfflineChatModel

TARGETED = {
    "portal_workload": {"calls", "prompt_tokens", "wall_over_latency"},
    "portal_search": {"median_calls", "median_prompt_tokens", "rounds_per_slot"},
    "overhead": {
        "framework_ms_per_call", "checkpoint_mb_per_run", "framework_over_langgraph_step",
        "checkpoint_per_call_long_over_short", "rerun_added_checkpoint_mb",
    },
    "fidelity_economics": {
        "run_prompt_token_reduction", "top_decile_speakers_kept",
        "planned_run_provenance_violations", "uniform_run_provenance_violations",
        "mars_runs_provenance_violations",
    },
    "provenance_scale": {"knowledge_at_median_ms", "index_build_seconds", "peak_rss_gb"},
    "replay_and_branch": {
        "replay_new_calls", "replay_run_json_same", "branch_calls_over_allowance",
    },
    "world_engine": {"tiny_ms_per_tick", "tiny_peak_rss_gb", "snapshot_tick_ratio"},
    "world_actors": {"llm_over_rules_tick_ratio", "model_calls", "graph_same_digests"},
    "batch": {"runs_identical_to_alone", "throughput_2_over_1_workers"},
    "service": {"read_p95_ms", "read_errors", "fuzz_server_errors"},
}
"""Per benchmark, the figures that carry the issue's targets."""

CONTEXT = {
    "portal_search": {"moves_per_slot", "mean_total_reached", "mean_total_missed"},
    "portal_workload": {
        "completion_tokens", "wall_seconds", "latency_sum_seconds", "critical_path_graph",
        "critical_path_measured",
    },
}
"""Figures reported without a target that must still be there."""


@pytest.fixture(scope="module")
def smoke_reports() -> dict[str, Report]:
    return {report.benchmark: report for report in run_benchmarks(smoke=True)}


# -- every benchmark measures ---------------------------------------------------------------


def test_every_benchmark_has_a_smoke_report(smoke_reports: dict[str, Report]) -> None:
    assert set(smoke_reports) == set(BENCHMARKS) == set(TARGETED)


@pytest.mark.parametrize("name", sorted(TARGETED))
def test_report_has_its_figures_with_targets(name: str, smoke_reports: dict[str, Report]) -> None:
    report = smoke_reports[name]
    names = {m.name for m in report.measurements}
    assert TARGETED[name] | CONTEXT.get(name, set()) <= names
    assert len(names) == len(report.measurements)
    for m in report.measurements:
        assert math.isfinite(m.value)
        assert (m.target is None) == (m.ok is None)
        row = m.as_json()
        assert set(row) == {"name", "value", "unit", "target", "ok"}
    assert all(m.target is not None for m in report.measurements if m.name in TARGETED[name])
    assert report.parameters["smoke"] is True
    assert report.seconds > 0


def test_portal_workload_counts_agree(smoke_reports: dict[str, Report]) -> None:
    report = smoke_reports["portal_workload"]
    values = {m.name: m.value for m in report.measurements}
    nodes = report.details["calls_by_node"]
    assert values["calls"] == sum(nodes.values())
    assert nodes["portal_forward"] > nodes["portal_judge"] >= 1
    assert 1 <= values["critical_path_graph"] < values["calls"]
    assert 1 <= values["critical_path_measured"] <= values["calls"]
    assert values["prompt_tokens"] > 0 and values["completion_tokens"] > 0
    assert report.details["dialogs"] >= 1


def test_overhead_reads_the_checkpoint_tables(smoke_reports: dict[str, Report]) -> None:
    report = smoke_reports["overhead"]
    tables = report.details["checkpoint_tables"]
    assert tables["checkpoints"] > 0
    assert tables["checkpoint_blob_bytes"] <= report.details["checkpoint_bytes_runs"][0]


def test_fidelity_runs_were_audited(smoke_reports: dict[str, Report]) -> None:
    details = smoke_reports["fidelity_economics"].details
    for run in ("planned_run", "uniform_run"):
        assert details[run]["knowledge_queries"] > 0
        assert details[run]["exposures_returned"] > 0


def test_replay_and_branch_forks_every_step(smoke_reports: dict[str, Report]) -> None:
    report = smoke_reports["replay_and_branch"]
    n = report.parameters["steps"]
    assert [b["k"] for b in report.details["branches"]] == list(range(1, n))
    assert all(b["moments"] == n - b["k"] for b in report.details["branches"])


def test_cli_writes_the_json_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    report = tmp_path / "report.json"
    argv = ["--smoke", "--only", "replay_and_branch", "--json", str(out), "--report", str(report)]
    assert main(argv) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert rows and all(set(r) == {"name", "value", "unit", "target", "ok"} for r in rows)
    assert {r["name"] for r in rows} >= {"replay_and_branch.replay_new_calls"}
    full = json.loads(report.read_text(encoding="utf-8"))
    assert full["machine"]["cores"] >= 1 and full["machine"]["cpu_model"]
    assert full["reports"][0]["measurements"][0]["ok"] is not None
    printed = capsys.readouterr().out
    assert "== replay_and_branch" in printed and "machine:" in printed


def test_world_engine_ran_the_tiny_world(smoke_reports: dict[str, Report]) -> None:
    report = smoke_reports["world_engine"]
    tiny = report.details["tiny_island"]
    assert tiny["persons"] == 2000 and len(tiny["wall_ms"]) == 6
    assert tiny["counts"]["persons"] > 0 and len(tiny["digest"]) == 64
    values = {m.name: m.value for m in report.measurements}
    assert values["snapshot_mb"] > 0 and values["tiny_peak_rss_gb"] > 0


def test_world_actors_compared_model_and_rules_on_one_world(
    smoke_reports: dict[str, Report],
) -> None:
    report = smoke_reports["world_actors"]
    values = {m.name: m for m in report.measurements}
    assert report.details["persons"] == 2000 and len(report.details["llm_wall_ms"]) == 30
    assert values["model_calls"].ok and values["model_calls"].value == report.details["actors"]
    assert values["graph_same_digests"].value == 1.0
    assert values["llm_over_rules_tick_ratio"].value > 0


def test_unknown_benchmark_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown benchmark 'nope'"):
        run_benchmarks(["nope"], smoke=True)


# -- measurements ------------------------------------------------------------------------------


def test_targets_and_ratios() -> None:
    assert at_most("a", 3, "s", 4).ok is True and at_most("a", 5, "s", 4).ratio == 1.25
    assert at_least("b", 90, "%", 95).ok is False and at_least("b", 95, "%", 95).ok is True
    assert exactly("c", 0, "n", 0).ok is True and exactly("c", 1, "n", 0).ok is False
    assert figure("d", 1, "x").ok is None and figure("d", 1, "x").ratio is None
    with pytest.raises(ValueError, match="not a finite number"):
        figure("e", math.nan, "x")


# -- critical path ---------------------------------------------------------------------------


def test_critical_path_golden_cases() -> None:
    assert critical_path([]) == 0
    assert critical_path([(0, 1), (1, 2), (2, 3)]) == 3  # back to back: each waits for the last
    assert critical_path([(0, 1), (0.1, 1.1), (0.2, 1.2)]) == 1  # all in flight together
    fan = [(0, 1)] + [(1 + i * 0.01, 2 + i * 0.01) for i in range(7)] + [(2.07, 3)]
    assert critical_path(fan) == 3  # candidates, seven parallel trials, judge
    assert max_in_flight(fan) == 7
    assert critical_path([(0, 0)]) == 1 and max_in_flight([(0, 0)]) == 0
    with pytest.raises(ValueError, match="ends before it starts"):
        critical_path([(2, 1)])


_PROMPT = "The river Vell floods each spring. Ada Brook, the mayor, had the dam built in 1990."


def test_model_timer_times_calls_and_restores_the_model() -> None:
    original = OfflineChatModel.answer
    model = OfflineChatModel(seed=1, latency=0.002)
    with ModelTimer() as timer:
        with pytest.raises(RuntimeError, match="already active"), ModelTimer():
            pass
        answer = asyncio.run(model.ainvoke([HumanMessage(_PROMPT)]))
    assert answer.content
    assert OfflineChatModel.answer is original
    assert timer.answers == 1 and len(timer.calls) == 1 and timer.answer_seconds > 0
    call = timer.calls[0]
    assert call.began <= call.answered <= call.finished
    assert call.answered - call.began >= 0.001  # the simulated latency lies before the answer
    assert model.answer([HumanMessage(_PROMPT)]).content == answer.content


def test_method_spans_time_and_restore() -> None:
    class Clock:
        def tick(self) -> int:
            return 1

    original = Clock.__dict__["tick"]
    with method_spans({"tick": (Clock, "tick")}) as spans:
        assert Clock().tick() == 1 and Clock().tick() == 1
    assert spans.calls == {"tick": 2} and spans.seconds["tick"] >= 0
    assert Clock.__dict__["tick"] is original


intervals = st.lists(
    st.tuples(st.floats(0, 100), st.floats(0.001, 10)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(intervals)
def test_critical_path_is_a_real_chain_no_longer_than_the_calls(spans: list[tuple[float, float]]) -> None:
    length = critical_path(spans)
    assert length <= len(spans)
    assert (length == 0) == (not spans)
    # A chain needs disjoint intervals; with every interval overlapping a common point it is 1.
    if spans and max(s for s, _ in spans) < min(e for _, e in spans):
        assert length == 1
    assert max_in_flight(spans) * length >= len(spans)  # Dilworth: chains x antichain cover all


def test_graph_critical_path_removes_the_two_fan_outs() -> None:
    nodes = Counter(
        {"portal_candidates": 2, "portal_forward": 14, "portal_judge": 2, "steering": 3,
         "character": 3, "extraction": 1, "relationships": 1, "prospection": 1}
    )
    assert graph_critical_path(nodes) == 27 - 12 - 2


# -- generated scenario and provenance audit --------------------------------------------------


def test_town_scenario_has_hubs_and_is_seeded() -> None:
    town = town_scenario(30, 4, seed=1)
    assert len(town.entities) == 30 and town.timeline.steps == 4
    degree = Counter(x for rel in town.relationships for x in (rel.a, rel.b))
    assert max(degree.values()) >= 4 * min(degree.values())
    assert town_scenario(30, 4, seed=1) == town != town_scenario(30, 4, seed=2)
    with pytest.raises(ValueError, match="at least 2 entities"):
        town_scenario(1, 3)


def _tp(tp_id: str, hour: int, parent: str | None, moment_of: str | None = None) -> Timepoint:
    stamp = datetime(2026, 1, 1) + timedelta(hours=hour)
    return Timepoint(id=tp_id, timestamp=stamp, causal_parent=parent, moment_of=moment_of)


TIMELINE = [
    _tp("a", 0, None),
    _tp("b", 1, "a"),
    _tp("b.1", 2, "b", moment_of="b"),
    _tp("c", 3, "b"),
    _tp("x", 2, "a"),  # a branch beside b
]


def test_naive_upstream_follows_parents_and_details() -> None:
    upstream = naive_upstream(TIMELINE)
    assert upstream["c"] == {"a", "b", "b.1", "c"}
    assert upstream["x"] == {"a", "x"}


def _seen(event_id: str, entity: str, tp: str | None) -> ExposureEvent:
    return ExposureEvent(
        id=event_id, entity_id=entity, kind=ExposureKind.WITNESSED, information=f"fact {event_id}",
        timepoint_id=tp,
    )


def test_audit_counts_refused_references_and_passes_clean_runs() -> None:
    exposures = [_seen("e1", "ann", "b"), _seen("e2", "ann", "x"), _seen("e3", "bob", None)]
    clean = Dialog(
        id="d1", timepoint_id="c", participants=("ann", "bob"),
        turns=(DialogTurn(speaker="ann", content="I saw it.", knowledge_references=("e1",)),),
    )
    audit = provenance_violations(TIMELINE, exposures, [clean], ["ann", "bob"])
    assert audit.violations == 0 and audit.references_checked == 1
    assert audit.knowledge_queries == 10 and audit.exposures_returned > 0
    leaking = Dialog(
        id="d2", timepoint_id="c", participants=("ann", "bob"),
        turns=(
            DialogTurn(speaker="ann", content="From the branch.", knowledge_references=("e2",)),
            DialogTurn(speaker="bob", content="Ann's secret.", knowledge_references=("e1",)),
        ),
    )
    assert provenance_violations(TIMELINE, exposures, [leaking], ["ann"]).refused_references == 2


# -- replay comparison -----------------------------------------------------------------------


def test_comparable_sets_aside_ids_times_and_optionally_usage() -> None:
    def document(run_id: str, tokens: int) -> dict[str, object]:
        return {
            "run": {"id": run_id, "seed": 1, "started_at": run_id, "completed_at": None},
            "ledger": {"calls": 3, "prompt_tokens": tokens, "by_node": {"x": {"calls": 3,
                       "prompt_tokens": tokens, "cost_usd": 0.0}}},
            "dialogs": [],
        }

    first, replay = document("r1", 900), document("r2", 0)
    assert comparable(first, usage=False) == comparable(replay, usage=False)
    assert comparable(first, usage=True) != comparable(replay, usage=True)
    changed = {**document("r2", 0), "dialogs": [{"id": "d"}]}
    assert comparable(first, usage=False) != comparable(changed, usage=False)

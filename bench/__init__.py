"""Benchmarks of Daedalus's speed and cost figures (``python -m bench``; see bench/RESULTS.md).

Each benchmark is a function ``(smoke: bool) -> Report`` measuring one claim against its
target; ``smoke=True`` runs a seconds-long version of the same code (for CI, never timed).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor

from bench._batch import batch
from bench._fidelity_economics import fidelity_economics
from bench._measure import Measurement, Report
from bench._overhead import overhead
from bench._portal_search import portal_search
from bench._portal_workload import portal_workload
from bench._provenance_scale import provenance_scale
from bench._replay_and_branch import replay_and_branch
from bench._service import service
from bench._world_actors import world_actors
from bench._world_engine import world_engine

__all__ = ["BENCHMARKS", "Measurement", "Report", "run_benchmarks"]

BENCHMARKS: dict[str, Callable[..., Report]] = {
    "portal_workload": portal_workload,
    "portal_search": portal_search,
    "overhead": overhead,
    "fidelity_economics": fidelity_economics,
    "provenance_scale": provenance_scale,
    "replay_and_branch": replay_and_branch,
    "world_engine": world_engine,
    "world_actors": world_actors,
    "batch": batch,
    "service": service,
}
"""Every benchmark by name, in the order ``python -m bench`` runs them."""


def _measured(name: str, smoke: bool) -> Report:
    started = time.perf_counter()
    report = BENCHMARKS[name](smoke=smoke)
    return report.model_copy(update={"seconds": time.perf_counter() - started})


def _measured_json(name: str, smoke: bool) -> str:
    return _measured(name, smoke).model_dump_json()


def _in_fresh_process(name: str, smoke: bool) -> Report:
    # A new interpreter per benchmark: no cache, import or allocator state of an earlier
    # benchmark can move this one's figures, so the order of --only never matters.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return Report.model_validate_json(pool.submit(_measured_json, name, smoke).result())


def run_benchmarks(
    names: Iterable[str] | None = None,
    *,
    smoke: bool = False,
    on_report: Callable[[Report], None] | None = None,
    fresh_process: bool = False,
) -> list[Report]:
    """Run the named benchmarks (all by default) in order; each report carries its seconds.

    With ``fresh_process`` each benchmark runs in a new interpreter (``python -m bench`` does).
    """
    chosen = list(names) if names is not None else list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        known = ", ".join(BENCHMARKS)
        raise ValueError(f"unknown benchmark {unknown[0]!r}; expected one of {known}")
    reports = []
    for name in chosen:
        report = _in_fresh_process(name, smoke) if fresh_process else _measured(name, smoke)
        if on_report is not None:
            on_report(report)
        reports.append(report)
    return reports

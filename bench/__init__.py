"""Benchmarks of Daedalus's speed and cost figures (``python -m bench``; see bench/RESULTS.md).

Each benchmark is a function ``(smoke: bool) -> Report`` measuring one claim against its
target; ``smoke=True`` runs a seconds-long version of the same code (for CI, never timed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from bench._batch import batch
from bench._fidelity_economics import fidelity_economics
from bench._measure import Measurement, Report
from bench._overhead import overhead
from bench._portal_search import portal_search
from bench._portal_workload import portal_workload
from bench._provenance_scale import provenance_scale
from bench._replay_and_branch import replay_and_branch
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
    "batch": batch,
}
"""Every benchmark by name, in the order ``python -m bench`` runs them."""


def run_benchmarks(
    names: Iterable[str] | None = None,
    *,
    smoke: bool = False,
    on_report: Callable[[Report], None] | None = None,
) -> list[Report]:
    """Run the named benchmarks (all by default) in order; each report carries its seconds."""
    chosen = list(names) if names is not None else list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        known = ", ".join(BENCHMARKS)
        raise ValueError(f"unknown benchmark {unknown[0]!r}; expected one of {known}")
    reports = []
    for name in chosen:
        started = time.perf_counter()
        report = BENCHMARKS[name](smoke=smoke)
        report = report.model_copy(update={"seconds": time.perf_counter() - started})
        if on_report is not None:
            on_report(report)
        reports.append(report)
    return reports

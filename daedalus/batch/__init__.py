"""Batch runs: many simulations of one or more scenarios, on a local backend or on Ray.
May import daedalus.runs and everything below it.

``run_batch(specs, ...)`` runs a list of ``RunSpec`` (template, seed, overrides, what-if
interventions), often made by ``sweep``, under one batch budget and one record in the store;
``resume_batch`` continues an interrupted batch; ``analyze`` and ``write_report`` compare the
outcomes across its runs (tables as CSV and Parquet, a Markdown report with plots).
"""

from __future__ import annotations

from daedalus.batch._analysis import BatchAnalysis, analyze
from daedalus.batch._api import BatchResult, resume_batch, run_batch
from daedalus.batch._record import BatchEntry, BatchOptions, BatchRecord, list_batches, load_batch
from daedalus.batch._report import write_report
from daedalus.batch._spec import RunSpec, parse_seeds, parse_set, sweep
from daedalus.batch._worker import RunUpdate

__all__ = [
    "BatchAnalysis",
    "BatchEntry",
    "BatchOptions",
    "BatchRecord",
    "BatchResult",
    "RunSpec",
    "RunUpdate",
    "analyze",
    "list_batches",
    "load_batch",
    "parse_seeds",
    "parse_set",
    "resume_batch",
    "run_batch",
    "sweep",
    "write_report",
]

"""Writes a batch analysis: tables as CSV and Parquet, a Markdown report with PNG plots.

Files in the output directory (default ``<store>/batches/<id>/report/``)::

    runs.csv/.parquet         one row per run: spec, status, cost, calls, tokens, outcome
    recurrence.csv/.parquet   events and knowledge that recur across runs, with their share
    entities.csv/.parquet     per-entity outcome distributions (mean, stdev, min, max)
    portal.csv/.parquet       per PORTAL endpoint: runs reaching, partly reaching, missing it
    cost_per_run.png          dollars (or, offline, model calls) per run
    outcomes.png              how often each outcome occurs (PORTAL verdicts, else run status)
    report.md                 the headline figures, the tables' top rows and the plots
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt
import pandas as pd
from pydantic import BaseModel

from daedalus.batch._analysis import (
    BatchAnalysis,
    EndpointShare,
    EntityOutcome,
    Recurrence,
    RunRow,
)

__all__ = ["write_report"]

_TABLES: dict[str, type[BaseModel]] = {
    "runs": RunRow, "recurrence": Recurrence, "entities": EntityOutcome, "portal": EndpointShare,
}


def _frame(rows: Sequence[BaseModel], model: type[BaseModel]) -> pd.DataFrame:
    if rows:
        return pd.DataFrame([row.model_dump() for row in rows])
    return pd.DataFrame({name: pd.Series(dtype="object") for name in model.model_fields})


def _markdown_table(frame: pd.DataFrame, limit: int) -> str:
    if frame.empty:
        return "_none_\n"
    shown = frame.head(limit)
    head = "| " + " | ".join(str(c) for c in shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = [
        "| " + " | ".join(str(v).replace("|", "/")[:80] for v in row) + " |"
        for row in shown.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body]) + "\n"


def _plot_cost(runs: pd.DataFrame, path: Path) -> str:
    offline = bool(runs["cost_usd"].sum() == 0)
    column, label = ("calls", "model calls") if offline else ("cost_usd", "dollars")
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.bar(runs["index"], runs[column], color="#4c72b0")
    axes.set_xlabel("run (batch order)")
    axes.set_ylabel(label)
    axes.set_title(f"{label} per run" + (" (offline model: no cost)" if offline else ""))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return label


def _plot_outcomes(runs: pd.DataFrame, path: Path) -> str:
    portal = runs["portal_outcome"][runs["portal_outcome"] != ""]
    what = "PORTAL endpoint verdict" if len(portal) else "run status"
    counts = Counter(portal if len(portal) else runs["status"])
    figure, axes = plt.subplots(figsize=(6, 3.5))
    names = sorted(counts)
    axes.bar(names, [counts[n] for n in names], color="#55a868")
    axes.set_ylabel("runs")
    axes.set_title(f"outcome frequencies: {what}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return what


def write_report(analysis: BatchAnalysis, out: Path) -> dict[str, Path]:
    """Write every file listed in the module docstring into ``out``; returns them by name."""
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "runs": _frame(analysis.runs, RunRow),
        "recurrence": _frame(analysis.recurrences, Recurrence),
        "entities": _frame(analysis.entity_outcomes, EntityOutcome),
        "portal": _frame(analysis.portal_endpoints, EndpointShare),
    }
    written: dict[str, Path] = {}
    for name, frame in frames.items():
        written[f"{name}.csv"] = out / f"{name}.csv"
        frame.to_csv(written[f"{name}.csv"], index=False)
        written[f"{name}.parquet"] = out / f"{name}.parquet"
        frame.to_parquet(written[f"{name}.parquet"], index=False, engine="pyarrow")
    runs = frames["runs"]
    written["cost_per_run.png"] = out / "cost_per_run.png"
    cost_label = _plot_cost(runs, written["cost_per_run.png"])
    written["outcomes.png"] = out / "outcomes.png"
    outcome_label = _plot_outcomes(runs, written["outcomes.png"])
    written["report.md"] = out / "report.md"
    written["report.md"].write_text(
        _markdown(analysis, frames, cost_label, outcome_label), encoding="utf-8"
    )
    return written


def _markdown(
    analysis: BatchAnalysis, frames: dict[str, pd.DataFrame], cost_label: str, outcome: str
) -> str:
    runs = frames["runs"]
    done = runs[runs["status"] == "completed"]
    offline = bool(len(done)) and bool(done["offline"].all())
    lines = [
        f"# Batch {analysis.batch}",
        "",
        f"- runs: {len(runs)} ({len(done)} completed, {len(runs) - len(done)} not)",
        f"- cost: ${float(runs['cost_usd'].sum()):.6f}; model calls: {int(runs['calls'].sum())}",
        f"- median cost per run: ${float(done['cost_usd'].median()) if len(done) else 0.0:.6f}; "
        f"median calls per run: {float(done['calls'].median()) if len(done) else 0.0:g}",
    ]
    if offline:
        lines.append("- model: offline (deterministic, no network, no cost)")
    for convergence in analysis.convergence:
        lines.append(
            f"- convergence of {convergence.template} ({len(convergence.runs)} runs): outcome "
            f"similarity {convergence.outcome_similarity:.3f}, mean role stability "
            f"{convergence.mean_role_stability:.3f}"
        )
    recurrence = frames["recurrence"]
    events = recurrence[recurrence["kind"] == "event"] if not recurrence.empty else recurrence
    knowledge = (
        recurrence[recurrence["kind"] == "knowledge"] if not recurrence.empty else recurrence
    )
    lines += [
        "",
        f"![{cost_label} per run](cost_per_run.png)",
        "",
        f"![outcome frequencies: {outcome}](outcomes.png)",
        "",
        "## PORTAL endpoints",
        "",
        _markdown_table(frames["portal"], 20),
        "## Recurring events",
        "",
        _markdown_table(events[["text", "runs", "share"]] if not events.empty else events, 10),
        "## Recurring knowledge",
        "",
        _markdown_table(
            knowledge[["text", "runs", "share"]] if not knowledge.empty else knowledge, 10
        ),
        "## Entity outcomes",
        "",
        _markdown_table(frames["entities"], 40),
        "## Runs",
        "",
        _markdown_table(
            runs[["index", "run_id", "seed", "overrides", "status", "cost_usd", "calls"]], 200
        ),
    ]
    return "\n".join(lines)

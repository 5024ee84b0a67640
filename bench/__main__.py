"""``python -m bench [--smoke] [--only NAME ...] [--json FILE] [--report FILE] [--same-process]``.

Each benchmark runs in a fresh interpreter unless ``--same-process`` is given.

Prints each benchmark's figures (value, target, ratio, met) as it finishes, then the machine
and the total time. ``--json`` writes a list of ``{"name", "value", "unit", "target", "ok"}``
(names are ``<benchmark>.<figure>``); ``--report`` writes everything, with parameters,
details and the machine. The exit code is 0 whether or not targets are met: a benchmark
measures, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import BENCHMARKS, Report, run_benchmarks
from bench._machine import machine

__all__ = ["format_report", "json_rows", "main"]


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"


def format_report(report: Report) -> str:
    """The report as an aligned text table."""
    lines = [f"== {report.benchmark} ({report.seconds:.1f} s)"]
    for m in report.measurements:
        target = "" if m.target is None else f"{m.compare} {_number(m.target)}"
        ratio = "" if m.ratio is None else f"ratio {m.ratio:.3g}"
        verdict = {True: "met", False: "MISSED", None: ""}[m.ok]
        lines.append(
            f"  {m.name:<36} {_number(m.value):>14} {m.unit:<11} {target:<14} {ratio:<13} "
            f"{verdict}"
        )
    return "\n".join(lines)


def json_rows(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Every figure of every report as ``{"name", "value", "unit", "target", "ok"}``."""
    return [
        {**m.as_json(), "name": f"{r.benchmark}.{m.name}"}
        for r in reports
        for m in r.measurements
    ]


def _full(report: Report) -> dict[str, Any]:
    dumped = report.model_dump(mode="json")
    dumped["measurements"] = [
        {**m.model_dump(mode="json"), "ok": m.ok, "ratio": m.ratio} for m in report.measurements
    ]
    return dumped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds-long versions")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures list")
    parser.add_argument("--report", type=Path, metavar="FILE", help="write full reports")
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="run every benchmark in this process (by default each runs in a fresh one)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    reports = run_benchmarks(
        args.only,
        smoke=args.smoke,
        on_report=lambda r: print(format_report(r), flush=True),
        fresh_process=not args.same_process,
    )
    total = time.perf_counter() - started
    host = machine()
    print(f"machine: {json.dumps(host)}")
    missed = [f"{r.benchmark}.{m.name}" for r in reports for m in r.measurements if m.ok is False]
    print(f"total: {total:.1f} s; targets missed: {', '.join(missed) or 'none'}")
    if args.json is not None:
        args.json.write_text(json.dumps(json_rows(reports), indent=2) + "\n", encoding="utf-8")
    if args.report is not None:
        full = {
            "machine": host,
            "total_seconds": total,
            "smoke": args.smoke,
            "reports": [_full(r) for r in reports],
        }
        args.report.write_text(json.dumps(full, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

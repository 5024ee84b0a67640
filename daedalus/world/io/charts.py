"""PNG charts of a run's KPIs over time, drawn with matplotlib's Agg canvas (no display).

``write_charts`` draws an overview (the headline KPIs on one page) and one chart per KPI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from daedalus.errors import ConfigError
from daedalus.world.kpis import KPI_NAMES

__all__ = ["HEADLINE", "write_charts"]

HEADLINE: tuple[str, ...] = (
    "gdp", "unemployment", "inflation", "gini", "energy_reliability", "infections",
    "population", "public_debt", "policy_rate",
)
"""The KPIs of the overview page, in reading order."""


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=100)
    return path


def write_charts(
    kpis: Mapping[str, Sequence[float]], folder: Path, title: str = "",
) -> list[Path]:
    """``overview.png`` and ``<kpi>.png`` for every KPI in ``folder`` (created); returns the
    files. ``kpis`` maps names to per-tick values and must hold ``tick``."""
    if "tick" not in kpis or not kpis["tick"]:
        raise ConfigError("no KPI rows to plot: the run has no ticks yet")
    folder.mkdir(parents=True, exist_ok=True)
    ticks = list(kpis["tick"])
    overview = Figure(figsize=(12, 9), layout="constrained")
    if title:
        overview.suptitle(title)
    axes = overview.subplots(3, 3)
    for ax, name in zip(axes.ravel(), HEADLINE, strict=True):
        ax.plot(ticks, kpis[name], linewidth=1.2)
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("day")
    written = [_save(overview, folder / "overview.png")]
    for name in KPI_NAMES:
        if name == "tick" or name not in kpis:
            continue
        figure = Figure(figsize=(6, 3.5), layout="constrained")
        ax = figure.subplots()
        ax.plot(ticks, kpis[name], linewidth=1.2)
        ax.set_title(f"{title} {name.replace('_', ' ')}".strip())
        ax.set_xlabel("day")
        written.append(_save(figure, folder / f"{name}.png"))
    return written

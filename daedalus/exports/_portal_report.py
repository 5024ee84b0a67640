"""The PORTAL search in exports (M17): per slot, the candidates, each trial's outcome and why
the winner won, as JSON for ``run.json`` and as a Markdown section for the narrative."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from daedalus.exports._markdown import one_line, table
from daedalus.portal import PortalRecord, SlotReport, slot_reports
from daedalus.store.record import RunRecord

__all__ = ["portal_json", "portal_section"]

_EVENT_CHARS = 90


def _reports(record: RunRecord) -> tuple[SlotReport, ...] | None:
    """The per-slot reports, or None when the run holds no PORTAL search this version reads."""
    if not record.portal.get("steps"):
        return None
    try:
        return slot_reports(PortalRecord.model_validate(record.portal))
    except ValidationError:
        return None


def portal_json(record: RunRecord) -> dict[str, Any]:
    """The ``portal`` value of ``run.json``: the search record, plus ``report`` (one entry per
    slot, see ``daedalus.portal.slot_reports``) when the run has a search."""
    document: dict[str, Any] = {"steps": [], "pivots": [], **record.portal}
    reports = _reports(record)
    if reports is not None:
        document["report"] = [report.model_dump(mode="json") for report in reports]
    return document


def portal_section(record: RunRecord) -> list[str]:
    """``## Backward search``: per slot, a table of candidates with their trial's verdict,
    facts explained and contradicted and total, and why the winner won (empty without one)."""
    reports = _reports(record)
    if reports is None:
        return []
    lines = ["## Backward search", "", "Each slot, latest first, as the search filled it (M17)."]
    for report in sorted(reports, key=lambda r: -r.slot):
        lines += ["", f"### Slot {report.slot} ({report.time.date().isoformat()})", ""]
        lines.append(f"{report.rounds} round(s). Why: {one_line(report.why)}")
        lines.append("")
        rows = [
            [
                f"**{c.id}**" if c.chosen else c.id,
                one_line(c.event)[:_EVENT_CHARS],
                c.verdict or "-",
                len(c.explains),
                len(c.contradicts),
                "-" if c.total is None else f"{c.total:.2f}",
                "disqualified" if c.disqualified else "",
            ]
            for c in report.candidates
        ]
        header = ["candidate", "event", "trial", "explains", "contradicts", "total", ""]
        lines += table(header, rows)
    return lines

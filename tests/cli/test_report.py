"""The summary of a finished run as the CLI prints it."""

from __future__ import annotations

import io

from rich.console import Console

from daedalus.cli._report import summary_table

SUMMARY = {
    "run": "run_20261205_054333_eaacd8eb", "template": "castaway_colony_branching",
    "mode": "branching", "status": "completed", "model": "offline", "offline": True,
    "timepoints": 6, "detail_moments": 4, "dialogs": 1, "turns": 5, "exposures": 32,
    "calls": 20, "cache_hits": 0, "prompt_tokens": 20_459, "completion_tokens": 2_734,
    "cost_usd": 0.0, "in_doubt_calls": 0, "in_doubt_usd": 0.0,
    "mechanisms_fired": [f"M{i}" for i in range(1, 20)],
}


def test_the_summary_fits_80_columns_and_says_what_detail_moments_are() -> None:
    buffer = io.StringIO()
    Console(file=buffer, width=80).print(summary_table(SUMMARY))
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "run_20261205_054333_eaacd8eb" in text and "castaway_colony_branching" in text
    assert "6 (2 moments + 4 detail moments: beats inside a moment" in " ".join(text.split())
    assert "M19" in text

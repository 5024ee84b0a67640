"""Small Markdown and number formatting helpers shared by the text exports."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["dollars", "one_line", "table"]


def one_line(text: str) -> str:
    """``text`` on one line with runs of whitespace collapsed."""
    return " ".join(text.split())


def _cell(value: object) -> str:
    return one_line(str(value)).replace("|", "\\|")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A Markdown table as lines (cells on one line, pipes escaped)."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def dollars(amount: float) -> str:
    """``$12.35`` from a dollar up, ``$0.001234`` below (small model bills stay readable)."""
    return f"${amount:,.2f}" if amount >= 1.0 else f"${amount:.6f}"

"""The REST API and the dashboard, served by one FastAPI app.
May import daedalus.batch, daedalus.runs and everything below them.
"""

from __future__ import annotations

__all__: list[str] = []

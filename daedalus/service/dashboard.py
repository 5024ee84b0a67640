"""The dashboard: static HTML, JS and CSS in the package, served by the API's own app.

No build step and nothing from a CDN: the pages use Cytoscape.js (with the dagre layout) for
graphs and Chart.js for charts, vendored minified with their licences under
``static/vendor/``. The pages call the same ``/api/v1`` endpoints as any client, with the key
the user types in (kept in the browser's local storage).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "mount_dashboard", "router"]

STATIC_DIR = Path(str(resources.files("daedalus.service") / "static"))
"""Where the dashboard's files live inside the installed package."""

router = APIRouter(include_in_schema=False)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard/")


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard under ``/dashboard/`` and send ``/`` there."""
    app.include_router(router)
    app.mount("/dashboard", StaticFiles(directory=STATIC_DIR, html=True), name="dashboard")

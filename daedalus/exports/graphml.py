"""GraphML of a run's derived views (M3, M7): the causal timeline and the exposure DAG.

Both graphs come from ``daedalus.provenance`` (``Provenance.write_graphml``), so they carry
exactly the attributes the provenance views define and read back with ``networkx.read_graphml``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from daedalus.exports._files import write_bytes
from daedalus.provenance import GraphKind, Provenance
from daedalus.store.record import RunRecord

__all__ = ["GRAPHML_FILES", "write_exposure_graphml", "write_graphml", "write_timeline_graphml"]

GRAPHML_FILES: dict[str, str] = {"timeline": "timeline.graphml", "exposures": "exposures.graphml"}
"""File name of each graph inside an export directory."""


def write_timeline_graphml(record: RunRecord, path: str | os.PathLike[str]) -> Path:
    """Write the causal timepoint DAG (parent -> child) to ``path``."""
    return _write(record.provenance(), "timepoints", path)


def write_exposure_graphml(record: RunRecord, path: str | os.PathLike[str]) -> Path:
    """Write the exposure DAG (where each told exposure came from) to ``path``."""
    return _write(record.provenance(), "exposures", path)


def write_graphml(record: RunRecord, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write both graphs into ``out_dir``; returns their paths keyed ``timeline``, ``exposures``."""
    prov = record.provenance()
    folder = Path(out_dir)
    return {
        "timeline": _write(prov, "timepoints", folder / GRAPHML_FILES["timeline"]),
        "exposures": _write(prov, "exposures", folder / GRAPHML_FILES["exposures"]),
    }


def _write(prov: Provenance, kind: GraphKind, path: str | os.PathLike[str]) -> Path:
    buffer = io.BytesIO()
    prov.write_graphml(kind, buffer)
    return write_bytes(path, buffer.getvalue())

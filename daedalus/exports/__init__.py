"""Exports of a finished (or interrupted) run, each a pure function of a RunRecord and a path.
May import store, validators, provenance and below; never graphs, agents or runs.

Each export is byte-for-byte the same for the same record. ``write_exports(record, out_dir)``
writes them all::

    run.json                                the whole run (daedalus.exports.run_json)
    narrative.md                            Markdown narrative (daedalus.exports.narrative)
    training.jsonl, training_<kind>.jsonl   chat fine-tuning data (daedalus.exports.training)
    screenplay.fountain                     the dialogs as a screenplay (daedalus.exports.fountain)
    timeline.graphml, exposures.graphml     derived DAGs (daedalus.exports.graphml)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from daedalus.errors import ConfigError
from daedalus.exports.fountain import write_fountain
from daedalus.exports.graphml import write_graphml
from daedalus.exports.narrative import write_narrative
from daedalus.exports.run_json import write_run_json
from daedalus.exports.training import write_training
from daedalus.store.record import RunRecord

__all__ = ["EXPORT_FILES", "EXPORT_FORMATS", "write_exports"]

EXPORT_FORMATS: tuple[str, ...] = ("json", "markdown", "jsonl", "fountain", "graphml")
"""Every format ``write_exports`` knows, in the order it writes them."""

EXPORT_FILES: dict[str, str] = {
    "json": "run.json",
    "markdown": "narrative.md",
    "fountain": "screenplay.fountain",
}
"""File names of the single-file formats (``jsonl`` and ``graphml`` write several)."""


def write_exports(
    record: RunRecord,
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = EXPORT_FORMATS,
) -> dict[str, Path]:
    """Write the chosen formats of ``record`` into ``out_dir`` (created if missing).

    Returns the written paths keyed ``json``, ``markdown``, ``fountain``; ``jsonl`` (all
    training examples) and ``jsonl.<formatter>``; ``graphml.timeline`` and
    ``graphml.exposures``. An unknown format raises ``ConfigError`` before anything is written.
    """
    chosen = [formats] if isinstance(formats, str) else list(dict.fromkeys(formats))
    unknown = [name for name in chosen if name not in EXPORT_FORMATS]
    if unknown:
        valid = ", ".join(EXPORT_FORMATS)
        raise ConfigError(f"unknown export format {unknown[0]!r}; expected one of {valid}")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in EXPORT_FORMATS:
        if name not in chosen:
            continue
        if name == "json":
            written[name] = write_run_json(record, folder / EXPORT_FILES[name])
        elif name == "markdown":
            written[name] = write_narrative(record, folder / EXPORT_FILES[name])
        elif name == "fountain":
            written[name] = write_fountain(record, folder / EXPORT_FILES[name])
        elif name == "jsonl":
            for kind, path in write_training(record, folder).items():
                written["jsonl" if kind == "combined" else f"jsonl.{kind}"] = path
        else:
            for kind, path in write_graphml(record, folder).items():
                written[f"graphml.{kind}"] = path
    return written

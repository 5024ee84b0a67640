"""Options and arguments shared by the run commands, and the checks behind them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from daedalus.errors import ConfigError, RunError
from daedalus.exports import EXPORT_FORMATS
from daedalus.runs import Run
from daedalus.store import STORE_ENV, Store, StoreLayout, open_store
from daedalus.store._layout import usable_directory
from daedalus.store._url import is_postgres_url, is_url, mask_url, sqlite_directory

__all__ = [
    "DEFAULT_FORMATS",
    "BaseUrlOption",
    "FormatOption",
    "JsonOption",
    "LatencyOption",
    "ModelOption",
    "OutOption",
    "RunRef",
    "StoreOption",
    "TemplateArg",
    "checked_out",
    "existing_store",
    "local_store",
    "open_run",
    "parse_formats",
    "resolve_run",
]

DEFAULT_FORMATS = EXPORT_FORMATS
"""What ``run``, ``resume``, ``branch`` and ``export`` write unless ``--format`` says otherwise."""

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="DIR|URL",
        help=(
            f"Store: a directory, or postgresql://USER@HOST/DB[?schema=NAME] to share runs "
            f"between machines (default: ${STORE_ENV}, else ./daedalus_runs)."
        ),
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", metavar="DIR", help="Write the exports here."),
]
FormatOption = Annotated[
    list[str] | None,
    typer.Option(
        "--format",
        "-f",
        metavar="F",
        help=f"Export format, repeatable or comma-separated: {', '.join(EXPORT_FORMATS)}.",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON only (no table, no progress).")
]
LatencyOption = Annotated[
    float,
    typer.Option(
        "--offline-latency",
        metavar="SECONDS",
        min=0.0,
        help="Make each offline model call wait this long (to watch the progress).",
    ),
]
TemplateArg = Annotated[
    str,
    typer.Argument(
        metavar="TEMPLATE|PATH", help="A shipped template id (see `daedalus list`) or a YAML file."
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model", "-m", metavar="ID", help="Pin a model: an OpenRouter id, or offline."
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", metavar="URL", help="Any OpenAI-compatible server to call."),
]
RunRef = Annotated[
    str, typer.Argument(metavar="RUN_ID", help="A run id from `daedalus runs`, or `last`.")
]


def parse_formats(values: Sequence[str] | None) -> tuple[str, ...]:
    """The export formats named (``json,markdown`` or repeated), in order, each once.

    Nothing named means every format; an unknown name is a ``ConfigError``."""
    if not values:
        return DEFAULT_FORMATS
    names = [part.strip().lower() for value in values for part in value.split(",")]
    chosen = tuple(dict.fromkeys(name for name in names if name))
    unknown = [name for name in chosen if name not in EXPORT_FORMATS]
    if unknown or not chosen:
        shown = unknown[0] if unknown else ",".join(values)
        raise ConfigError(
            f"unknown export format {shown!r}; expected one of {', '.join(EXPORT_FORMATS)}"
        )
    return chosen


def checked_out(out: Path | None) -> Path | None:
    """``out`` as an export directory, created now so a bad path fails before any work."""
    return None if out is None else usable_directory(out, "--out directory")


def existing_store(store: str | None) -> Store:
    """``store`` (or the default) opened, which must already hold a run store (close it)."""
    opened = open_store(store, create=False)
    if not opened.holds_runs():
        opened.close()
        raise RunError(
            f"no runs in {opened.location} yet; start one with `daedalus run <template>` "
            f"or point --store (or ${STORE_ENV}) at another store"
        )
    return opened


def resolve_run(store: Store, ref: str) -> str:
    """The run id ``ref`` names: an id the store holds, or ``last`` for the newest run."""
    if ref == "last":
        return store.runs.latest_run_id()
    store.runs.load_record(ref)  # raises the store's one-line "no run ..." error
    return ref


def open_run(store: Store, ref: str) -> Run:
    """The stored run ``ref`` names (see ``resolve_run``)."""
    run_id = resolve_run(store, ref)
    return Run(store.runs.load_record(run_id), store)


def local_store(store: str | None, command: str) -> StoreLayout:
    """The store directory ``store`` names, created if missing, for commands that keep
    their own files beside the runs (the service's jobs and keys)."""
    if store is not None and is_postgres_url(store):
        raise ConfigError(
            f"--store {mask_url(store)}: `daedalus {command}` needs a store directory "
            "(or sqlite:///DIR); its jobs and keys are kept in files beside the runs"
        )
    if store is not None and is_url(store):
        return StoreLayout.at(sqlite_directory(store)).create()
    return StoreLayout.at(store).create()

"""Where a store keeps its files: one directory the user can see and delete."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from daedalus.errors import ConfigError
from daedalus.store._url import is_postgres_url, is_url, sqlite_directory

__all__ = ["DEFAULT_STORE_DIR", "STORE_ENV", "StoreLayout", "store_dir", "usable_directory"]

STORE_ENV = "DAEDALUS_HOME"
"""Environment variable naming the store (a directory or a store URL) when none is given."""

DEFAULT_STORE_DIR = Path("daedalus_runs")
"""The store directory, relative to the working directory, when nothing else says where."""


def store_dir(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The store directory: ``explicit``, else ``$DAEDALUS_HOME``, else ``./daedalus_runs``.

    ``environ`` defaults to ``os.environ``. The path is returned as given (not resolved, not
    created): ``StoreLayout.create`` makes it. ``sqlite:///DIR`` names ``DIR``; a PostgreSQL
    URL keeps only local files (exports, world runs), in ``./daedalus_runs``.
    """
    chosen = "" if explicit is None else str(explicit)
    if not chosen:
        env = os.environ if environ is None else environ
        chosen = env.get(STORE_ENV, "").strip()
    if not chosen:
        return DEFAULT_STORE_DIR
    if is_postgres_url(chosen):
        return DEFAULT_STORE_DIR
    if is_url(chosen):
        return sqlite_directory(chosen)
    return Path(explicit) if explicit is not None and str(explicit) else Path(chosen)


@dataclass(frozen=True)
class StoreLayout:
    """The files of one store directory::

        <root>/runs.sqlite            the run store (runs, entities, timepoints, ...)
        <root>/checkpoints.sqlite     LangGraph checkpoints (one thread per run)
        <root>/cache.sqlite           the model response cache
        <root>/ledgers/<run_id>.jsonl every model call of a run, written as it happens
        <root>/exports/<run_id>/      default export directory of a run
        <root>/worlds/<run_id>/       a world-engine run: snapshots, event log, KPIs, metadata
    """

    root: Path

    def __post_init__(self) -> None:
        # Accept a string or any path-like, so StoreLayout("runs") works as expected.
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def at(
        cls,
        explicit: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> StoreLayout:
        """The layout of ``store_dir(explicit, environ)``."""
        return cls(store_dir(explicit, environ))

    @property
    def runs_db(self) -> Path:
        return self.root / "runs.sqlite"

    @property
    def checkpoints_db(self) -> Path:
        return self.root / "checkpoints.sqlite"

    @property
    def cache_db(self) -> Path:
        return self.root / "cache.sqlite"

    @property
    def exports_root(self) -> Path:
        return self.root / "exports"

    @property
    def worlds_root(self) -> Path:
        return self.root / "worlds"

    def world_dir(self, run_id: str) -> Path:
        """Where ``daedalus world run`` writes a world run's files."""
        return self.worlds_root / run_id

    def exports_dir(self, run_id: str) -> Path:
        """Where ``daedalus export`` writes a run's files unless told otherwise."""
        return self.exports_root / run_id

    def run_paths(self, run_id: str) -> dict[str, str]:
        """Store-relative paths of a run's files, as ``RunMeta.paths`` records them."""
        return {
            "store": self.runs_db.name,
            "checkpoints": self.checkpoints_db.name,
            "cache": self.cache_db.name,
            "exports": f"{self.exports_root.name}/{run_id}",
        }

    def create(self) -> StoreLayout:
        """Make the directory (and its parents) if missing; returns the layout. A path that is
        a file, lies under a file or cannot be created is a one-line ``ConfigError``."""
        usable_directory(self.root, "store directory")
        return self


def usable_directory(path: Path, what: str) -> Path:
    """``path`` as a directory, created if missing; ``ConfigError`` naming ``what`` and the
    path when it is a file, lies under a file or cannot be created."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {path} is a file; expected a directory (or a path to create)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"{what} {path} cannot be created ({reason}); expected a directory you can write to"
        ) from None
    return path

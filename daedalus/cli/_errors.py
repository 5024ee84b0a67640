"""How CLI commands turn a Daedalus error into one line on stderr and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from daedalus.errors import ConfigError, DaedalusError

__all__ = ["BAD_INPUT", "FAILED", "fail", "reporting_errors"]

BAD_INPUT = 2
"""Exit code for input the user can fix: a file, an option, a missing setting."""

FAILED = 1
"""Exit code for anything else that went wrong on purpose (a provider refusing, a budget)."""


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print ``error: <message>`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Inside this block, a ``DaedalusError`` becomes one stderr line and a non-zero exit."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc), BAD_INPUT)
    except DaedalusError as exc:
        fail(str(exc), FAILED)

"""How the ``daedalus`` commands fail: one ``error: ...`` line on stderr and an exit code.

- bad input (a template, an option, a run id the store lacks): exit code 2;
- a model or budget failure: exit code 1, and when the run is saved unfinished the line ends
  with ``resume with: daedalus resume <id>``;
- an interruption (Ctrl-C): exit code 130, with the same hint;
- anything unexpected: exit code 1 and one line; ``daedalus --debug ...`` shows the traceback.

``DaedalusGroup`` gives usage errors (an unknown option, a missing argument) the same one-line
form, which the command-line library would otherwise print as a usage block.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer._click.globals import get_current_context
from typer.core import TyperGroup

from daedalus.cli._errors import BAD_INPUT, FAILED, fail
from daedalus.errors import (
    BudgetExceededError,
    ConfigError,
    DaedalusError,
    ModelError,
    RunError,
)
from daedalus.store import Store

__all__ = [
    "INTERRUPTED",
    "DaedalusGroup",
    "Failure",
    "debug_enabled",
    "describe_failure",
    "failures",
    "remember_debug",
]

INTERRUPTED = 130
"""Exit code after Ctrl-C, as shells report a process ended by SIGINT."""

_DEBUG_KEY = "daedalus.debug"
_DEBUG_HINT = "run again with `daedalus --debug ...` for the traceback"


@dataclass(frozen=True)
class Failure:
    """What the user sees for an error: the line after ``error: `` and the exit code."""

    message: str
    code: int


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe_failure(exc: BaseException, resumable_run: str | None = None) -> Failure:
    """The line and exit code for ``exc``; ``resumable_run`` (a run saved unfinished) adds
    the command that continues it."""
    hint = f"; resume with: daedalus resume {resumable_run}" if resumable_run else ""
    text = _one_line(str(exc))
    if isinstance(exc, ConfigError | RunError):
        return Failure(text, BAD_INPUT)
    if isinstance(exc, BudgetExceededError):
        more = " --budget USD" if resumable_run else ""
        return Failure(f"budget exceeded: {text}{hint}{more}", FAILED)
    if isinstance(exc, ModelError):
        return Failure(f"model failure: {text}{hint}", FAILED)
    if isinstance(exc, DaedalusError):
        return Failure(f"{text}{hint}", FAILED)
    if isinstance(exc, KeyboardInterrupt):
        return Failure(f"interrupted{hint}", INTERRUPTED)
    if isinstance(exc, OSError) and exc.filename is not None:  # a path the user gave us
        reason = exc.strerror or type(exc).__name__
        return Failure(
            f"cannot use {exc.filename}: {reason}; expected a path you can read and write{hint}",
            BAD_INPUT,
        )
    detail = f": {text}" if text else ""
    return Failure(f"unexpected {type(exc).__name__}{detail}{hint} ({_DEBUG_HINT})", FAILED)


def remember_debug(ctx: typer.Context, debug: bool) -> None:
    """Record the global ``--debug`` flag for every command of this invocation."""
    ctx.meta[_DEBUG_KEY] = debug
    if isinstance(ctx.command, DaedalusGroup):
        ctx.command.debug = debug


def debug_enabled() -> bool:
    """True when the current invocation was given ``--debug``."""
    ctx = get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_DEBUG_KEY, False))


def _unfinished(store: Store | None, run_id: str | None) -> str | None:
    """``run_id`` when the store holds it saved but not completed (so it can be resumed)."""
    if store is None or run_id is None or not store.holds_runs():
        return None
    try:
        runs = store.runs
        if not runs.has_run(run_id):
            return None
        return run_id if runs.load_record(run_id).run.status != "completed" else None
    except DaedalusError:  # an unreadable store: the error being reported says why
        return None


@contextmanager
def failures(store: Store | None = None, run_id: str | None = None) -> Iterator[None]:
    """Inside this block any error becomes ``error: <line>`` and its exit code (see
    ``describe_failure``); with ``--debug`` errors other than Ctrl-C propagate untouched."""
    try:
        yield
    except (typer.Exit, typer.Abort, ClickException):
        raise
    except KeyboardInterrupt as exc:
        failure = describe_failure(exc, _unfinished(store, run_id))
        fail(failure.message, failure.code)
    except Exception as exc:
        if debug_enabled():
            raise
        failure = describe_failure(exc, _unfinished(store, run_id))
        fail(failure.message, failure.code)


class DaedalusGroup(TyperGroup):
    """The command group: usage errors and stray exceptions become one ``error:`` line."""

    debug = False

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:  # the help text is already printed
            sys.exit(exc.exit_code)
        except UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "daedalus"
            message = _one_line(exc.format_message()).replace("Value error, ", "")
            _exit_with(f"{message} (see `{where} --help`)", exc.exit_code)
        except ClickException as exc:
            _exit_with(_one_line(exc.format_message()), exc.exit_code)
        except typer.Abort:
            _exit_with("aborted", FAILED)
        except Exception as exc:
            if self.debug:
                raise
            failure = describe_failure(exc)
            _exit_with(failure.message, failure.code)
        sys.exit(code if isinstance(code, int) else 0)


def _exit_with(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    sys.exit(code)

"""Progress of a run, fed by the graphs' progress events.

On a terminal a live bar follows the current phase (setting the scene, the moments, PORTAL's
backward search and forward pass) and notes such as a branch starting print above it. When
the output is not a terminal (CI logs, pipes) nothing redraws: each event is one plain line.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["RunProgress", "describe_event"]

_PHASES = {
    "timepoint": "moments",
    "portal_step": "backward search",
    "portal_forward": "forward pass",
}


def _count(event: Mapping[str, Any], key: str) -> tuple[int, int] | None:
    done, total = event.get(key), event.get("of")
    if isinstance(done, int) and isinstance(total, int):
        return done, total
    return None


def _portal_step(event: Mapping[str, Any]) -> str:
    """A backward-search decision, with slots numbered as the narrative's "Slot N" (and the
    ``portal-NNN`` moment each becomes): what was decided and why."""
    slot = event.get("slot")
    when = str(event.get("time", ""))[:10]
    where = f"slot {slot} ({when})" if when else f"slot {slot}"
    score = f", score {float(event['total']):.2f}" if isinstance(
        event.get("total"), int | float) else ""
    filled = f" [{event.get('filled', event.get('step'))}/{event.get('of')} slots filled]"
    decision = str(event.get("decision", ""))
    if decision == "accept":
        return f"backward search: {where} filled{score}{filled}"
    if decision == "repropose":
        return f"backward search: re-proposing {where} (no candidate reached the target)"
    if decision == "backtrack":
        back = event.get("to_slot")
        return (f"backward search: stepping back to slot {back} (nothing at {where} connected "
                "to its event)")
    if decision == "give_up":
        return (f"backward search: {where} keeps its best candidate{score} (none reached the "
                f"target){filled}")
    return f"backward search: {where} {decision}".rstrip()


def describe_event(event: Mapping[str, Any]) -> str:
    """One plain line for a progress event (``moment 2/5 tp-001``)."""
    kind = str(event.get("event", "event"))
    if kind == "timepoint" and (count := _count(event, "index")) is not None:
        return f"moment {count[0] + 1}/{count[1]} {event.get('id', '')}".rstrip()
    if kind == "detail":
        ids = [str(i) for i in event.get("ids", ())]
        last = ids[-1].rpartition(".")[2] if ids else ""
        span = f"{ids[0]} to .{last}" if len(ids) > 1 else "".join(ids)
        return (f"  detail of {event.get('id')}: {len(ids)} beats inside it, {span} "
                "(vertical expansion, M8)")
    if kind == "portal_step" and _count(event, "step") is not None:
        return _portal_step(event)
    if kind == "portal_forward" and (count := _count(event, "step")) is not None:
        return f"forward {count[0]}/{count[1]} {event.get('id', '')}".rstrip()
    if kind == "branch":
        return f"branch {event.get('id')} forks after {event.get('fork')}"
    details = " ".join(f"{k}={v}" for k, v in event.items() if k != "event")
    return f"{kind} {details}".rstrip()


class RunProgress:
    """A progress sink for ``daedalus.run(progress=...)``, used as a context manager.

    ``live`` defaults to whether ``console`` is a terminal; ``quiet`` shows nothing at all
    (for ``--json``). ``note`` prints a line above the bar (or as a plain line).
    """

    def __init__(
        self,
        console: Console,
        *,
        live: bool | None = None,
        quiet: bool = False,
        label: str = "setting the scene",
    ) -> None:
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal if live is None else live
        self.label = label
        self.events = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase: str | None = None

    def __enter__(self) -> RunProgress:
        if self.live and not self.quiet:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=None)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def note(self, text: str) -> None:
        """A line for the user, above the bar when there is one (wrapped at words to the
        console's width)."""
        if not self.quiet:
            self.console.print(text, highlight=False)

    def __call__(self, event: Mapping[str, Any]) -> None:
        self.events += 1
        if self.quiet:
            return
        if self._progress is None or self._task is None:
            self.note(describe_event(event))
            return
        kind = str(event.get("event", ""))
        if kind in ("branch", "detail") or (kind == "portal_step" and event.get("decision")
                                            not in ("accept", None)):
            self.note(describe_event(event))
            if kind == "branch":
                self._progress.update(self._task, description=f"branch {event.get('id')}")
                return
            if kind == "detail":
                return
        phase = _PHASES.get(kind)
        count = _count(event, "index" if kind == "timepoint" else "step")
        if phase is None or count is None:
            self.note(describe_event(event))
            return
        done = count[0] + 1 if kind == "timepoint" else count[0]
        if phase != self._phase:
            self._phase = phase
            self._progress.reset(self._task, total=count[1], description=phase)
        self._progress.update(self._task, completed=done, total=count[1])

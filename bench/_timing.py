"""Timing the offline model from outside, and the longest chain of calls a run waited through.

``ModelTimer`` wraps ``OfflineChatModel`` (the class, for the duration of a ``with`` block) so
every call's simulated latency and answer generation are timed without changing what the model
answers. ``critical_path`` reads those timings: call B follows call A when B began only after
A's answer came back; the longest such chain is the number of latency units no scheduler could
overlap in that run.
"""

from __future__ import annotations

import functools
import heapq
import inspect
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from daedalus.llm.offline import OfflineChatModel

__all__ = ["CallTiming", "ModelTimer", "Spans", "critical_path", "max_in_flight", "method_spans"]


@dataclass(frozen=True, slots=True)
class CallTiming:
    """One offline model call: when it was sent, when its latency ended, when it was answered."""

    began: float
    answered: float
    finished: float

    @property
    def waiting(self) -> tuple[float, float]:
        """The simulated network latency of the call, as a (start, end) interval."""
        return (self.began, self.answered)


_ANSWER_START: ContextVar[list[float] | None] = ContextVar("bench_answer_start", default=None)


@dataclass
class ModelTimer:
    """Times every ``OfflineChatModel`` call made inside the ``with`` block.

    ``answer_seconds`` is the time spent generating answers (``OfflineChatModel.answer``, the
    model's own work, never framework work), ``answer_cpu_seconds`` the CPU time of the same
    (thread time, so it leaves out waits for a busy CPU); ``calls`` holds one ``CallTiming``
    per async call.
    Only one timer may be active at a time.
    """

    answer_seconds: float = 0.0
    answer_cpu_seconds: float = 0.0
    answers: int = 0
    calls: list[CallTiming] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _saved: dict[str, Any] = field(default_factory=dict)

    def __enter__(self) -> ModelTimer:
        if getattr(OfflineChatModel, "_bench_timer", None) is not None:
            raise RuntimeError("a ModelTimer is already active")
        answer = OfflineChatModel.answer
        agenerate = OfflineChatModel._agenerate
        self._saved = {"answer": answer, "_agenerate": agenerate}
        timer = self

        def timed_answer(model: OfflineChatModel, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            cpu_started = time.thread_time()
            marks = _ANSWER_START.get()
            if marks is not None:
                marks.append(started)
            try:
                return answer(model, *args, **kwargs)
            finally:
                cpu = time.thread_time() - cpu_started
                elapsed = time.perf_counter() - started
                with timer._lock:
                    timer.answer_seconds += elapsed
                    timer.answer_cpu_seconds += cpu
                    timer.answers += 1

        async def timed_agenerate(model: OfflineChatModel, *args: Any, **kwargs: Any) -> Any:
            marks: list[float] = []
            token = _ANSWER_START.set(marks)
            began = time.perf_counter()
            try:
                return await agenerate(model, *args, **kwargs)
            finally:
                finished = time.perf_counter()
                _ANSWER_START.reset(token)
                answered = marks[0] if marks else finished
                with timer._lock:
                    timer.calls.append(CallTiming(began, answered, finished))

        OfflineChatModel.answer = timed_answer  # type: ignore[method-assign, assignment]
        OfflineChatModel._agenerate = timed_agenerate  # type: ignore[method-assign, assignment]
        OfflineChatModel._bench_timer = self  # type: ignore[attr-defined]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        OfflineChatModel.answer = self._saved["answer"]  # type: ignore[method-assign]
        OfflineChatModel._agenerate = self._saved["_agenerate"]  # type: ignore[method-assign]
        OfflineChatModel._bench_timer = None  # type: ignore[attr-defined]


def critical_path(intervals: Sequence[tuple[float, float]]) -> int:
    """The most intervals that can be chained so each starts at or after the previous one ends.

    For call latencies recorded under a concurrency limit that never bound, this is the number
    of latency units the run had to wait through one after another.
    """
    ordered = sorted(intervals)
    ended: list[tuple[float, int]] = []  # heap of (end, chain length ending there)
    best_before = 0
    longest = 0
    for start, end in ordered:
        if end < start:
            raise ValueError(f"interval ends before it starts: ({start}, {end})")
        while ended and ended[0][0] <= start:
            best_before = max(best_before, heapq.heappop(ended)[1])
        length = best_before + 1
        longest = max(longest, length)
        heapq.heappush(ended, (end, length))
    return longest


def max_in_flight(intervals: Sequence[tuple[float, float]]) -> int:
    """The most intervals open at one instant.

    An interval ending as another starts does not overlap it (as in ``critical_path``), so a
    zero-length interval is never counted as open.
    """
    edges = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
        key=lambda edge: (edge[0], edge[1]),
    )
    open_now = 0
    most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most


@dataclass
class Spans:
    """Seconds and calls spent inside each timed method (wall time; async ones include waits)."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, elapsed: float) -> None:
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
            self.calls[name] = self.calls.get(name, 0) + 1


def _timed(spans: Spans, name: str, method: Any) -> Any:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                spans.add(name, time.perf_counter() - started)

        return timed_async

    @functools.wraps(method)
    def timed_sync(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spans.add(name, time.perf_counter() - started)

    return timed_sync


@contextmanager
def method_spans(targets: Mapping[str, tuple[type, str]]) -> Iterator[Spans]:
    """Time ``owner.method`` for each ``name: (owner, method)`` inside the ``with`` block."""
    spans = Spans()
    # An inherited method is shadowed on ``owner`` and the shadow removed afterwards.
    saved = [(owner, attr, vars(owner).get(attr)) for owner, attr in targets.values()]
    try:
        for name, (owner, attr) in targets.items():
            setattr(owner, attr, _timed(spans, name, getattr(owner, attr)))
        yield spans
    finally:
        for owner, attr, original in saved:
            if original is None:
                delattr(owner, attr)
            else:
                setattr(owner, attr, original)

"""Run progress: plain lines off a terminal, a live bar on one, nothing when quiet."""

from __future__ import annotations

import io

from rich.console import Console

from daedalus.cli._progress import RunProgress, describe_event

EVENTS = [
    {"event": "timepoint", "index": 0, "of": 2, "id": "tp-000"},
    {"event": "timepoint", "index": 1, "of": 2, "id": "tp-001"},
    {"event": "branch", "id": "b1", "fork": "tp-000"},
    {"event": "portal_step", "step": 1, "of": 3, "slot": 2, "decision": "accept", "total": 0.81},
    {"event": "portal_step", "step": 1, "of": 3, "slot": 1, "time": "2026-09-13T10:00:00",
     "decision": "repropose"},
    {"event": "detail", "id": "tp-001", "ids": ["tp-001.m1", "tp-001.m2", "tp-001.m3"]},
    {"event": "portal_forward", "step": 3, "of": 4, "id": "slot-002"},
    {"event": "elaborate", "entity": "ada"},
]


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=100), buffer


def test_each_event_reads_as_one_line() -> None:
    assert [describe_event(e) for e in EVENTS] == [
        "moment 1/2 tp-000",
        "moment 2/2 tp-001",
        "branch b1 forks after tp-000",
        "backward search: slot 2 filled, score 0.81 [1/3 slots filled]",
        "backward search: re-proposing slot 1 (2026-09-13) (no candidate reached the target)",
        "  detail of tp-001: 3 beats inside it, tp-001.m1 to .m3 (vertical expansion, M8)",
        "forward 3/4 slot-002",
        "elaborate entity=ada",
    ]


def test_off_a_terminal_every_event_is_a_plain_line() -> None:
    out, buffer = console(terminal=False)
    with RunProgress(out) as progress:
        assert not progress.live
        for event in EVENTS:
            progress(event)
    assert buffer.getvalue().splitlines() == [describe_event(e) for e in EVENTS]
    assert "\x1b[" not in buffer.getvalue()  # no cursor movement or colour in logs


def test_quiet_shows_nothing_but_counts_events() -> None:
    out, buffer = console(terminal=True)
    with RunProgress(out, quiet=True) as progress:
        for event in EVENTS:
            progress(event)
        progress.note("hidden")
    assert buffer.getvalue() == "" and progress.events == len(EVENTS)


def test_on_a_terminal_the_bar_follows_the_phase() -> None:
    out, buffer = console(terminal=True)
    with RunProgress(out) as progress:
        assert progress.live
        progress(EVENTS[0])
        task = progress._progress.tasks[0]  # type: ignore[union-attr]
        assert (task.description, task.completed, task.total) == ("moments", 1, 2)
        progress(EVENTS[1])
        assert task.completed == 2
        progress(EVENTS[3])
        assert (task.description, task.completed, task.total) == ("backward search", 1, 3)
        progress(EVENTS[4])  # a re-proposal is a note: the slot is not filled yet
        assert task.completed == 1
        progress(EVENTS[2])
        assert task.description == "branch b1"
    text = buffer.getvalue()
    assert "branch b1 forks after tp-000" in text  # notes print above the bar
    assert "backward search" in text
    assert "re-proposing slot 1 (2026-09-13) (no candidate reached the target)" in text

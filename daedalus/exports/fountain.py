"""A Fountain screenplay of a run's dialogs (M11): a title page, then one scene per dialog.

Scene headings read ``INT. <LOCATION> - <TIME>`` (time of day from the timepoint's hour);
the timepoint's event is the action line; character cues are names in capitals, with the
emotional tone as a parenthetical (omitted when neutral). A turn that is wholly a stage
direction, such as ``(stays silent)``, becomes an action line. Branch scenes carry a note.
"""

from __future__ import annotations

import os
from pathlib import Path

from daedalus.domain import Dialog, DialogTurn, Timepoint
from daedalus.exports._files import write_text
from daedalus.exports._markdown import one_line
from daedalus.store.record import RunRecord

__all__ = ["render_fountain", "scene_heading", "time_of_day", "write_fountain"]


def time_of_day(timepoint: Timepoint) -> str:
    """``MORNING`` (5-11 h), ``DAY`` (12-16 h), ``EVENING`` (17-20 h) or ``NIGHT``."""
    hour = timepoint.timestamp.hour
    if 5 <= hour < 12:
        return "MORNING"
    if 12 <= hour < 17:
        return "DAY"
    if 17 <= hour < 21:
        return "EVENING"
    return "NIGHT"


def scene_heading(location: str, timepoint: Timepoint) -> str:
    """``INT. <LOCATION> - <TIME>`` with the location in capitals on one line."""
    place = one_line(location).upper().replace(" - ", " ")
    return f"INT. {place} - {time_of_day(timepoint)}"


def render_fountain(record: RunRecord) -> str:
    """The screenplay as Fountain text (deterministic: same record, same text)."""
    lines = _title_page(record)
    order = record.story_order()
    position = {tp.id: i for i, tp in enumerate(order)}
    by_id = {tp.id: tp for tp in order}
    dialogs = sorted(
        enumerate(record.dialogs), key=lambda pair: (position[pair[1].timepoint_id], pair[0])
    )
    location = _location(record)
    for _, dialog in dialogs:
        lines += _scene(record, dialog, by_id[dialog.timepoint_id], location)
    lines += ["", "> THE END <", ""]
    return "\n".join(lines)


def write_fountain(record: RunRecord, path: str | os.PathLike[str]) -> Path:
    """Write ``render_fountain(record)`` to ``path``."""
    return write_text(path, render_fountain(record))


def _title_page(record: RunRecord) -> list[str]:
    meta = record.run
    lines = [
        f"Title: {one_line(record.title)}",
        "Credit: A Daedalus simulation",
        f"Source: template {meta.template}, run {meta.id} ({meta.mode.value}, seed {meta.seed})",
        f"Draft date: {meta.started_at.date().isoformat()}",
    ]
    model = f"Model {meta.model}."
    if record.used_offline:
        model += " OFFLINE MODEL: every line comes from the built-in offline model."
    lines.append(f"Notes: {model}")
    return lines


def _location(record: RunRecord) -> str:
    if record.environment is not None and record.environment.location.strip():
        return record.environment.location
    if record.scenario is not None and record.scenario.scene.location.strip():
        return record.scenario.scene.location
    return record.title


def _scene(record: RunRecord, dialog: Dialog, timepoint: Timepoint, location: str) -> list[str]:
    lines = ["", scene_heading(location, timepoint), ""]
    when = timepoint.timestamp.isoformat(sep=" ", timespec="minutes")
    event = one_line(timepoint.event_description)
    if event and event[-1] not in ".!?":
        event += "."
    lines.append(_action(f"{when}. {event}" if event else f"{when}."))
    branch = next((b for b in record.branches if b.id == timepoint.branch_id), None)
    if branch is not None and branch.parent is not None:
        change = f": {one_line(branch.intervention)}" if branch.intervention else ""
        lines += ["", f"[[Branch {branch.id}, forked at {branch.fork_timepoint}{change}]]"]
    for turn in dialog.turns:
        lines += ["", *_turn(record, turn)]
    return lines


def _turn(record: RunRecord, turn: DialogTurn) -> list[str]:
    name = one_line(record.name_of(turn.speaker))
    content = turn.content.strip()
    if content.startswith("(") and content.endswith(")") and "\n" not in content:
        return [_action(f"{name} {content[1:-1].strip()}.")]
    cue = name.upper()
    if not any(ch.isalpha() for ch in cue):
        cue = f"@{cue}"  # Fountain needs a letter to read a cue without the @ prefix
    lines = [cue]
    tone = one_line(turn.emotional_tone)
    if tone and tone.lower() != "neutral":
        lines.append(f"({tone})")
    lines += [line.strip() for line in content.splitlines() if line.strip()]
    return lines


def _action(text: str) -> str:
    # An all-capitals action line would be read as a character cue; ``!`` forces action.
    return f"!{text}" if text.upper() == text and any(ch.isalpha() for ch in text) else text

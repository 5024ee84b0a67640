"""The Markdown narrative of a run: what happened, who was there, what they said and learned,
where each piece of knowledge came from (M3), and what it cost (M18)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from daedalus.domain import ExposureEvent
from daedalus.exports._files import write_text
from daedalus.exports._markdown import dollars, one_line, table
from daedalus.exports._portal_report import portal_section
from daedalus.provenance import Provenance
from daedalus.store.record import RunRecord

__all__ = [
    "MECHANISM_NAMES",
    "OFFLINE_NOTICE",
    "render_narrative",
    "write_narrative",
]

OFFLINE_NOTICE = (
    "**OFFLINE MODEL**: every answer in this run came from the built-in offline model, "
    "deterministic text assembled from the scenario itself, not from a language model."
)
"""The line a narrative carries when the run used the offline model."""

MECHANISM_NAMES: dict[str, str] = {
    "M1": "heterogeneous fidelity",
    "M2": "progressive training",
    "M3": "exposure events",
    "M4": "constraint validators",
    "M5": "lazy resolution",
    "M6": "TTM tensors",
    "M7": "causal chains",
    "M8": "embodiment and vertical expansion",
    "M9": "on-demand entities",
    "M10": "scene entities",
    "M11": "dialog synthesis",
    "M12": "counterfactual branches",
    "M13": "relationship evolution",
    "M14": "circadian activity",
    "M15": "prospection",
    "M16": "animism",
    "M17": "modal causality",
    "M18": "model selection",
    "M19": "knowledge extraction",
}
"""Short names of the mechanisms, as reports show them."""

SAMPLE_DIALOGS = 3
SAMPLE_TURNS = 4
CHAIN_ENTITIES = 2


def render_narrative(record: RunRecord) -> str:
    """The narrative as Markdown text (deterministic: same record, same text)."""
    prov = record.provenance()
    parts = [
        _header(record),
        _timeline(record),
        portal_section(record),
        _cast(record),
        _dialogs(record),
        _chains(record, prov),
        _branches(record),
        _prophecies(record),
        _findings(record),
        _costs(record),
        _mechanisms(record),
    ]
    return "\n\n".join("\n".join(lines) for lines in parts if lines) + "\n"


def write_narrative(record: RunRecord, path: str | os.PathLike[str]) -> Path:
    """Write ``render_narrative(record)`` to ``path``."""
    return write_text(path, render_narrative(record))


def _header(record: RunRecord) -> list[str]:
    meta = record.run
    lines = [f"# {one_line(record.title)}", ""]
    finished = "" if meta.completed_at is None else f", completed {meta.completed_at.isoformat()}"
    lines.append(
        f"Run `{meta.id}` of template `{meta.template}`: mode {meta.mode.value}, "
        f"model `{meta.model}`, seed {meta.seed}, status {meta.status} "
        f"(started {meta.started_at.isoformat()}{finished})."
    )
    if record.used_offline:
        lines += ["", OFFLINE_NOTICE]
    if record.scenario is not None:
        lines += ["", "## Scenario", "", one_line(record.scenario.description)]
    return lines


def _timeline(record: RunRecord) -> list[str]:
    order = record.story_order()
    if not order:
        return ["## Timeline", "", "No timepoint was simulated."]
    note = (
        "In presentation order; the causal parent column gives the order of events."
        if record.presentation_order
        else "In causal order, branch by branch."
    )
    names = {e.id: e.name for e in record.entities}
    rows = [
        (
            index,
            tp.timestamp.isoformat(sep=" ", timespec="minutes"),
            f"`{tp.id}`",
            f"`{tp.causal_parent}`" if tp.causal_parent else "(origin)",
            tp.branch_id,
            tp.event_description or "(no description)",
            ", ".join(names.get(e, e) for e in tp.entities_present),
        )
        for index, tp in enumerate(order, start=1)
    ]
    header = ("#", "When", "Timepoint", "Causal parent", "Branch", "Event", "Present")
    return ["## Timeline", "", note, "", *table(header, rows)]


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _cast(record: RunRecord) -> list[str]:
    if not record.entities:
        return []
    rows = []
    for entity in record.entities:
        mind = record.cognitive.get(entity.id)
        rows.append(
            (
                entity.name,
                entity.kind.value,
                entity.role or "(none)",
                ", ".join(entity.traits) or "(none)",
                _number(mind.valence if mind else None),
                _number(mind.arousal if mind else None),
                _number(mind.energy if mind else None),
            )
        )
    header = ("Name", "Kind", "Role", "Traits", "Valence", "Arousal", "Energy")
    return ["## Cast", "", "Final state of each entity.", "", *table(header, rows)]


def _dialogs(record: RunRecord) -> list[str]:
    position = {tp.id: i for i, tp in enumerate(record.story_order())}
    dialogs = sorted(
        enumerate(record.dialogs), key=lambda pair: (position[pair[1].timepoint_id], pair[0])
    )
    if not dialogs:
        return []
    lines = ["## Sample dialogs"]
    for _, dialog in dialogs[:SAMPLE_DIALOGS]:
        lines += ["", f"### `{dialog.id}` at `{dialog.timepoint_id}`", ""]
        for turn in dialog.turns[:SAMPLE_TURNS]:
            lines.append(
                f"- **{record.name_of(turn.speaker)}** *({one_line(turn.emotional_tone)})*: "
                f"{one_line(turn.content)}"
            )
        if len(dialog.turns) > SAMPLE_TURNS:
            lines.append(f"- ... {len(dialog.turns) - SAMPLE_TURNS} more turns")
    return lines


def _in_order(record: RunRecord, entity_id: str) -> list[ExposureEvent]:
    """The entity's exposures: prior knowledge first, then by story order, then log order."""
    position = {tp.id: i for i, tp in enumerate(record.story_order())}
    own = [(i, e) for i, e in enumerate(record.exposures) if e.entity_id == entity_id]
    own.sort(key=lambda p: (-1 if p[1].timepoint_id is None else position[p[1].timepoint_id], p[0]))
    return [e for _, e in own]


def _origin_chain(prov: Provenance, exposure_id: str) -> list[str]:
    """Ids from the first known origin of an exposure down to the exposure itself (M3)."""
    dag = prov.exposure_dag()
    chain = [exposure_id]
    while True:
        parents = sorted(dag.predecessors(chain[-1]))
        if not parents:
            return list(reversed(chain))
        chain.append(parents[0])


def _chains(record: RunRecord, prov: Provenance) -> list[str]:
    counts = {e.id: 0 for e in record.entities}
    for event in record.exposures:
        if event.entity_id in counts:
            counts[event.entity_id] += 1
    chosen = sorted((e for e in record.entities if counts[e.id]), key=lambda e: -counts[e.id])
    if not chosen:
        return []
    by_id = {event.id: event for event in record.exposures}
    lines = ["## Provenance chains", "", "What each knew, in the order it arrived (M3)."]
    for entity in chosen[:CHAIN_ENTITIES]:
        lines += ["", f"### {entity.name}", ""]
        for number, event in enumerate(_in_order(record, entity.id), start=1):
            lines.append(
                f"{number}. {_where(event)}, {event.kind.value} from "
                f"{record.name_of(event.source)} (confidence {event.confidence:.2f}): "
                f"{one_line(event.information)}"
            )
            chain = _origin_chain(prov, event.id)
            if len(chain) > 1:
                steps = [_step(record, by_id[c]) for c in chain]
                lines.append(f"   - passed along: {' -> '.join(steps)}")
    return lines


def _step(record: RunRecord, event: ExposureEvent) -> str:
    return f"{record.name_of(event.entity_id)} ({event.kind.value}, {_where(event)})"


def _where(event: ExposureEvent) -> str:
    return "before the timeline" if event.timepoint_id is None else f"at `{event.timepoint_id}`"


def _branches(record: RunRecord) -> list[str]:
    if len(record.branches) < 2:
        return []
    rows = [
        (b.id, b.parent or "(root)", b.fork_timepoint or "(none)", b.intervention or "(none)")
        for b in record.branches
    ]
    return ["## Branches", "", *table(("Branch", "Parent", "Forks at", "Intervention"), rows)]


def _prophecies(record: RunRecord) -> list[str]:
    if not record.prophecies:
        return []
    lines = ["## Prophecies", ""]
    lines += [f"- {_fields(item)}" for item in record.prophecies]
    return lines


def _fields(item: dict[str, Any]) -> str:
    return "; ".join(f"{key}: {one_line(str(value))}" for key, value in item.items())


def _findings(record: RunRecord) -> list[str]:
    lines: list[str] = []
    if record.validation:
        rows = [
            (v.validator, v.entity_id or "", v.timepoint_id or "", v.message, v.action)
            for v in record.validation
        ]
        header = ("Validator", "Entity", "Timepoint", "Finding", "Action")
        lines += ["## Validation", "", *table(header, rows)]
    if record.contradictions:
        lines += ["", "## Contradictions", ""] if lines else ["## Contradictions", ""]
        lines += [
            f"- `{c.dialog_id}`: {record.name_of(c.first_speaker)} (turn {c.first_turn}) and "
            f"{record.name_of(c.second_speaker)} (turn {c.second_turn}) disagree on "
            f"{one_line(c.topic)}"
            for c in record.contradictions
        ]
    return lines


def _costs(record: RunRecord) -> list[str]:
    ledger = record.ledger_view()
    totals = ledger.totals()
    lines = [
        "## Costs",
        "",
        f"{totals.calls} model calls ({totals.cache_hits} from the cache), "
        f"{totals.prompt_tokens} prompt and {totals.completion_tokens} completion tokens, "
        f"{dollars(totals.cost_usd)}.",
    ]
    if totals.calls:
        rows = [
            (model, t.calls, t.total_tokens, dollars(t.cost_usd))
            for model, t in ledger.by_model().items()
        ]
        lines += ["", *table(("Model", "Calls", "Tokens", "Dollars"), rows)]
    report = record.shadow_report()
    if report.evaluations:
        lines += [
            "",
            f"ADPRS gate: {report.divergent} of {report.evaluations} (entity, timepoint) cells "
            f"used another level than the predicted band "
            f"({report.actual_above} above, {report.actual_below} below).",
        ]
    return lines


def _mechanisms(record: RunRecord) -> list[str]:
    fired = [(key, count) for key, count in record.mechanism_counts().items() if count > 0]
    if not fired:
        return ["## Mechanisms fired", "", "No mechanism counter was recorded."]
    rows = [(key, MECHANISM_NAMES.get(key, ""), count) for key, count in fired]
    return ["## Mechanisms fired", "", *table(("Mechanism", "What", "Count"), rows)]

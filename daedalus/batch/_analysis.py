"""Outcome analysis across the runs of a batch: what recurs, how entities end, how often
PORTAL runs reach their endpoint, and the convergence of each template's runs.

- recurrence: an event (a main-line moment's description) or a piece of knowledge (an
  exposure's information, initial knowledge left out) counted once per run it appears in,
  compared after lower-casing and collapsing spaces; ``share`` is runs holding it over runs;
- entity outcomes: per entity, the distribution over runs of its final valence, arousal and
  energy, its share of dialog turns and how many exposures it ends with;
- PORTAL endpoints: per endpoint, how many runs' chosen chains reached it: ``reached`` when
  every chosen link's forward trial reached its target, ``partly`` when each at least partly
  did, ``missed`` otherwise (or when the search found no full chain);
- convergence: ``daedalus.compare`` over the completed runs of each template (two or more).
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from daedalus.batch._record import BatchRecord
from daedalus.domain import ExposureKind
from daedalus.portal import PortalRecord
from daedalus.runs import Convergence, Run, compare

__all__ = [
    "BatchAnalysis",
    "EndpointShare",
    "EntityOutcome",
    "Recurrence",
    "RunRow",
    "analyze",
    "portal_outcome",
]

_SPACE = re.compile(r"\s+")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunRow(_Row):
    """One run of the batch as a table row."""

    index: int
    run_id: str
    template: str
    seed: int
    overrides: str
    interventions: int
    status: str
    offline: bool = True
    cost_usd: float = 0.0
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timepoints: int = 0
    dialogs: int = 0
    turns: int = 0
    exposures: int = 0
    portal_outcome: str = ""
    error: str = ""


class Recurrence(_Row):
    kind: str
    text: str
    runs: int
    share: float


class EntityOutcome(_Row):
    entity: str
    metric: str
    runs: int
    mean: float
    stdev: float
    min: float
    max: float


class EndpointShare(_Row):
    endpoint: str
    runs: int
    reached: int
    partly: int
    missed: int
    share_reached: float


class BatchAnalysis(BaseModel):
    """Everything ``analyze`` found; ``daedalus.batch.write_report`` writes it out."""

    model_config = ConfigDict(frozen=True)

    batch: str
    runs: tuple[RunRow, ...]
    recurrences: tuple[Recurrence, ...]
    entity_outcomes: tuple[EntityOutcome, ...]
    portal_endpoints: tuple[EndpointShare, ...]
    convergence: tuple[Convergence, ...]


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.strip().lower())


def portal_outcome(run: Run) -> str:
    """``reached``, ``partly`` or ``missed`` for a PORTAL run; ``""`` for other modes."""
    if not run.record.portal:
        return ""
    try:
        record = PortalRecord.model_validate(run.record.portal)
    except ValueError:
        return "missed"
    chosen = [step for step in record.steps if step.chosen is not None]
    if not chosen or len(chosen) < len(record.steps) or not record.steps:
        return "missed"
    ranks = [step.score(str(step.chosen)).verdict.rank for step in chosen]
    return {2: "reached", 1: "partly"}.get(min(ranks), "missed")


def _row(record: BatchRecord, index: int, run: Run | None) -> RunRow:
    entry = record.entries[index]
    base: dict[str, Any] = {
        "index": index, "run_id": entry.run_id, "template": entry.spec.template,
        "seed": entry.spec.seed, "overrides": json.dumps(entry.spec.overrides, sort_keys=True),
        "interventions": len(entry.spec.interventions), "status": entry.status,
        "error": entry.error or "",
    }
    if run is None:
        return RunRow(**base)
    summary = run.summary()
    keys = ("offline", "cost_usd", "calls", "cache_hits", "prompt_tokens", "completion_tokens",
            "timepoints", "dialogs", "turns", "exposures")
    return RunRow(**base, **{k: summary[k] for k in keys}, portal_outcome=portal_outcome(run))


def _recurrences(runs: Sequence[Run], limit: int) -> list[Recurrence]:
    events: Counter[str] = Counter()
    knowledge: Counter[str] = Counter()
    for run in runs:
        events.update({
            _norm(tp.event_description) for tp in run.timepoints
            if tp.branch_id == "main" and tp.moment_of is None and tp.event_description.strip()
        })
        knowledge.update({
            _norm(e.information) for e in run.exposures
            if e.kind is not ExposureKind.INITIAL and e.information.strip()
        })
    found = []
    for kind, counts in (("event", events), ("knowledge", knowledge)):
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
        found += [
            Recurrence(kind=kind, text=text, runs=n, share=round(n / len(runs), 4))
            for text, n in ranked
        ]
    return found


def _entity_outcomes(runs: Sequence[Run]) -> list[EntityOutcome]:
    values: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for run in runs:
        record = run.record
        turns = [t.speaker for d in run.dialogs for t in d.turns]
        held = Counter(e.entity_id for e in run.exposures)
        for entity in run.entities:
            mind = record.cognitive.get(entity)
            if mind is not None:
                values[(entity, "valence")].append(mind.valence)
                values[(entity, "arousal")].append(mind.arousal)
                values[(entity, "energy")].append(mind.energy)
            share = turns.count(entity) / len(turns) if turns else 0.0
            values[(entity, "turn_share")].append(share)
            values[(entity, "exposures")].append(float(held[entity]))
    return [
        EntityOutcome(
            entity=entity, metric=metric, runs=len(series),
            mean=round(statistics.fmean(series), 6),
            stdev=round(statistics.pstdev(series), 6),
            min=round(min(series), 6), max=round(max(series), 6),
        )
        for (entity, metric), series in sorted(values.items())
    ]


def _endpoints(runs: Sequence[Run]) -> list[EndpointShare]:
    tally: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for run in runs:
        outcome = portal_outcome(run)
        if outcome:
            tally[str(run.record.portal.get("endpoint", ""))][outcome] += 1
    return [
        EndpointShare(
            endpoint=endpoint, runs=sum(c.values()), reached=c["reached"], partly=c["partly"],
            missed=c["missed"], share_reached=round(c["reached"] / sum(c.values()), 4),
        )
        for endpoint, c in sorted(tally.items())
    ]


def analyze(record: BatchRecord, runs: Sequence[Run], *, limit: int = 50) -> BatchAnalysis:
    """The analysis of ``record``'s batch from its stored ``runs`` (see the module doc);
    ``limit`` bounds the recurring events and knowledge listed, most frequent first."""
    by_id = {run.id: run for run in runs}
    rows = [_row(record, e.index, by_id.get(e.run_id)) for e in record.entries]
    done = [run for run in runs if run.status == "completed"]
    by_template: defaultdict[str, list[Run]] = defaultdict(list)
    for run in done:
        by_template[run.record.run.template].append(run)
    return BatchAnalysis(
        batch=record.id,
        runs=tuple(rows),
        recurrences=tuple(_recurrences(done, limit)) if done else (),
        entity_outcomes=tuple(_entity_outcomes(done)),
        portal_endpoints=tuple(_endpoints(done)),
        convergence=tuple(compare(group) for group in by_template.values() if len(group) > 1),
    )

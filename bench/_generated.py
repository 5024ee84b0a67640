"""A generated town scenario of any size, and an audit of a run's knowledge provenance.

``town_scenario`` builds a PEARL scenario from a seeded ``numpy.random.Generator``: people with
roles, traits and two facts each, tied by a preferential-attachment relationship graph (each
newcomer knows one or two earlier people, better-connected ones more likely), so a few hubs
and many peripheral people emerge, as in a real cast. Fidelity, dialog and scene settings are
the library defaults (``balanced``, ``soft``; four speakers, eight turns).

``provenance_violations`` counts, over a finished run, (1) dialog-turn references that
``Provenance.check_references`` refuses and (2) exposures returned by ``knowledge_at`` for any
(entity, timepoint) that belong to another entity or sit at a timepoint outside an
independently computed upstream set: the timepoint's ``causal_parent`` path to its root, plus
every M8 detail (``moment_of`` descendant) of a moment on that path. That set is a superset of
the M7/M8 rule, so every violation counted is real.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from daedalus.domain import Dialog, ExposureEvent, Timepoint
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario

__all__ = ["ProvenanceAudit", "naive_upstream", "provenance_violations", "town_scenario"]

_ROLES = ("miller", "nurse", "clerk", "ferryman", "teacher", "engineer", "baker", "constable")
_TRAITS = ("calm", "blunt", "curious", "wary", "loyal", "proud", "quiet", "quick", "stubborn")
_PLACES = ("the sluice gate", "the north levee", "the grain store", "the ferry landing")


def town_scenario(entities: int, timepoints: int, seed: int = 7) -> Scenario:
    """A PEARL scenario of ``entities`` people over ``timepoints`` daily moments."""
    if entities < 2 or timepoints < 1:
        raise ValueError(f"need at least 2 entities and 1 timepoint, got {entities}, {timepoints}")
    rng = np.random.default_rng(seed)
    people = []
    for i in range(entities):
        traits = rng.choice(len(_TRAITS), size=2, replace=False)
        place = _PLACES[int(rng.integers(len(_PLACES)))]
        people.append(
            {
                "id": f"p{i:03d}",
                "name": f"Townsperson {i:03d}",
                "role": _ROLES[i % len(_ROLES)],
                "traits": [_TRAITS[int(t)] for t in traits],
                "knowledge": [
                    f"Townsperson {i:03d} saw water seeping under {place}",
                    f"Townsperson {i:03d} holds the key to shed {i}",
                ],
            }
        )
    degree = np.ones(entities)
    relationships = []
    for i in range(1, entities):
        weights = degree[:i] / degree[:i].sum()
        ties = rng.choice(i, size=min(i, int(rng.integers(1, 3))), replace=False, p=weights)
        for j in sorted(int(t) for t in ties):
            trust = round(float(rng.uniform(0.2, 0.9)), 3)
            relationships.append({"a": f"p{j:03d}", "b": f"p{i:03d}", "trust": trust})
            degree[i] += 1
            degree[j] += 1
    return Scenario.model_validate(
        {
            "id": "generated_town",
            "name": "A town watches its dam",
            "description": "A river town learns, day by day, that its old dam is failing.",
            "mode": "pearl",
            "start": "2026-03-01T09:00:00",
            "entities": people,
            "relationships": relationships,
            "timeline": {"steps": timepoints, "step": "1 day"},
            "scene": {"location": "The town square by the river", "tension": 0.4},
        }
    )


def naive_upstream(timepoints: Sequence[Timepoint]) -> dict[str, frozenset[str]]:
    """Per timepoint, its causal path to the root plus every detail of a moment on that path."""
    parent = {tp.id: tp.causal_parent for tp in timepoints}
    details: dict[str, list[str]] = {}
    for tp in timepoints:
        if tp.moment_of is not None:
            details.setdefault(tp.moment_of, []).append(tp.id)
    upstream: dict[str, frozenset[str]] = {}
    for tp in timepoints:
        seen: set[str] = set()
        node: str | None = tp.id
        while node is not None and node not in seen:
            seen.add(node)
            node = parent.get(node)
        pending = [d for moment in list(seen) for d in details.get(moment, [])]
        while pending:
            item = pending.pop()
            if item not in seen:
                seen.add(item)
                pending.extend(details.get(item, []))
        upstream[tp.id] = frozenset(seen)
    return upstream


@dataclass(frozen=True)
class ProvenanceAudit:
    """What ``provenance_violations`` checked and found."""

    refused_references: int
    references_checked: int
    foreign_knowledge: int
    knowledge_queries: int
    exposures_returned: int

    @property
    def violations(self) -> int:
        return self.refused_references + self.foreign_knowledge


def provenance_violations(
    timepoints: Sequence[Timepoint],
    exposures: Sequence[ExposureEvent],
    dialogs: Iterable[Dialog],
    entity_ids: Iterable[str],
) -> ProvenanceAudit:
    """Audit a run (see the module docstring): refused turn references and foreign knowledge."""
    provenance = Provenance(timepoints, exposures)
    refused = checked = 0
    for dialog in dialogs:
        for turn in dialog.turns:
            checked += len(turn.knowledge_references)
            refused += len(
                provenance.check_references(
                    turn.speaker, dialog.timepoint_id, turn.knowledge_references
                )
            )
    allowed = naive_upstream(timepoints)
    foreign = queries = returned = 0
    for entity_id in sorted(set(entity_ids)):
        for tp in timepoints:
            queries += 1
            for event in provenance.knowledge_at(entity_id, tp.id):
                returned += 1
                at = event.timepoint_id
                if event.entity_id != entity_id or (at is not None and at not in allowed[tp.id]):
                    foreign += 1
    return ProvenanceAudit(refused, checked, foreign, queries, returned)

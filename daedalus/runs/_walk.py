"""The plan walk behind ``estimate``: the calls a run of a scenario makes, node by node, in
expectation, without calling a model.

It lays out the run's main line as the mode graph does (PORTAL's slots from the start to the
known endpoint, cyclical whole cycles, BRANCHING's fork and branches) with the importance the
event writer is asked to give each moment, seats people at each moment, and puts every moment
through the gate the run uses (``gate_timepoint``: ADPRS activation, circadian refusals,
animism, the fidelity plan's floors, the participant cap). Where two or more may talk, a dialog
is counted with the turns its ``turn_budget`` allows in the room's tension at that point (the
tension each steering call moves carries over to the next dialog, and into each branch from the
fork), its retries at the rates offline runs show, and the three readers after it. Moments
important enough are expanded into beats (M8), one call each.

Who the event writer seats is the model's choice: three moments in five seat the story's leads
(the most central three or four people), the others any group of three or four of the cast
alike. The cast includes the entities the scenario names without defining, which the run
generates first (M9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations, islice
from math import comb

from daedalus.agents.expansion import EXPANSION_IMPORTANCE
from daedalus.domain import Entity, Relationship, ResolutionLevel, TemporalMode, Timepoint
from daedalus.kernel.dialog import turn_budget
from daedalus.kernel.entity_gap import scenario_gap
from daedalus.kernel.fidelity import relationship_centrality
from daedalus.kernel.narrative import whole_cycles
from daedalus.kernel.roster import planned_importance, slot_id
from daedalus.kernel.strategy import BudgetMode, FidelityTemplate, plan_fidelity
from daedalus.portal import slot_times
from daedalus.scenario import PortalSection, Scenario
from daedalus.validators.gating import gate_timepoint

__all__ = ["dialog_sizes", "planned_calls", "portal_calls"]

RESTEERS = 1.05
"""Steering calls per spoken turn: a turn the gate refuses for its beat is steered again."""
REWRITES = 1.2
"""Character calls per spoken turn: one in five lines is refused by the surface gate and
rewritten (the rate the catalogue's offline runs show)."""
VERDICTS = 1.5
"""Quality-gate verdicts per dialog: one at the end, and half the dialogs rewrite their weakest
turn once and are judged again."""
DRIFT = 0.05
"""Mean change of the room's tension per steering call (beats are steered up more than down)."""
PROPOSALS = 1.65
"""Proposal calls per PORTAL round: the first ask, and a re-ask in two rounds of three for the
drafts dropped as repeats or echoes."""
KEPT = 0.88
"""Share of a PORTAL round's candidates left for forward trials once repeats are dropped."""
SEATS = (3, 4)
"""People an event writer seats at a moment: three or four (as many moments each way)."""
LEADS = 0.6
"""Weight of the seatings that put the story's leads (the most central people) on stage, three
moments in five; the rest is spread over every group of the cast alike (the split that fits
the catalogue's offline runs over four seeds best)."""
MAX_GROUPS = 60
"""Groups walked per seat count at most: a large cast is sampled evenly, not enumerated."""
PORTAL_SEATS = 2
"""People a PORTAL candidate names at a moment of the path (the endpoint holds everyone)."""


def importance_at(index: int, moments: int) -> float:
    """The importance a moment is expected to get: rising from about 0.35 to 0.9 as the story
    nears its last moment (the event writer is asked to weigh moments that way)."""
    return round(min(1.0, 0.35 + 0.55 * (index + 1) / max(moments, 1)), 2)


def moments_of(scenario: Scenario) -> int:
    """Main-line moments of a run: PORTAL's slots and endpoint, CYCLICAL's whole cycles, else
    the timeline's steps."""
    if scenario.mode is TemporalMode.PORTAL:
        return scenario.timeline.steps + 1
    if scenario.mode is TemporalMode.CYCLICAL and scenario.cyclical is not None:
        return whole_cycles(scenario.timeline.steps, scenario.cyclical.cycle_length)
    return scenario.timeline.steps


@dataclass(frozen=True)
class _Line:
    """The main line as the gate sees it, before anyone is seated."""

    scenario: Scenario
    entities: dict[str, Entity]
    relationships: list[Relationship]
    ranked: tuple[str, ...]
    times: list[datetime]
    importance: list[float]
    floors: list[dict[str, ResolutionLevel]]


def _line(scenario: Scenario) -> _Line:
    entities = {
        spec.id: Entity(id=spec.id, name=spec.name, kind=spec.kind, role=spec.role)
        for spec in scenario.entities
    }
    for mention in scenario_gap(scenario):  # generated before the first moment (M9)
        entities.setdefault(mention.id, Entity(id=mention.id, name=mention.text))
    relationships = [
        Relationship(a=r.a, b=r.b, kind=r.kind, trust=r.trust, alignment=r.alignment,
                     power=r.power)
        for r in scenario.relationships
    ]
    centrality = relationship_centrality(entities, relationships)
    fidelity = scenario.fidelity
    plan = plan_fidelity(
        scenario.mode, FidelityTemplate(fidelity.template), planned_importance(scenario),
        centrality, BudgetMode(fidelity.budget_mode), fidelity.token_budget,
    )
    moments = moments_of(scenario)
    portal = scenario.portal if scenario.mode is TemporalMode.PORTAL else None
    if portal is not None:
        times = list(slot_times(scenario.start_time, portal.endpoint_time,
                                scenario.timeline.steps))
    else:
        times = [scenario.timeline.at(scenario.start_time, i) for i in range(moments)]
    importance = [importance_at(i, moments) for i in range(moments)]
    if portal is not None:
        importance[-1] = 1.0  # the known endpoint
    floors = []
    for index in range(moments):
        if fidelity.render == "uniform":
            floors.append(dict.fromkeys(entities, ResolutionLevel.DIALOG))
            continue
        slot = slot_id(index)
        floors.append({e: plan.cells.levels.get(e, {}).get(slot, entity.metadata.resolution)
                       for e, entity in entities.items()})
    ranked = tuple(sorted(entities, key=lambda e: (-centrality.get(e, 0.0), e)))
    return _Line(scenario, entities, relationships, ranked, times, importance, floors)


def _sizes(line: _Line, group: Sequence[str]) -> list[int]:
    """Per main-line moment, how many of ``group`` (seated at every moment) the gate lets talk
    (0: no dialog); a PORTAL path moment seats the group's first two."""
    scenario = line.scenario
    portal = scenario.mode is TemporalMode.PORTAL
    last = len(line.times) - 1
    chronotypes = {spec.id: spec.chronotype for spec in scenario.entities}
    timepoints: list[Timepoint] = []
    sizes = []
    for index, when in enumerate(line.times):
        if portal:
            present = tuple(line.ranked) if index == last else tuple(group[:PORTAL_SEATS])
        else:
            present = tuple(group)
        timepoints.append(Timepoint(
            id=f"tp-{index:03d}", timestamp=when,
            causal_parent=timepoints[-1].id if timepoints else None,
            event_description="planned moment", entities_present=present,
            importance=line.importance[index],
        ))
        decision = gate_timepoint(
            timepoint_id=timepoints[-1].id, timepoints=timepoints, entities=line.entities,
            relationships=line.relationships, physical={}, animism=scenario.animism,
            cap=scenario.dialog.participants, chronotypes=chronotypes,
            floors=line.floors[index],
        )
        people = len(decision.participants)
        sizes.append(people if people >= 2 else 0)
    return sizes


def _seatings(line: _Line) -> list[tuple[tuple[str, ...], float]]:
    """Each group the event writer may seat, with its weight (summing to 1): ``LEADS`` on the
    most central three or four, the rest over every group of three or four alike."""
    ranked = line.ranked
    share = 1.0 / len(SEATS)
    found: list[tuple[tuple[str, ...], float]] = []
    for seats in SEATS:
        found.append((ranked[:seats], share * LEADS))
        groups = _groups(ranked, seats)
        found.extend((group, share * (1 - LEADS) / len(groups)) for group in groups)
    return found


def _groups(ranked: tuple[str, ...], seats: int) -> list[tuple[str, ...]]:
    """Every group of ``seats`` people of ``ranked`` (the whole cast when it is that small),
    or ``MAX_GROUPS`` of them spread evenly over that list for a large cast."""
    if seats >= len(ranked):
        return [ranked]
    total = comb(len(ranked), seats)
    stride = -(-total // MAX_GROUPS)  # ceiling division
    return list(islice(combinations(ranked, seats), 0, None, stride))


def dialog_sizes(scenario: Scenario) -> list[int]:
    """Per main-line moment, how many people the gate lets talk when the whole cast is there
    (0: no dialog)."""
    line = _line(scenario)
    return _sizes(line, line.ranked)


def portal_calls(portal: PortalSection, steps: int) -> dict[str, float]:
    """PORTAL's backward search (M17), in expectation. Every slot takes a round and the search
    spends half the backtracks its budget allows (a re-proposal or a step back is one round
    more). A round asks for candidates (``PROPOSALS`` calls), tries each kept one forward
    (``KEPT`` of them) and has them judged in one call."""
    rounds = steps + portal.max_backtracks / 2
    return {
        "portal_candidates": PROPOSALS * rounds,
        "portal_forward": KEPT * portal.candidates * rounds,
        "portal_judge": rounds,
    }


class _Tally:
    """Calls counted with weights (an expectation over seatings)."""

    def __init__(self, max_turns: int) -> None:
        self.calls: dict[str, float] = {}
        self.max_turns = max_turns

    def add(self, node: str, count: float) -> None:
        self.calls[node] = self.calls.get(node, 0.0) + count

    def dialogs(self, sizes: Sequence[int], tension: float, weight: float) -> float:
        """Count a dialog at every moment of ``sizes`` that holds one, in order; returns the
        room's tension after them."""
        for people in (p for p in sizes if p):
            budget = turn_budget(people, tension, self.max_turns)
            spoken = min(budget, max(people, budget - 1))  # the scene closes a turn early
            for node, count in (("steering", spoken * RESTEERS), ("character", spoken * REWRITES),
                                ("quality_gate", VERDICTS), ("extraction", 1),
                                ("relationships", 1), ("prospection", 1),
                                ("progressive_training", 1 / 3)):
                self.add(node, weight * count)
            tension = min(1.0, max(0.0, tension + spoken * RESTEERS * DRIFT))
        return tension


def _walk(tally: _Tally, line: _Line, sizes: list[int], weight: float) -> None:
    """Add the dialogs and beats of one seating (``sizes`` per main-line moment)."""
    scenario = line.scenario
    tension = scenario.scene.tension
    expanded = [value >= EXPANSION_IMPORTANCE for value in line.importance]
    tally.add("vertical_expansion", weight * sum(expanded))
    branching = scenario.branching
    if scenario.mode is not TemporalMode.BRANCHING or branching is None:
        tally.dialogs(sizes, tension, weight)
        return
    fork = branching.fork_step if branching.fork_step is not None else (
        max(0, (len(sizes) - 2) // 2)
    )
    tension = tally.dialogs(sizes[:fork + 1], tension, weight)
    after = sizes[fork + 1:]
    tally.dialogs(after, tension, weight)
    for _ in range(branching.branches):
        # a branch's moments sit where the line's did, from the fork's room; its first is the
        # intervention, written as a turning point (important enough to expand)
        tally.dialogs(after, tension, weight)
        if after:
            tally.add("vertical_expansion", weight * (1 + sum(expanded[fork + 2:])))


def planned_calls(scenario: Scenario) -> dict[str, int]:
    """The calls a run of ``scenario`` makes per node, in expectation (see the module
    docstring), rounded; nodes expected less than half a call are left out."""
    line = _line(scenario)
    tally = _Tally(scenario.dialog.max_turns)
    tally.add("populate_tensors", 1)
    if scenario_gap(scenario):
        tally.add("generate_entities", 1)
    moments = len(line.times)
    if scenario.mode is TemporalMode.PORTAL and scenario.portal is not None:
        for node, count in portal_calls(scenario.portal, scenario.timeline.steps).items():
            tally.add(node, count)
    else:
        tally.add("next_event", moments)
    if scenario.mode is TemporalMode.CYCLICAL:
        if not (scenario.cyclical and scenario.cyclical.prophecy):
            tally.add("prophecy", 1)  # no prophecy given: a seer speaks one
        tally.add("prophecy_judge", 1)
    branching = scenario.branching
    if scenario.mode is TemporalMode.BRANCHING and branching is not None:
        fork = branching.fork_step if branching.fork_step is not None else (
            max(0, (moments - 2) // 2)
        )
        after = max(0, moments - fork - 1)
        tally.add("next_event", branching.branches * max(0, after - 1))  # first: intervention
    for group, weight in _seatings(line):
        _walk(tally, line, _sizes(line, group), weight)
    counts = {node: round(count) for node, count in tally.calls.items()}
    return {node: count for node, count in sorted(counts.items()) if count}

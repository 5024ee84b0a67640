"""``ActorWorld``: a world whose governments (and, when asked for, its large firms and its
banks) decide every ``cadence`` ticks behind the gate.

At a decision tick every actor is observed, the provider proposes, the gate reviews, and a
failed or missing decision falls back to the rules; the accepted actions wait and are applied
at the next tick boundary (before the next tick's systems run), sorted by actor and verb.
Every proposal, verdict and applied action is appended to ``log`` with its reason; a world
built with ``ReplayProvider(log)`` re-applies them without calling any provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from daedalus.world.actors.decision import Observation, observe_government
from daedalus.world.actors.effects import (
    apply_standing,
    effect_problem,
    large_firms,
    observe_bank,
    observe_firm,
)
from daedalus.world.actors.gate import Action, SafetyGate, apply_actions, observation_region
from daedalus.world.actors.providers import DecisionProvider, RulesProvider
from daedalus.world.world import TickRecord, World

__all__ = ["ActorWorld", "jsonable"]


def jsonable(raw: Any) -> Any:
    """A proposal as the log keeps it (whatever a provider returned, made JSON-safe)."""
    if isinstance(raw, dict):
        return {str(k): jsonable(v) for k, v in raw.items()}
    if isinstance(raw, (list, tuple)):
        return [jsonable(v) for v in raw]
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    return repr(raw)


class ActorWorld:
    """A ``World`` plus its deciding actors, their provider, the gate and the decision log.

    ``actors``: the regions whose governments decide (all by default); ``firms``: how many of
    each region's biggest employers (at construction) decide as large firms; ``banks``:
    whether every region's bank decides. ``observe``, ``judge`` and ``boundary`` are the
    steps ``step`` runs; the world-loop graph runs the same steps as nodes.
    """

    def __init__(
        self, world: World, provider: DecisionProvider | None = None, *, cadence: int = 30,
        gate: SafetyGate | None = None, actors: Sequence[int] | None = None, firms: int = 0,
        banks: bool = False,
    ) -> None:
        if cadence < 1:
            raise ValueError(f"cadence must be at least 1 tick, got {cadence}")
        if firms < 0:
            raise ValueError(f"firms must be a count of firms per region, got {firms}")
        self.world = world
        self.provider: DecisionProvider = provider or RulesProvider()
        self.rules = RulesProvider()
        self.cadence = cadence
        self.gate = gate or SafetyGate()
        count = world.tables["regions"].capacity
        governments = list(actors) if actors is not None else list(range(count))
        self.actors = governments
        ids = [f"government:{r}" for r in governments]
        ids += [f"firm:{f}" for f in large_firms(world, firms)] if firms else []
        ids += [f"bank:{b}" for b in range(count)] if banks else []
        self.actor_ids = sorted(ids)
        """Every deciding actor, sorted by id: the fixed order observations are made in."""
        self.pending: list[Action] = []
        self.standing: dict[str, float] = {}
        self.log: list[dict[str, Any]] = []

    def _note(self, tick: int, kind: str, **fields: Any) -> None:
        self.log.append({"tick": tick, "kind": kind, **fields})

    def observe(self, actor_id: str) -> Observation:
        """What ``actor_id`` sees now."""
        kind, _, row = actor_id.partition(":")
        if kind == "firm":
            return observe_firm(self.world, int(row))
        if kind == "bank":
            return observe_bank(self.world, int(row))
        return observe_government(self.world, int(row))

    def due(self, tick: int) -> list[str]:
        """The actors that decide after ``tick`` (all of them on a cadence tick), in order;
        a firm that has closed no longer decides."""
        if tick % self.cadence != 0:
            return []
        alive = self.world.tables["firms"].columns["alive"]
        return [a for a in self.actor_ids
                if not a.startswith("firm:") or alive[observation_region(a)]]

    def judge(
        self, tick: int, observations: dict[str, Observation], proposals: Sequence[Any],
        standing: dict[str, float],
    ) -> tuple[list[Action], list[dict[str, Any]]]:
        """Review a tick's proposals (in actor order) and fall back to the rules for every actor
        with a rejection: the actions to apply at the next boundary and the log entries of the
        verdicts and fallbacks."""
        entries: list[dict[str, Any]] = []
        pending: list[Action] = []
        verdicts = self.gate.review(self.world, observations, proposals, standing)
        decided: set[tuple[str, str]] = set()
        failed: set[str] = set()
        for verdict in verdicts:
            entries.append({"tick": tick, "kind": "verdict", "index": verdict.index,
                            "actor": verdict.actor_id, "accepted": verdict.accepted,
                            "stage": verdict.stage, "reason": verdict.reason})
            if verdict.action is not None:
                pending.append(verdict.action)
                decided.add((verdict.actor_id, verdict.verb_key()))
            else:
                failed.add(verdict.actor_id)
        for actor_id, observation in observations.items():
            if actor_id not in failed:
                continue
            for fallback in self.rules.decide(observation):
                if (actor_id, fallback.verb) in decided:
                    continue
                spec = observation.verb(fallback.verb)
                assert spec is not None  # the rules only use the actor's own verbs
                action = Action(
                    actor_id=actor_id, verb=spec.verb, region=observation_region(actor_id),
                    column=spec.column, value=fallback.args[spec.argument], table=spec.table,
                    effect=spec.effect,
                )
                if effect_problem(self.world, action):
                    continue
                pending.append(action)
                entries.append({"tick": tick, "kind": "fallback", "actor": actor_id,
                                "verb": spec.verb, "value": action.value,
                                "reason": "rules decision after a rejection"})
        return pending, entries

    def decide(self) -> None:
        """Observe, propose, review and queue the actions for the next tick boundary."""
        tick = self.world.tick
        observations = {a: self.observe(a) for a in self.due(tick)}
        proposals = self.provider.propose(tick, list(observations.values()))
        for raw in proposals:
            self._note(tick, "proposal", provider=self.provider.name, proposal=jsonable(raw))
        pending, entries = self.judge(tick, observations, proposals, self.standing)
        self.pending += pending
        self.log += entries

    def boundary(
        self, pending: Sequence[Action], standing: dict[str, float]
    ) -> list[dict[str, Any]]:
        """Apply ``pending`` (sorted by actor and verb; standing policies into ``standing``),
        then a day of the standing policies: the log entries of the applied actions."""
        entries = []
        if pending:
            apply_actions(self.world, pending, standing)
            for action in sorted(pending, key=lambda a: (a.actor_id, a.verb)):
                entries.append({"tick": self.world.tick, "kind": "applied",
                                "actor": action.actor_id, "verb": action.verb,
                                "column": action.column, "value": action.value})
        apply_standing(self.world, standing)
        return entries

    def step(self) -> TickRecord:
        """Apply the queued actions, advance one tick, and decide when the cadence says so."""
        self.log += self.boundary(self.pending, self.standing)
        self.pending = []
        record = self.world.step()
        if record["tick"] % self.cadence == 0:
            self.decide()
        return record

    def run(self, ticks: int) -> TickRecord:
        """Advance ``ticks`` ticks; returns the last record."""
        record: TickRecord = {}
        for _ in range(ticks):
            record = self.step()
        return record

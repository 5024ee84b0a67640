"""``ActorWorld``: a world whose governments decide every ``cadence`` ticks behind the gate.

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
from daedalus.world.actors.gate import Action, SafetyGate, apply_actions, observation_region
from daedalus.world.actors.providers import DecisionProvider, RulesProvider
from daedalus.world.world import TickRecord, World

__all__ = ["ActorWorld"]


def _jsonable(raw: Any) -> Any:
    """A proposal as the log keeps it (whatever a provider returned, made JSON-safe)."""
    if isinstance(raw, dict):
        return {str(k): _jsonable(v) for k, v in raw.items()}
    if isinstance(raw, (list, tuple)):
        return [_jsonable(v) for v in raw]
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    return repr(raw)


class ActorWorld:
    """A ``World`` plus its deciding actors, their provider, the gate and the decision log."""

    def __init__(
        self, world: World, provider: DecisionProvider | None = None, *, cadence: int = 30,
        gate: SafetyGate | None = None, actors: Sequence[int] | None = None,
    ) -> None:
        if cadence < 1:
            raise ValueError(f"cadence must be at least 1 tick, got {cadence}")
        self.world = world
        self.provider: DecisionProvider = provider or RulesProvider()
        self.rules = RulesProvider()
        self.cadence = cadence
        self.gate = gate or SafetyGate()
        count = world.tables["regions"].capacity
        self.actors = list(actors) if actors is not None else list(range(count))
        self.pending: list[Action] = []
        self.log: list[dict[str, Any]] = []

    def _note(self, tick: int, kind: str, **fields: Any) -> None:
        self.log.append({"tick": tick, "kind": kind, **fields})

    def decide(self) -> None:
        """Observe, propose, review and queue the actions for the next tick boundary."""
        tick = self.world.tick
        observations: dict[str, Observation] = {}
        for region in self.actors:
            observation = observe_government(self.world, region)
            observations[observation.actor_id] = observation
        proposals = self.provider.propose(tick, list(observations.values()))
        for raw in proposals:
            self._note(tick, "proposal", provider=self.provider.name, proposal=_jsonable(raw))
        verdicts = self.gate.review(self.world, observations, proposals)
        decided: set[tuple[str, str]] = set()
        failed: set[str] = set()
        for verdict in verdicts:
            self._note(tick, "verdict", index=verdict.index, actor=verdict.actor_id,
                       accepted=verdict.accepted, stage=verdict.stage, reason=verdict.reason)
            if verdict.action is not None:
                self.pending.append(verdict.action)
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
                    column=spec.column, value=fallback.args[spec.argument],
                )
                self.pending.append(action)
                self._note(tick, "fallback", actor=actor_id, verb=spec.verb,
                           value=action.value, reason="rules decision after a rejection")

    def step(self) -> TickRecord:
        """Apply the queued actions, advance one tick, and decide when the cadence says so."""
        if self.pending:
            apply_actions(self.world, self.pending)
            for action in sorted(self.pending, key=lambda a: (a.actor_id, a.verb)):
                self._note(self.world.tick, "applied", actor=action.actor_id, verb=action.verb,
                           column=action.column, value=action.value)
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

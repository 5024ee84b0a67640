"""Decision providers (PANARCHY 6.2): who turns observations into proposals.

``RulesProvider`` is deterministic (the default and the gate's fallback); ``ReplayProvider``
returns the proposals an earlier run logged, so a replay never calls a model. A provider
that calls a model implements the same protocol from a layer above the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from daedalus.world.actors.decision import ActionProposal, Observation

__all__ = ["DecisionProvider", "ReplayProvider", "RulesProvider"]


class DecisionProvider(Protocol):
    """Anything that answers a tick's observations with proposals (raw mappings: the gate
    validates them, so a provider may return anything)."""

    name: str

    def propose(self, tick: int, observations: Sequence[Observation]) -> list[Any]:
        """Proposals for the actors observed at ``tick`` (none, one or more per actor)."""
        ...


class RulesProvider:
    """Heuristics: raise taxes while debt outgrows revenue, cut them when debt is low; raise
    transfers when unemployment climbs, ease them when it falls. Always within bounds."""

    name = "rules"

    def decide(self, observation: Observation) -> list[ActionProposal]:
        """The rules' proposals for one actor (at most one per verb)."""
        s = observation.state
        proposals = []
        tax = observation.verb("set_tax_rate")
        if tax is not None:
            burden = s["debt_to_revenue"]
            step = 0.01 if burden > 0.6 else -0.01 if burden < 0.1 else 0.0
            rate = min(max(s["tax_rate"] + step, tax.minimum), tax.maximum)
            proposals.append(ActionProposal(
                actor_id=observation.actor_id, verb=tax.verb, args={tax.argument: rate},
                confidence=1.0, rationale=f"debt is {s['debt_to_revenue']:.2f} of revenue",
            ))
        transfers = observation.verb("set_transfers")
        if transfers is not None:
            rising = s["unemployment"] > s["unemployment_avg"] + 0.005
            falling = s["unemployment"] < s["unemployment_avg"] - 0.005
            level = s["transfer_level"] + (0.02 if rising else -0.02 if falling else 0.0)
            level = min(max(level, transfers.minimum), transfers.maximum)
            proposals.append(ActionProposal(
                actor_id=observation.actor_id, verb=transfers.verb,
                args={transfers.argument: level}, confidence=1.0,
                rationale=f"unemployment {s['unemployment']:.3f}, "
                f"30-day average {s['unemployment_avg']:.3f}",
            ))
        return proposals

    def propose(self, tick: int, observations: Sequence[Observation]) -> list[Any]:
        return [p.model_dump() for o in observations for p in self.decide(o)]


class ReplayProvider:
    """The proposals a run logged, tick by tick (``ActorWorld.log`` entries of kind
    ``proposal``), handed back without calling anything."""

    name = "replay"

    def __init__(self, log: Iterable[Mapping[str, Any]]) -> None:
        self._by_tick: dict[int, list[Any]] = {}
        for entry in log:
            if entry["kind"] == "proposal":
                self._by_tick.setdefault(int(entry["tick"]), []).append(entry["proposal"])

    def propose(self, tick: int, observations: Sequence[Observation]) -> list[Any]:
        return list(self._by_tick.get(tick, []))

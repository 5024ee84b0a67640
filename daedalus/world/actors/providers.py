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


def _proposal(observation: Observation, verb: str, value: float, why: str) -> ActionProposal:
    spec = observation.verb(verb)
    assert spec is not None  # callers only name the actor's own verbs
    value = min(max(value, spec.minimum), spec.maximum)
    return ActionProposal(actor_id=observation.actor_id, verb=verb, args={spec.argument: value},
                          confidence=1.0, rationale=why)


def _firm_rules(observation: Observation) -> list[ActionProposal]:
    """Cut the price when stock piles up, raise it when stock runs short; hire while vacancies
    are open and cash is ample, shed staff when cash runs out; invest surplus cash."""
    s = observation.state
    cover = s["stock_days"] / max(s["target_stock_days"], 1e-9)
    proposals = []
    if cover > 1.5 or cover < 0.5:
        factor = 0.98 if cover > 1.5 else 1.02
        proposals.append(_proposal(observation, "set_price", factor, f"stock cover {cover:.2f}"))
    if s["vacancies"] > 0 and s["cash_days"] > 30 and s["unemployment"] > 0.02:
        proposals.append(_proposal(observation, "hire", 0.02, "open vacancies, cash to pay"))
    elif s["cash_days"] < 5 and s["employees"] > 0:
        proposals.append(_proposal(observation, "fire", 0.02,
                                   f"{s['cash_days']:.1f} days of wages in cash"))
    if s["cash_days"] > 90 and s["debt_days"] < 10:
        proposals.append(_proposal(observation, "invest", 0.05, "surplus cash"))
    return proposals


def _bank_rules(observation: Observation) -> list[ActionProposal]:
    """Price risk: a premium over the posted rate and a tighter limit after write-offs or
    when cash runs thin against loans; the posted rate and the default limit otherwise."""
    s = observation.state
    risky = s["written_off"] > 0 or s["cash_to_loans"] < 0.02
    premium = 0.01 if risky else 0.0
    why = "losses or thin cash" if risky else "normal conditions"
    return [
        _proposal(observation, "set_lending_rate", s["rate"] + premium, why),
        _proposal(observation, "set_credit_limit", 0.8 if risky else 1.0, why),
    ]


class RulesProvider:
    """Heuristics. Governments raise taxes while debt outgrows revenue and cut them when debt
    is low, raise transfers when unemployment climbs and ease them when it falls; large firms
    and banks follow ``_firm_rules`` and ``_bank_rules``. Always within bounds."""

    name = "rules"

    def decide(self, observation: Observation) -> list[ActionProposal]:
        """The rules' proposals for one actor (at most one per verb)."""
        if observation.actor_type == "firm":
            return _firm_rules(observation)
        if observation.actor_type == "bank":
            return _bank_rules(observation)
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
    ``proposal``), handed back without calling anything. An entry naming the ``actor`` it was
    asked for (the world-loop graph asks actor by actor) comes back only to that actor."""

    name = "replay"

    def __init__(self, log: Iterable[Mapping[str, Any]]) -> None:
        self._by_tick: dict[int, list[tuple[str | None, Any]]] = {}
        for entry in log:
            if entry["kind"] == "proposal":
                self._by_tick.setdefault(int(entry["tick"]), []).append(
                    (entry.get("actor"), entry["proposal"]))

    def propose(self, tick: int, observations: Sequence[Observation]) -> list[Any]:
        asked = {o.actor_id for o in observations}
        return [p for actor, p in self._by_tick.get(tick, []) if actor is None or actor in asked]

"""World actors that decide through a model (PANARCHY 6.2, 6.4): the LLM decision provider.

``LLMProvider`` implements ``daedalus.world.actors.DecisionProvider``: one structured call per
actor per decision tick through the router (M18 routing, budgets, cache, ledger; the offline
model without a key), all actors of a tick in parallel. It keeps the per-tick and per-run
limits: at most ``max_calls_per_tick`` actors ask a model in a tick (in actor order), each call
gets ``max_tokens_per_decision``, and after ``max_calls_per_run`` calls or on a model error an
actor gets the rules' proposals instead. What it returns still goes through the safety gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import choice, render
from daedalus.errors import BudgetExceededError, ModelError
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.llm.router import Router
from daedalus.world.actors import Observation, RulesProvider

__all__ = ["ACTION", "NODE", "LLMProvider", "decision_schema"]

NODE = "world_actor"
ACTION = ActionType.GENERAL


def decision_schema(verbs: Sequence[str]) -> type[BaseModel]:
    """The answer's schema: up to one proposal per offered verb."""
    item = create_model(
        "PolicyProposal",
        verb=(choice(verbs), Field(description="one of the offered verbs")),
        value=(float, Field(ge=0.0, le=2.0, description="the verb's new setting")),
        confidence=(float, Field(ge=0.0, le=1.0)),
        rationale=(str, Field(max_length=200)),
    )
    return create_model(
        "PolicyDecision", proposals=(list[item], Field(max_length=len(verbs)))
    )


def _prompt(observation: Observation) -> dict[str, str]:
    figures = "\n".join(f"- {k}: {v:.4g}" for k, v in sorted(observation.state.items()))
    employers = ", ".join(f"{f}: {s:.0f}" for f, s in observation.top.get("employers", [])) or "-"
    verbs = "\n".join(
        f"- {v.verb}({v.argument}) in [{v.minimum}, {v.maximum}], change at most {v.max_step}"
        for v in observation.action_space
    )
    return {"actor": observation.actor_id, "tick": str(observation.tick), "figures": figures,
            "employers": employers, "verbs": verbs}


class LLMProvider:
    """Governments deciding through the router, within per-tick and per-run call limits."""

    name = "llm"

    def __init__(
        self, router: Router, *, max_calls_per_tick: int = 50, max_tokens_per_decision: int = 512,
        max_calls_per_run: int | None = None,
    ) -> None:
        self.router = router
        self.max_calls_per_tick = max_calls_per_tick
        self.params = SamplingParams(temperature=0.3, max_tokens=max_tokens_per_decision)
        self.max_calls_per_run = max_calls_per_run
        self.calls = 0
        self.rules = RulesProvider()

    def _ask(self, observation: Observation) -> list[dict[str, Any]]:
        verbs = [v.verb for v in observation.action_space]
        try:
            answer = self.router.structured(
                node=NODE, action=ACTION, schema=decision_schema(verbs),
                messages=render("world_actor", **_prompt(observation)), params=self.params,
            )
        except (ModelError, BudgetExceededError):
            return [p.model_dump() for p in self.rules.decide(observation)]
        proposals = []
        for item in answer.model_dump()["proposals"]:
            spec = observation.verb(item["verb"])
            argument = spec.argument if spec is not None else "value"
            proposals.append({
                "actor_id": observation.actor_id, "verb": item["verb"],
                "args": {argument: item["value"]}, "confidence": item["confidence"],
                "rationale": item["rationale"],
            })
        return proposals

    def allot(self, count: int) -> int:
        """How many of ``count`` due actors (the first, in actor order) may ask a model this
        tick, within the per-tick and per-run limits; those calls are booked against the run."""
        room = self.max_calls_per_tick
        if self.max_calls_per_run is not None:
            room = min(room, max(self.max_calls_per_run - self.calls, 0))
        asked = min(room, count)
        self.calls += asked
        return asked

    def decide_one(self, observation: Observation, ask: bool) -> list[Any]:
        """One actor's proposals: from the model when ``allot`` gave it a call, else the rules'."""
        if ask:
            return self._ask(observation)
        return [p.model_dump() for p in self.rules.decide(observation)]

    def propose(self, tick: int, observations: Sequence[Observation]) -> list[Any]:
        """Proposals for ``observations``: a model for the first actors the limits allow, the
        rules for the rest."""
        ordered = sorted(observations, key=lambda o: o.actor_id)
        asked = self.allot(len(ordered))
        with ThreadPoolExecutor(max_workers=max(asked, 1)) as pool:
            answers = list(pool.map(
                self.decide_one, ordered, [i < asked for i in range(len(ordered))]
            ))
        return [p for answer in answers for p in answer]

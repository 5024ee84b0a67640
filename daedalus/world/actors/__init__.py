"""Actors of the world that decide (PANARCHY 6): the Decision API, providers and the safety gate.
May import daedalus.world (its core, config and engine) and daedalus.errors only.

An actor (a region's government, one of its large firms, its bank) is offered an
``Observation`` every decision period and answers with ``ActionProposal`` s. A
``DecisionProvider`` makes them: ``RulesProvider`` is the deterministic default and the
fallback; a provider that calls a model lives in a higher layer
and meets the engine only through the protocol. Every proposal passes the ``SafetyGate``
before it changes anything, and ``ActorWorld`` applies what passed at the next tick boundary,
in a fixed order, logging each proposal, verdict and applied action; ``ReplayProvider`` reads
the proposals back from that log, so a replay calls no model and reproduces every digest.
"""

from __future__ import annotations

from daedalus.world.actors.decision import (
    GOVERNMENT_VERBS,
    ActionProposal,
    Observation,
    VerbSpec,
    observe_government,
)
from daedalus.world.actors.effects import BANK_VERBS, FIRM_VERBS, observe_bank, observe_firm
from daedalus.world.actors.gate import GateLimits, SafetyGate, Verdict
from daedalus.world.actors.loop import ActorWorld
from daedalus.world.actors.providers import DecisionProvider, ReplayProvider, RulesProvider

__all__ = [
    "BANK_VERBS",
    "FIRM_VERBS",
    "GOVERNMENT_VERBS",
    "ActionProposal",
    "ActorWorld",
    "DecisionProvider",
    "GateLimits",
    "Observation",
    "ReplayProvider",
    "RulesProvider",
    "SafetyGate",
    "VerbSpec",
    "Verdict",
    "observe_bank",
    "observe_firm",
    "observe_government",
]

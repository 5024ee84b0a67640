"""The safety gate (PANARCHY 6.6): nothing a provider proposes changes the world unchecked.

Each proposal passes, in order: schema validation (an ``ActionProposal`` whose verb is in the
actor's action space and whose arguments match the verb's schema), the invariant pre-check
(finite and within the verb's hard bounds), the rate and magnitude limits (at most one action
per verb and actor per tick, a bounded number per tick, a bounded change per decision), and a
dry run: the surviving actions are applied to a copy of the tables and the copy is stepped
``dry_run_ticks`` ticks in strict mode; a broken invariant or a KPI outside its bounds rejects
them. The limits run before the dry run so that a flood of proposals costs no dry runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from daedalus.errors import InvariantError
from daedalus.world.actors.decision import ActionProposal, Observation, VerbSpec
from daedalus.world.actors.effects import apply_effect, apply_standing, effect_problem

if TYPE_CHECKING:
    from daedalus.world.world import World

__all__ = [
    "Action", "GateLimits", "SafetyGate", "Verdict", "apply_actions", "observation_region",
]


@dataclass(frozen=True)
class GateLimits:
    """How much a tick's proposals may do, and the KPI bounds a dry run must stay within."""

    max_proposals_per_tick: int = 64
    max_actions_per_tick: int = 16
    dry_run_ticks: int = 3
    kpi_bounds: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: {"unemployment": (0.0, 0.6), "approval": (0.0, 1.0)}
    )


class Action(BaseModel):
    """A checked change to row ``region`` of ``table`` (the actor's own row: its region for a
    government or a bank, its slot for a firm): ``effect`` with ``value`` on ``column``."""

    model_config = ConfigDict(frozen=True)

    actor_id: str
    verb: str
    region: int
    column: str
    value: float
    table: str = "regions"
    effect: str = "set"


class Verdict(BaseModel):
    """The gate's answer to one proposal: accepted or the stage that rejected it, and why."""

    model_config = ConfigDict(frozen=True)

    index: int
    actor_id: str
    accepted: bool
    stage: str
    reason: str
    action: Action | None = None

    def verb_key(self) -> str:
        """The verb of the accepted action ('' when rejected)."""
        return self.action.verb if self.action is not None else ""


def apply_actions(
    world: World, actions: Sequence[Action], standing: MutableMapping[str, float] | None = None
) -> None:
    """Carry ``actions`` out on the world's columns, sorted by (actor, verb) so the order
    never depends on the order providers answered in; standing policies go to ``standing``."""
    kept: MutableMapping[str, float] = {} if standing is None else standing
    for action in sorted(actions, key=lambda a: (a.actor_id, a.verb)):
        apply_effect(world, action, kept)


def observation_region(actor_id: str) -> int:
    """The row of an actor id such as ``government:2`` or ``firm:17``."""
    return int(actor_id.split(":", 1)[1])


class SafetyGate:
    """Reviews a tick's raw proposals against the actors' observations and the world."""

    def __init__(self, limits: GateLimits | None = None) -> None:
        self.limits = limits or GateLimits()

    def _precheck(
        self, raw: Any, observations: Mapping[str, Observation], world: World
    ) -> tuple[str, str, Action | None]:
        """(stage, reason, action): the schema and pre-check stages for one proposal."""
        try:
            proposal = ActionProposal.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "proposal"
            return "schema", f"{where}: {first['msg']}", None
        observation = observations.get(proposal.actor_id)
        if observation is None:
            return "schema", f"actor {proposal.actor_id!r} was not asked this tick", None
        spec: VerbSpec | None = observation.verb(proposal.verb)
        if spec is None:
            return "schema", f"verb {proposal.verb!r} is not in the action space", None
        if set(proposal.args) != {spec.argument}:
            return "schema", f"args must be exactly {{{spec.argument!r}}}", None
        value = proposal.args[spec.argument]
        if not math.isfinite(value) or not spec.minimum <= value <= spec.maximum:
            return ("precheck", f"{spec.argument}={value} outside [{spec.minimum}, "
                    f"{spec.maximum}]", None)
        region = observation_region(proposal.actor_id)
        action = Action(actor_id=proposal.actor_id, verb=spec.verb, region=region,
                        column=spec.column, value=value, table=spec.table, effect=spec.effect)
        problem = effect_problem(world, action)
        if problem:
            return "precheck", problem, None
        current = spec.baseline
        if current is None:
            current = float(world.tables[spec.table].columns[spec.column][region])
        if abs(value - current) > spec.max_step + 1e-9:
            return "rate", f"change {value - current:+.4f} exceeds {spec.max_step}", None
        return "ok", "", action

    def _dry_run(
        self, world: World, actions: Sequence[Action], standing: Mapping[str, float]
    ) -> str:
        """Empty when ``actions`` keep a copied world within its invariants and KPI bounds for
        the dry-run ticks; otherwise what went wrong."""
        from daedalus.world.world import World as _World

        tables = {name: table.copy() for name, table in world.tables.items()}
        copy = _World(world.config.model_copy(update={"strict": True}), tables=tables,
                      tick=world.tick)
        policies = dict(standing)
        apply_actions(copy, actions, policies)
        for _ in range(self.limits.dry_run_ticks):
            try:
                apply_standing(copy, policies)
                kpis = copy.step()["kpis"]
            except InvariantError as exc:
                return f"dry run broke an invariant: {exc}"
            for name, (low, high) in self.limits.kpi_bounds.items():
                if not low <= kpis[name] <= high:
                    return f"dry run: {name}={kpis[name]:.4f} left [{low}, {high}]"
        return ""

    def review(
        self, world: World, observations: Mapping[str, Observation], proposals: Sequence[Any],
        standing: Mapping[str, float] | None = None,
    ) -> list[Verdict]:
        """One verdict per proposal, in the order received (``standing``: the policies in
        force, which the dry run keeps applying)."""
        verdicts: list[Verdict | None] = [None] * len(proposals)
        candidates: list[tuple[int, Action]] = []
        taken: set[tuple[str, str]] = set()
        for index, raw in enumerate(proposals):
            actor = str(raw.get("actor_id", "?")) if isinstance(raw, Mapping) else "?"
            if index >= self.limits.max_proposals_per_tick:
                verdicts[index] = Verdict(index=index, actor_id=actor, accepted=False,
                                          stage="rate", reason="over max_proposals_per_tick")
                continue
            stage, reason, action = self._precheck(raw, observations, world)
            if action is not None and (action.actor_id, action.verb) in taken:
                stage, reason, action = "rate", "a second action on the same verb this tick", None
            if action is not None and len(candidates) >= self.limits.max_actions_per_tick:
                stage, reason, action = "rate", "over max_actions_per_tick", None
            if action is None:
                verdicts[index] = Verdict(index=index, actor_id=actor, accepted=False,
                                          stage=stage, reason=reason)
                continue
            taken.add((action.actor_id, action.verb))
            candidates.append((index, action))
        passing = self._dry_run_all(world, candidates, standing or {})
        for index, action in candidates:
            failure = passing.get(index, "")
            verdicts[index] = Verdict(
                index=index, actor_id=action.actor_id, accepted=not failure,
                stage="dry_run" if failure else "accepted", reason=failure,
                action=None if failure else action,
            )
        return [v for v in verdicts if v is not None]

    def _dry_run_all(
        self, world: World, candidates: Sequence[tuple[int, Action]],
        standing: Mapping[str, float],
    ) -> dict[int, str]:
        """Failure reasons by proposal index (absent: passed). All candidates are tried
        together; if that fails, each alone, and those passing alone together again."""
        if not candidates:
            return {}
        failure = self._dry_run(world, [a for _, a in candidates], standing)
        if not failure:
            return {}
        alone = {i: self._dry_run(world, [a], standing) for i, a in candidates}
        good = [(i, a) for i, a in candidates if not alone[i]]
        if good and self._dry_run(world, [a for _, a in good], standing):
            return {i: alone[i] or "dry run failed in combination" for i, _ in candidates}
        return {i: reason for i, reason in alone.items() if reason}

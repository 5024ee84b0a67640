"""Biological constraints (M4 with M8 and M14): what a body allows an entity to do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import Entity, EntityKind, PhysicalState, Unit
from daedalus.kernel.circadian import Activity, activity_probability, chronotype_of
from daedalus.validators._results import Severity, ValidationResult, ValidatorName, Violation

__all__ = [
    "BODILY_KINDS",
    "SLEEP_WARNING_PROBABILITY",
    "Action",
    "biological_constraints",
    "body_limits",
]

BODILY_KINDS = frozenset({EntityKind.HUMAN, EntityKind.ANIMAL})
"""Kinds bound by the bodily rules; every other kind is checked for location only."""

SLEEP_WARNING_PROBABILITY = 0.8
"""Sleep probability (M14) at or above which acting without confirmation draws a warning."""


class Action(BaseModel):
    """Something an entity does at a timepoint.

    ``exertion`` is the bodily effort in [0, 1] (speaking ~0.05, walking ~0.3, running ~0.8);
    ``physical`` marks actions that move the body and so need mobility;
    ``requires_presence_at`` is the location the action happens at, if it has one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1)
    requires_presence_at: str | None = None
    exertion: Unit = 0.0
    physical: bool = False
    description: str = ""


def body_limits(exertion: float) -> Mapping[str, float]:
    """The burden an action of ``exertion`` tolerates, and the mobility a physical one needs.

    Limits fall linearly with exertion: pain 0.95 -> 0.5, fatigue 0.98 -> 0.5,
    illness 0.95 -> 0.4 as exertion goes 0 -> 1; mobility needed rises 0.2 -> 0.8.
    A value strictly beyond its limit makes the action impossible.
    """
    if not 0.0 <= exertion <= 1.0:
        raise ValueError(f"exertion must be in [0, 1], got {exertion!r}")
    return {
        "pain": 0.95 - 0.45 * exertion,
        "fatigue": 0.98 - 0.48 * exertion,
        "illness": 0.95 - 0.55 * exertion,
        "mobility": 0.2 + 0.6 * exertion,
    }


def biological_constraints(
    entity: Entity,
    physical: PhysicalState,
    hour: float,
    actions: Iterable[Action],
    *,
    timepoint_id: str | None = None,
    awake_confirmed: bool = False,
) -> ValidationResult:
    """Check that ``entity``'s body allows each of ``actions`` at ``hour`` (M4, M8, M14).

    Errors, per action: acting while asleep; pain, fatigue or illness beyond ``body_limits``;
    a physical action with mobility below its limit; a location other than
    ``requires_presence_at``. An unknown location (``None``) where presence is required is a
    warning. Only ``BODILY_KINDS`` are held to the bodily rules; every kind to location.
    A bodily entity that acts, awake, at an hour whose sleep probability for its kind and
    chronotype reaches ``SLEEP_WARNING_PROBABILITY`` draws one warning unless the caller
    passes ``awake_confirmed=True`` (the scenario says it is up). ``hour`` is in [0, 24).
    """
    bodily = entity.kind in BODILY_KINDS
    asleep_odds = activity_probability(hour, Activity.SLEEP, chronotype_of(entity), entity.kind)
    chosen = tuple(actions)
    violations: list[Violation] = []

    def flag(subject: str, message: str, severity: Severity = Severity.ERROR) -> None:
        violations.append(
            Violation(
                validator=ValidatorName.BIOLOGICAL_CONSTRAINTS,
                entity_id=entity.id,
                timepoint_id=timepoint_id,
                message=message,
                subject=subject,
                severity=severity,
            )
        )

    for action in chosen:
        place = action.requires_presence_at
        if place is not None and physical.location is None:
            flag(
                action.kind,
                f"{entity.id} must be at {place} to {action.kind}, but its location is unknown",
                Severity.WARNING,
            )
        elif place is not None and physical.location != place:
            flag(
                action.kind,
                f"{entity.id} is at {physical.location} and cannot {action.kind} at {place}",
            )
        if not bodily:
            continue
        if not physical.awake:
            flag(action.kind, f"{entity.id} is asleep and cannot {action.kind}")
            continue
        limits = body_limits(action.exertion)
        for burden in ("pain", "fatigue", "illness"):
            level: float = getattr(physical, burden)
            if level > limits[burden]:
                flag(
                    action.kind,
                    f"{entity.id}'s {burden} {level:.2f} exceeds {limits[burden]:.2f}, the most "
                    f"an action of exertion {action.exertion:.2f} allows ({action.kind})",
                )
        if action.physical and physical.mobility < limits["mobility"]:
            flag(
                action.kind,
                f"{entity.id}'s mobility {physical.mobility:.2f} is below the "
                f"{limits['mobility']:.2f} needed to {action.kind}",
            )
    if (
        chosen
        and bodily
        and physical.awake
        and not awake_confirmed
        and asleep_odds >= SLEEP_WARNING_PROBABILITY
    ):
        flag(
            "hour",
            f"{entity.id} acts at hour {hour:g}, when it sleeps with probability "
            f"{asleep_odds:.2f}; confirm it is awake",
            Severity.WARNING,
        )
    return ValidationResult.of(ValidatorName.BIOLOGICAL_CONSTRAINTS, violations)

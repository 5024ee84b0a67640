"""Energy budget (M4): energy is spent, recovered and never created from nothing."""

from __future__ import annotations

import math

from daedalus.domain import CognitiveState, DialogTurn
from daedalus.validators._body import Action
from daedalus.validators._results import ValidationResult, ValidatorName, Violation

__all__ = [
    "ACTION_BASE_COST",
    "ENERGY_TOLERANCE",
    "EXERTION_COST",
    "TURN_BASE_COST",
    "TURN_WORD_COST",
    "action_energy_cost",
    "charge_energy",
    "clamp_energy",
    "energy_budget",
    "turn_energy_cost",
]

ENERGY_TOLERANCE = 1e-6
"""Absolute slack allowed when comparing energy amounts (float rounding only)."""
TURN_BASE_COST = 1.0
"""Energy any dialog turn costs, however short."""
TURN_WORD_COST = 0.1
"""Extra energy per word spoken."""
ACTION_BASE_COST = 1.0
"""Energy any action costs."""
EXERTION_COST = 20.0
"""Extra energy an action of full exertion costs (scaled linearly by exertion)."""


def _arousal_factor(arousal: float) -> float:
    # Calm speech costs less, agitated speech more: 0.75 at arousal 0, 1.25 at arousal 1.
    if not 0.0 <= arousal <= 1.0:
        raise ValueError(f"arousal must be in [0, 1], got {arousal!r}")
    return 0.75 + 0.5 * arousal


def turn_energy_cost(turn: DialogTurn | str, arousal: float = 0.5) -> float:
    """Energy a dialog turn costs its speaker (M4): base plus per word, scaled by arousal.

    ``(TURN_BASE_COST + TURN_WORD_COST * words) * (0.75 + 0.5 * arousal)``.
    """
    content = turn.content if isinstance(turn, DialogTurn) else turn
    return (TURN_BASE_COST + TURN_WORD_COST * len(content.split())) * _arousal_factor(arousal)


def action_energy_cost(action: Action, arousal: float = 0.5) -> float:
    """Energy an action costs (M4): ``(ACTION_BASE_COST + EXERTION_COST * exertion)``, scaled
    by arousal like ``turn_energy_cost``."""
    return (ACTION_BASE_COST + EXERTION_COST * action.exertion) * _arousal_factor(arousal)


def _amount(name: str, value: float) -> float:
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"{name} must be a finite amount >= 0, got {value!r}")
    return float(value)


def energy_budget(
    entity_id: str,
    timepoint_id: str | None,
    before: CognitiveState,
    after: CognitiveState,
    spent: float,
    recovered: float = 0.0,
    *,
    tolerance: float = ENERGY_TOLERANCE,
) -> ValidationResult:
    """Check one energy transition against its ledger (M4).

    Spending draws on the energy held before (recovery lands afterwards), so errors are:
    spending more than ``before.energy``; ``after.energy`` negative or above
    ``after.energy_capacity`` (possible when a state was copied without validation); and
    a ledger ``before.energy - spent + recovered`` above the capacity; and ``after.energy``
    differing from that ledger by more than ``tolerance`` (energy appearing from nowhere, or
    vanishing unaccounted). ``subject`` names the faulty amount: ``"spent"``, ``"recovered"``
    (overflow) or ``"energy"``.
    """
    spent, recovered = _amount("spent", spent), _amount("recovered", recovered)
    where = f"at {timepoint_id}" if timepoint_id is not None else "before the timeline"
    problems: list[tuple[str, str]] = []
    if spent > before.energy + tolerance:
        problems.append(
            ("spent", f"{entity_id} spends {spent:g} {where} but holds only {before.energy:g}")
        )
    if after.energy < -tolerance:
        problems.append(("energy", f"{entity_id}'s energy is negative {where}: {after.energy:g}"))
    if after.energy > after.energy_capacity + tolerance:
        problems.append(
            (
                "energy",
                f"{entity_id}'s energy {after.energy:g} exceeds its capacity "
                f"{after.energy_capacity:g} {where}",
            )
        )
    expected = before.energy - spent + recovered
    if expected > after.energy_capacity + tolerance:
        problems.append(
            (
                "recovered",
                f"{entity_id}'s ledger overflows its capacity {where}: {before.energy:g} - "
                f"{spent:g} spent + {recovered:g} recovered = {expected:g} > "
                f"{after.energy_capacity:g}; record only the energy actually recovered",
            )
        )
    elif not math.isclose(after.energy, expected, rel_tol=1e-9, abs_tol=tolerance):
        drift = "appears from nowhere" if after.energy > expected else "vanishes unaccounted"
        problems.append(
            (
                "energy",
                f"{entity_id}'s energy {drift} {where}: {after.energy:g} after, but "
                f"{before.energy:g} - {spent:g} spent + {recovered:g} recovered = {expected:g}",
            )
        )
    return ValidationResult.of(
        ValidatorName.ENERGY_BUDGET,
        (
            Violation(
                validator=ValidatorName.ENERGY_BUDGET,
                entity_id=entity_id,
                timepoint_id=timepoint_id,
                message=message,
                subject=subject,
            )
            for subject, message in problems
        ),
    )


def clamp_energy(state: CognitiveState) -> CognitiveState:
    """``state`` with energy clamped into [0, capacity], revalidated.

    Repairs a state built with ``model_copy(update=...)``, which skips validation. Other
    fields are validated as they are; a NaN energy raises ``ValueError``.
    """
    if math.isnan(state.energy):
        raise ValueError("energy is NaN; expected a number in [0, capacity]")
    energy = min(state.energy_capacity, max(0.0, state.energy))
    return CognitiveState.model_validate({**state.model_dump(), "energy": energy})


def charge_energy(state: CognitiveState, cost: float) -> tuple[CognitiveState, float]:
    """Spend up to ``cost`` from ``state``: the new state and the amount actually spent.

    Never overdraws: the amount spent is ``min(cost, state.energy)``, so the pair always forms a
    ledger ``energy_budget`` accepts.
    """
    spent = min(_amount("cost", cost), state.energy)
    return state.model_copy(update={"energy": state.energy - spent}), spent

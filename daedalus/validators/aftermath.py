"""What a dialog leaves in bodies, minds and the room (M8 embodiment, M10 atmosphere) — pure.

Talking costs energy (M4 costs), spent energy becomes fatigue, and the room's atmosphere takes
the dialog's final tension and the mood of the people in it. Minds are stored as baselines: the
body's weight on the mind (``embodied.couple``) is applied when the next context is built, never
folded into the stored state (coupling a coupled state would compound it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean

from daedalus.domain import Atmosphere, CognitiveState, DialogTurn, PhysicalState
from daedalus.validators import turn_energy_cost

__all__ = ["FATIGUE_PER_CAPACITY", "energy_spent", "settle_dialog"]

FATIGUE_PER_CAPACITY = 0.5
"""Fatigue gained by spending a whole energy capacity in talk."""


def energy_spent(turns: Sequence[DialogTurn], speaker: str, start: CognitiveState) -> float:
    """Energy ``speaker`` spent on its turns (M4 costs at its starting arousal), capped at what
    it had."""
    cost = sum(turn_energy_cost(t, start.arousal) for t in turns if t.speaker == speaker)
    return min(cost, start.energy)


def settle_dialog(
    participants: Sequence[str],
    turns: Sequence[DialogTurn],
    baseline: Mapping[str, CognitiveState],
    effective: Mapping[str, CognitiveState],
    physical: Mapping[str, PhysicalState],
    atmosphere: Atmosphere,
    start_tension: float,
    final_tension: float,
) -> tuple[dict[str, CognitiveState], dict[str, PhysicalState], Atmosphere]:
    """Baseline minds, bodies and atmosphere after the dialog.

    ``effective`` are the coupled states the participants spoke from (what they could spend);
    ``baseline`` the stored ones that get updated. Energy drops by what each participant spent;
    that spending adds fatigue; arousal moves halfway toward the final tension; valence falls
    when tension rose and lifts when it eased. The atmosphere takes the final tension and the
    participants' mean valence and arousal.
    """
    minds: dict[str, CognitiveState] = {}
    bodies: dict[str, PhysicalState] = {}
    shift = final_tension - start_tension
    for person in participants:
        mind = baseline[person]
        body = physical.get(person, PhysicalState())
        spent = energy_spent(turns, person, effective.get(person, mind))
        fatigue = min(1.0, body.fatigue + FATIGUE_PER_CAPACITY * spent / mind.energy_capacity)
        body = body.model_copy(update={"fatigue": fatigue})
        minds[person] = mind.model_copy(
            update={
                "energy": max(0.0, mind.energy - spent),
                "arousal": min(1.0, max(0.0, (mind.arousal + final_tension) / 2)),
                "valence": min(1.0, max(-1.0, mind.valence - 0.5 * shift)),
            }
        )
        bodies[person] = body
    mood = atmosphere.model_copy(
        update={
            "tension": min(1.0, max(0.0, final_tension)),
            "valence": fmean(m.valence for m in minds.values()) if minds else atmosphere.valence,
            "energy": fmean(m.arousal for m in minds.values()) if minds else atmosphere.energy,
        }
    )
    return minds, bodies, mood

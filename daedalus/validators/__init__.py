"""The M4 validators, their typed results, their enforcement on graph state, the participant gate
(ADPRS, M14, M16) and turn aftermath. May import the kernel, provenance, state and below.

Five validators, each a pure function of plain values returning a ``ValidationResult``:

- ``information_conservation``: an entity asserts only what its visible exposures support (M3).
- ``energy_budget``: energy is spent from what is held and never appears from nothing.
- ``behavioral_inertia``: personality persists unless an experience justifies the change.
- ``biological_constraints``: the body (sleep, pain, fatigue, illness, mobility, location)
  bounds what an entity can do (M8), and circadian odds flag unlikely waking hours (M14).
- ``network_flow``: told information travels along relationships, from someone who knew it.

None of them queries provenance itself: callers pass the already-filtered inputs (the
exposures visible at a timepoint, a ``knows_upstream`` callable). ``validate_all`` gathers
results into a ``ValidationReport``; ``strip_unsupported_references``, ``clamp_energy`` and
``charge_energy`` let graphs repair or prevent what the validators reject.
"""

from __future__ import annotations

from daedalus.validators._behavior import (
    JUSTIFYING_KINDS,
    BehaviorMetric,
    BehaviorVector,
    behavior_shift,
    behavioral_inertia,
    trait_change,
)
from daedalus.validators._body import (
    BODILY_KINDS,
    SLEEP_WARNING_PROBABILITY,
    Action,
    biological_constraints,
    body_limits,
)
from daedalus.validators._energy import (
    ACTION_BASE_COST,
    ENERGY_TOLERANCE,
    EXERTION_COST,
    TURN_BASE_COST,
    TURN_WORD_COST,
    action_energy_cost,
    charge_energy,
    clamp_energy,
    energy_budget,
    turn_energy_cost,
)
from daedalus.validators._knowledge import (
    SUPPORT_THRESHOLD,
    ExposureRef,
    KnowsUpstream,
    information_conservation,
    network_flow,
    strip_unsupported_references,
)
from daedalus.validators._results import (
    Severity,
    ValidationReport,
    ValidationResult,
    ValidatorName,
    Violation,
    validate_all,
)

__all__ = [
    "ACTION_BASE_COST",
    "BODILY_KINDS",
    "ENERGY_TOLERANCE",
    "EXERTION_COST",
    "JUSTIFYING_KINDS",
    "SLEEP_WARNING_PROBABILITY",
    "SUPPORT_THRESHOLD",
    "TURN_BASE_COST",
    "TURN_WORD_COST",
    "Action",
    "BehaviorMetric",
    "BehaviorVector",
    "ExposureRef",
    "KnowsUpstream",
    "Severity",
    "ValidationReport",
    "ValidationResult",
    "ValidatorName",
    "Violation",
    "action_energy_cost",
    "behavior_shift",
    "behavioral_inertia",
    "biological_constraints",
    "body_limits",
    "charge_energy",
    "clamp_energy",
    "energy_budget",
    "information_conservation",
    "network_flow",
    "strip_unsupported_references",
    "trait_change",
    "turn_energy_cost",
    "validate_all",
]

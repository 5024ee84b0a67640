"""Temporal rules (M17): what consistency means in each mode, as typed reports over a timeline.
Part of the kernel: may import daedalus.domain, errors and provenance only.

Every check takes plain values and returns a ``ConsistencyReport``; none raises for an
inconsistent timeline (only for unusable arguments, such as a cycle length below 1). All
modes first report structural problems (dangling links, cycles, misplaced sub-moments);
checks that need a sound forest are skipped while there are any.

- PEARL, DIRECTORIAL: causes precede effects (narrative order is presentation only).
- NONLINEAR: the presentation order is a permutation of the timepoints; causality is checked
  on causal order, whatever the presentation.
- CYCLICAL: cycles of ``cycle_length`` timepoints chain into each other and the last one
  closes; prophecies are fulfilled downstream of where they were made.
- PORTAL: the backward chain from endpoint to origin is linked and strictly earlier each step.
- BRANCHING: the parent is untouched and the branch hangs off the fork point only.
"""

from daedalus.kernel.temporal._checks import (
    Prophecy,
    check_branching,
    check_consistency,
    check_cyclical,
    check_directorial,
    check_nonlinear,
    check_pearl,
    check_portal,
)
from daedalus.kernel.temporal._report import (
    ConsistencyReport,
    Severity,
    TemporalRule,
    TemporalViolation,
)

__all__ = [
    "ConsistencyReport",
    "Prophecy",
    "Severity",
    "TemporalRule",
    "TemporalViolation",
    "check_branching",
    "check_consistency",
    "check_cyclical",
    "check_directorial",
    "check_nonlinear",
    "check_pearl",
    "check_portal",
]

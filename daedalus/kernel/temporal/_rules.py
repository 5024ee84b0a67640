"""Rule checks shared by the temporal modes (M7, M8, M17): structure and cause-before-effect."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from daedalus.domain import Timepoint
from daedalus.errors import ProvenanceError
from daedalus.kernel.temporal._report import Severity, TemporalRule, TemporalViolation
from daedalus.provenance import Timeline
from daedalus.provenance._causal_index import as_instant, forest_problems

__all__ = ["as_timeline", "causal_order_violations", "structure_violations", "violation"]


def as_timeline(timeline: Timeline | Iterable[Timepoint]) -> Timeline:
    """The argument itself if it is a ``Timeline``, else a new one holding the timepoints."""
    return timeline if isinstance(timeline, Timeline) else Timeline(timeline)


def violation(
    rule: TemporalRule,
    ids: Iterable[str],
    message: str,
    severity: Severity = Severity.ERROR,
) -> TemporalViolation:
    """A violation of ``rule`` naming ``ids`` (duplicates dropped, order kept)."""
    return TemporalViolation(
        rule=rule, severity=severity, timepoint_ids=tuple(dict.fromkeys(ids)), message=message
    )


def structure_violations(timeline: Timeline) -> list[TemporalViolation]:
    """Dangling links, causal cycles and misplaced sub-moments, one violation each."""
    try:
        timeline.validate()
    except ProvenanceError:
        return [
            violation(TemporalRule.CAUSAL_STRUCTURE, problem.timepoint_ids, problem.message)
            for problem in forest_problems(list(timeline))
        ]
    return []


def causal_order_violations(timeline: Timeline) -> list[TemporalViolation]:
    """Causes precede effects (PEARL rule; needs a structurally valid timeline).

    Every causal link, and every link from a moment's details to the moments that follow it
    (M8), goes from an earlier to a later timestamp; equal timestamps are allowed only when the
    effect is itself a sub-moment (details of one moment are simultaneous).
    """
    found: list[TemporalViolation] = []
    order = timeline.ordered()
    for tp in order:
        if tp.causal_parent is not None:
            found.extend(_check_link(timeline[tp.causal_parent], tp, "causal parent"))
    details = _details_by_moment(order)
    for moment_id, members in details.items():
        latest = max(members, key=lambda tp: (as_instant(tp.timestamp), tp.id))
        for child_id in timeline.children(moment_id):
            child = timeline[child_id]
            if child.moment_of != moment_id:
                found.extend(_check_link(latest, child, f"detail of {moment_id!r}"))
    return found


def _check_link(cause: Timepoint, effect: Timepoint, relation: str) -> list[TemporalViolation]:
    before, after = as_instant(cause.timestamp), as_instant(effect.timestamp)
    if before < after or (before == after and effect.moment_of is not None):
        return []
    if before == after:
        message = (
            f"timepoint {effect.id!r} shares the instant {after.isoformat()} with its "
            f"{relation} {cause.id!r}; only sub-moments may share their cause's instant"
        )
    else:
        message = (
            f"timepoint {effect.id!r} at {after.isoformat()} precedes its {relation} "
            f"{cause.id!r} at {before.isoformat()}"
        )
    return [violation(TemporalRule.CAUSE_PRECEDES_EFFECT, (cause.id, effect.id), message)]


def _details_by_moment(order: Sequence[Timepoint]) -> dict[str, list[Timepoint]]:
    """Each expanded moment's details at any depth (M8), keyed by moment id."""
    by_id = {tp.id: tp for tp in order}
    details: dict[str, list[Timepoint]] = {}
    for tp in order:
        moment = tp.moment_of
        while moment is not None:
            details.setdefault(moment, []).append(tp)
            moment = by_id[moment].moment_of
    return details

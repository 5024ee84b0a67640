"""The consistency check of each temporal mode (M17); re-exported by the package."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import ID_PATTERN, TemporalMode, Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.temporal._report import (
    ConsistencyReport,
    Severity,
    TemporalRule,
    TemporalViolation,
)
from daedalus.kernel.temporal._rules import (
    as_timeline,
    causal_order_violations,
    structure_violations,
    violation,
)
from daedalus.provenance import Timeline
from daedalus.provenance._causal_index import as_instant

__all__ = [
    "Prophecy",
    "check_branching",
    "check_consistency",
    "check_cyclical",
    "check_directorial",
    "check_nonlinear",
    "check_pearl",
    "check_portal",
]

TimelineLike = Timeline | Iterable[Timepoint]


class Prophecy(BaseModel):
    """A foretelling made at one timepoint and, once it comes true, fulfilled at another."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1)
    made_at: str = Field(pattern=ID_PATTERN)
    fulfilled_at: str | None = Field(default=None, pattern=ID_PATTERN)


def check_pearl(timeline: TimelineLike) -> ConsistencyReport:
    """PEARL: a causal DAG where every cause precedes its effects."""
    return _causal_report(TemporalMode.PEARL, as_timeline(timeline))


def check_directorial(timeline: TimelineLike) -> ConsistencyReport:
    """DIRECTORIAL: narrative order is presentation; the causal rules of PEARL still hold."""
    return _causal_report(TemporalMode.DIRECTORIAL, as_timeline(timeline))


def check_nonlinear(timeline: TimelineLike, presentation_order: Sequence[str]) -> ConsistencyReport:
    """NONLINEAR: ``presentation_order`` shows each timepoint exactly once; causality is
    checked on causal order regardless of presentation."""
    tl = as_timeline(timeline)
    found = _with_causality(tl)
    counts = Counter(presentation_order)
    unknown = [tid for tid in counts if tid not in tl]
    if unknown:
        message = f"presentation order names timepoints not in the timeline: {_listed(unknown)}"
        found.append(violation(TemporalRule.UNKNOWN_TIMEPOINT, unknown, message))
    repeated = [tid for tid, count in counts.items() if count > 1]
    if repeated:
        message = f"presentation order shows timepoints more than once: {_listed(repeated)}"
        found.append(violation(TemporalRule.PRESENTATION_DUPLICATE, repeated, message))
    missing = [tp.id for tp in tl if tp.id not in counts]
    if missing:
        message = f"presentation order leaves out timepoints: {_listed(missing)}"
        found.append(violation(TemporalRule.PRESENTATION_MISSING, missing, message))
    return ConsistencyReport(mode=TemporalMode.NONLINEAR, violations=tuple(found))


def check_cyclical(
    timeline: TimelineLike,
    cycle_length: int,
    prophecies: Iterable[Prophecy] = (),
    closes: Mapping[str, str] | None = None,
) -> ConsistencyReport:
    """CYCLICAL: consecutive groups of ``cycle_length`` timepoints (in causal order) each lead
    into the next, and the final one closes: ``closes`` maps its last timepoint to its first.
    Each prophecy must be fulfilled strictly downstream of where it was made; an unfulfilled
    one is a warning."""
    if cycle_length < 1:
        raise ConfigError(f"cycle_length must be at least 1, got {cycle_length}")
    tl = as_timeline(timeline)
    found = structure_violations(tl)
    closures = dict(closes or {})
    if found:
        return ConsistencyReport(mode=TemporalMode.CYCLICAL, violations=tuple(found))
    order = [tp.id for tp in tl.ordered()]
    cycles = [order[start : start + cycle_length] for start in range(0, len(order), cycle_length)]
    for current, following in pairwise(cycles):
        if not tl.is_upstream(current[-1], following[0]):
            message = (
                f"cycle ending at {current[-1]!r} does not lead into the next cycle's first "
                f"timepoint {following[0]!r}"
            )
            found.append(violation(TemporalRule.CYCLE_LINK, (current[-1], following[0]), message))
    if cycles and len(cycles[-1]) < cycle_length:
        message = (
            f"the last cycle has {len(cycles[-1])} of {cycle_length} timepoints: "
            f"{_listed(cycles[-1])}"
        )
        found.append(violation(TemporalRule.CYCLE_INCOMPLETE, cycles[-1], message))
    elif cycles and cycles[-1][-1] not in closures:
        last, first = cycles[-1][-1], cycles[-1][0]
        message = f"the final cycle is not closed: record closes[{last!r}] = {first!r}"
        found.append(violation(TemporalRule.CYCLE_CLOSURE, (last, first), message))
    found.extend(_closure_violations(tl, cycles, closures))
    found.extend(_prophecy_violations(tl, prophecies))
    return ConsistencyReport(mode=TemporalMode.CYCLICAL, violations=tuple(found))


def check_portal(timeline: TimelineLike, chain: Sequence[str]) -> ConsistencyReport:
    """PORTAL: ``chain`` runs backward ``[endpoint, antecedent_1, ..., origin]``; each member's
    causal parent is the next one, which is strictly earlier; the origin's parent lies
    outside the chain."""
    tl = as_timeline(timeline)
    found = structure_violations(tl)
    if not chain:
        found.append(violation(TemporalRule.PORTAL_EMPTY, (), "the backward chain is empty"))
        return ConsistencyReport(mode=TemporalMode.PORTAL, violations=tuple(found))
    repeated = [tid for tid, count in Counter(chain).items() if count > 1]
    if repeated:
        message = f"the backward chain repeats timepoints: {_listed(repeated)}"
        found.append(violation(TemporalRule.PORTAL_DUPLICATE, repeated, message))
    unknown = [tid for tid in dict.fromkeys(chain) if tid not in tl]
    if unknown:
        message = f"the backward chain names timepoints not in the timeline: {_listed(unknown)}"
        found.append(violation(TemporalRule.UNKNOWN_TIMEPOINT, unknown, message))
    for later_id, earlier_id in pairwise(chain):
        later, earlier = tl.get(later_id), tl.get(earlier_id)
        if later is None or earlier is None:
            continue
        if as_instant(earlier.timestamp) >= as_instant(later.timestamp):
            message = (
                f"antecedent {earlier_id!r} at {earlier.timestamp.isoformat()} is not earlier "
                f"than {later_id!r} at {later.timestamp.isoformat()}"
            )
            found.append(violation(TemporalRule.PORTAL_ORDER, (earlier_id, later_id), message))
        if later.causal_parent != earlier_id:
            message = (
                f"{later_id!r} has causal parent {later.causal_parent!r}, expected the next "
                f"antecedent {earlier_id!r}"
            )
            found.append(violation(TemporalRule.PORTAL_LINK, (later_id, earlier_id), message))
    origin = tl.get(chain[-1])
    if origin is not None and origin.causal_parent in set(chain):
        message = (
            f"origin {origin.id!r} has causal parent {origin.causal_parent!r} inside the chain"
        )
        ids = (origin.id, str(origin.causal_parent))
        found.append(violation(TemporalRule.PORTAL_ORIGIN, ids, message))
    return ConsistencyReport(mode=TemporalMode.PORTAL, violations=tuple(found))


def check_branching(
    timeline: TimelineLike,
    parent_snapshot: Iterable[Timepoint],
    branch_id: str,
    fork_timepoint_id: str,
) -> ConsistencyReport:
    """BRANCHING (M12): the parent's timepoints as they were before the fork are all present
    and unchanged; the branch's timepoints (those carrying ``branch_id``) each reach the fork
    point through branch timepoints only, and none is upstream of a parent timepoint."""
    tl = as_timeline(timeline)
    parent = {tp.id: tp for tp in parent_snapshot}
    found = structure_violations(tl)
    missing = [tid for tid in parent if tid not in tl]
    if missing:
        message = f"parent timepoints are gone from the timeline: {_listed(missing)}"
        found.append(violation(TemporalRule.PARENT_MISSING, missing, message))
    changed = [tid for tid, tp in parent.items() if tid in tl and tl[tid] != tp]
    if changed:
        message = f"parent timepoints changed after the fork: {_listed(changed)}"
        found.append(violation(TemporalRule.PARENT_MODIFIED, changed, message))
    reused = [tid for tid, tp in parent.items() if tp.branch_id == branch_id]
    if reused:
        message = f"branch id {branch_id!r} is already used by parent timepoints"
        found.append(violation(TemporalRule.BRANCH_ID_IN_PARENT, reused, message))
    if fork_timepoint_id not in parent:
        message = f"fork timepoint {fork_timepoint_id!r} is not one of the parent's timepoints"
        found.append(violation(TemporalRule.UNKNOWN_FORK, (fork_timepoint_id,), message))
    members = {tp.id: tp for tp in tl if tp.branch_id == branch_id and tp.id not in parent}
    if not members:
        message = f"no timepoint carries branch id {branch_id!r} yet"
        found.append(violation(TemporalRule.BRANCH_EMPTY, (), message, Severity.WARNING))
    found.extend(_detached(tl, members, fork_timepoint_id))
    if not any(v.rule is TemporalRule.CAUSAL_STRUCTURE for v in found):
        found.extend(_leaks(tl, members, parent))
    return ConsistencyReport(mode=TemporalMode.BRANCHING, violations=tuple(found))


_MODE_INPUTS: dict[TemporalMode, tuple[frozenset[str], frozenset[str]]] = {
    TemporalMode.PEARL: (frozenset(), frozenset()),
    TemporalMode.DIRECTORIAL: (frozenset(), frozenset()),
    TemporalMode.NONLINEAR: (frozenset({"presentation_order"}), frozenset()),
    TemporalMode.CYCLICAL: (frozenset({"cycle_length"}), frozenset({"prophecies", "closes"})),
    TemporalMode.PORTAL: (frozenset({"chain"}), frozenset()),
    TemporalMode.BRANCHING: (
        frozenset({"parent_snapshot", "branch_id", "fork_timepoint_id"}),
        frozenset(),
    ),
}


def check_consistency(
    mode: TemporalMode | str, timeline: TimelineLike, **mode_inputs: Any
) -> ConsistencyReport:
    """Run the checks of ``mode`` (M17) with that mode's inputs passed as keywords.

    NONLINEAR takes ``presentation_order``; CYCLICAL ``cycle_length`` and optionally
    ``prophecies`` and ``closes``; PORTAL ``chain``; BRANCHING ``parent_snapshot``,
    ``branch_id`` and ``fork_timepoint_id``. A missing or unexpected keyword raises
    ``ConfigError``.
    """
    try:
        chosen = TemporalMode(mode)
    except ValueError:
        names = ", ".join(m.value for m in TemporalMode)
        raise ConfigError(f"unknown temporal mode {mode!r}; expected one of {names}") from None
    required, optional = _MODE_INPUTS[chosen]
    missing = sorted(required - mode_inputs.keys())
    if missing:
        raise ConfigError(f"checking mode {chosen.value!r} needs {', '.join(missing)}")
    unexpected = sorted(mode_inputs.keys() - required - optional)
    if unexpected:
        accepted = ", ".join(sorted(required | optional)) or "no inputs"
        message = (
            f"mode {chosen.value!r} does not take {', '.join(unexpected)}; it takes {accepted}"
        )
        raise ConfigError(message)
    if chosen is TemporalMode.PEARL:
        return check_pearl(timeline)
    if chosen is TemporalMode.DIRECTORIAL:
        return check_directorial(timeline)
    if chosen is TemporalMode.NONLINEAR:
        return check_nonlinear(timeline, **mode_inputs)
    if chosen is TemporalMode.CYCLICAL:
        return check_cyclical(timeline, **mode_inputs)
    if chosen is TemporalMode.PORTAL:
        return check_portal(timeline, **mode_inputs)
    return check_branching(timeline, **mode_inputs)


def _causal_report(mode: TemporalMode, timeline: Timeline) -> ConsistencyReport:
    return ConsistencyReport(mode=mode, violations=tuple(_with_causality(timeline)))


def _with_causality(timeline: Timeline) -> list[TemporalViolation]:
    found = structure_violations(timeline)
    return found if found else causal_order_violations(timeline)


def _closure_violations(
    timeline: Timeline, cycles: Sequence[Sequence[str]], closures: Mapping[str, str]
) -> list[TemporalViolation]:
    first_of = {cycle[-1]: cycle[0] for cycle in cycles}
    found: list[TemporalViolation] = []
    for last, first in closures.items():
        unknown = [tid for tid in (last, first) if tid not in timeline]
        if unknown:
            message = f"closes[{last!r}] = {first!r} names timepoints not in the timeline"
            found.append(violation(TemporalRule.UNKNOWN_TIMEPOINT, unknown, message))
        elif last not in first_of:
            message = f"closes names {last!r}, which does not end a complete cycle"
            found.append(violation(TemporalRule.CYCLE_CLOSURE, (last, first), message))
        elif first_of[last] != first:
            message = (
                f"closes[{last!r}] = {first!r}, but the cycle ending at {last!r} starts at "
                f"{first_of[last]!r}"
            )
            found.append(violation(TemporalRule.CYCLE_CLOSURE, (last, first), message))
    return found


def _prophecy_violations(
    timeline: Timeline, prophecies: Iterable[Prophecy]
) -> list[TemporalViolation]:
    found: list[TemporalViolation] = []
    for prophecy in prophecies:
        named = [prophecy.made_at] + ([prophecy.fulfilled_at] if prophecy.fulfilled_at else [])
        unknown = [tid for tid in named if tid not in timeline]
        if unknown:
            message = f"prophecy {prophecy.text!r} names timepoints not in the timeline"
            found.append(violation(TemporalRule.UNKNOWN_TIMEPOINT, unknown, message))
        elif prophecy.fulfilled_at is None:
            message = f"prophecy {prophecy.text!r} made at {prophecy.made_at!r} is unfulfilled"
            found.append(
                violation(
                    TemporalRule.PROPHECY_UNFULFILLED,
                    (prophecy.made_at,),
                    message,
                    Severity.WARNING,
                )
            )
        elif prophecy.fulfilled_at == prophecy.made_at or not timeline.is_upstream(
            prophecy.made_at, prophecy.fulfilled_at
        ):
            message = (
                f"prophecy {prophecy.text!r} is fulfilled at {prophecy.fulfilled_at!r}, which "
                f"is not downstream of where it was made, {prophecy.made_at!r}"
            )
            ids = (prophecy.made_at, prophecy.fulfilled_at)
            found.append(violation(TemporalRule.PROPHECY_ORDER, ids, message))
    return found


def _detached(
    timeline: Timeline, members: Mapping[str, Timepoint], fork_id: str
) -> list[TemporalViolation]:
    found: list[TemporalViolation] = []
    for tp in members.values():
        current: Timepoint | None = tp
        seen: set[str] = set()
        while current is not None and current.id in members and current.id not in seen:
            seen.add(current.id)
            parent_id = current.causal_parent
            current = None if parent_id is None else timeline.get(parent_id)
        if current is None or current.id != fork_id:
            reached = "no timepoint" if current is None else repr(current.id)
            message = (
                f"branch timepoint {tp.id!r} leaves the branch at {reached}, "
                f"not at the fork {fork_id!r}"
            )
            found.append(violation(TemporalRule.BRANCH_DETACHED, (tp.id,), message))
    return found


def _leaks(
    timeline: Timeline, members: Mapping[str, Timepoint], parent: Mapping[str, Timepoint]
) -> list[TemporalViolation]:
    # Upstream is transitive, so checking the members that enter the branch covers the rest.
    entries = [tp.id for tp in members.values() if tp.causal_parent not in members]
    found: list[TemporalViolation] = []
    for entry in entries:
        leaked = [tid for tid in timeline.downstream(entry) if tid in parent]
        if leaked:
            message = f"branch timepoint {entry!r} is upstream of parent timepoints"
            found.append(violation(TemporalRule.BRANCH_LEAK, (entry, *leaked), message))
    return found


def _listed(ids: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(repr(tid) for tid in ids[:limit])
    return shown if len(ids) <= limit else f"{shown} and {len(ids) - limit} more"

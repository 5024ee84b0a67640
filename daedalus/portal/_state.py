"""The PORTAL search record in graph state as an append-only channel (M17).

Search nodes return the whole new ``PortalRecord``; written as such, every checkpoint would
carry every round of the search again, so a run's checkpoints grew with the square of its
length. In state the record lives in a delta channel (``record_channel``): what is written is
a ``PortalPatch`` holding only what the node changed (new and changed rounds, items added to
the record's logs, the fields it set), and the channel folds the patches (``apply_writes``).
``patch_of`` builds a patch and keeps it only when applying it gives back the record exactly;
otherwise the whole record is written. Either way the state reads the same record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from daedalus.kernel.temporal._report import ConsistencyReport
from daedalus.portal._records import PortalRecord, PortalStep, ProposalRound, _Record
from daedalus.portal._trial import ForwardTrial
from daedalus.state import SimState, delta, delta_value, merge_map

if TYPE_CHECKING:
    from langgraph.channels.delta import DeltaChannel

__all__ = ["PortalPatch", "PortalState", "apply_writes", "patch_of", "record_channel"]

_KEPT_WHOLE = frozenset({"steps", "times"})
"""Fields never sent as appended items: steps are patched slot by slot, times never grow."""


class PortalPatch(_Record):
    """What one node changed in the search record.

    ``head`` holds the record's fields, except that each field named in ``extended`` holds only
    the items added after the previous record's, and ``head.steps`` holds only the steps that
    changed, each with only its new or changed rounds (merged by round number), unless its slot
    is in ``whole``: then it replaces the previous step outright.
    """

    head: PortalRecord
    extended: tuple[str, ...] = ()
    whole: tuple[int, ...] = ()

    def applied_to(self, record: PortalRecord) -> PortalRecord:
        """``record`` with this patch applied."""
        head = self.head
        values: dict[str, Any] = {name: getattr(head, name) for name in PortalRecord.model_fields}
        for name in self.extended:
            values[name] = getattr(record, name) + getattr(head, name)
        steps = {step.slot: step for step in record.steps}
        for step in head.steps:
            previous = steps.get(step.slot)
            if previous is None or step.slot in self.whole:
                steps[step.slot] = step
                continue
            rounds = {proposal.number: proposal for proposal in previous.rounds}
            rounds.update((proposal.number, proposal) for proposal in step.rounds)
            merged = tuple(rounds[number] for number in sorted(rounds))
            steps[step.slot] = step.model_copy(update={"rounds": merged})
        values["steps"] = tuple(steps[slot] for slot in sorted(steps))
        return record.model_copy(update=values)


def patch_of(old: PortalRecord | None, new: PortalRecord) -> PortalRecord | PortalPatch:
    """What to write to the channel to turn ``old`` into ``new``: a patch when one gives back
    ``new`` exactly, else ``new`` itself."""
    if old is None:
        return new
    head: dict[str, Any] = {}
    extended: list[str] = []
    for name in PortalRecord.model_fields:
        before, after = getattr(old, name), getattr(new, name)
        if name in _KEPT_WHOLE or not isinstance(after, tuple) or not isinstance(before, tuple):
            continue
        if after[: len(before)] == before:
            head[name] = after[len(before) :]
            extended.append(name)
    whole: list[int] = []
    head["steps"] = tuple(_changed_steps(old, new, whole))
    patch = PortalPatch(
        head=new.model_copy(update=head), extended=tuple(extended), whole=tuple(whole)
    )
    return patch if patch.applied_to(old) == new else new


def _changed_steps(old: PortalRecord, new: PortalRecord, whole: list[int]) -> list[PortalStep]:
    before = {step.slot: step for step in old.steps}
    changed = []
    for step in new.steps:
        previous = before.get(step.slot)
        if previous is step:
            continue
        if previous is None or not _rounds_extend(previous.rounds, step.rounds):
            whole.append(step.slot)
            changed.append(step)
            continue
        kept = {proposal.number: proposal for proposal in previous.rounds}
        fresh = tuple(r for r in step.rounds if kept.get(r.number) != r)
        if fresh == () and step.model_copy(update={"rounds": previous.rounds}) == previous:
            continue
        changed.append(step.model_copy(update={"rounds": fresh}))
    return changed


def _rounds_extend(before: Sequence[ProposalRound], after: Sequence[ProposalRound]) -> bool:
    numbers = [proposal.number for proposal in after]
    earlier = [proposal.number for proposal in before]
    return numbers == sorted(set(numbers)) and set(earlier) <= set(numbers)


def apply_writes(
    record: PortalRecord | None, writes: Sequence[PortalRecord | PortalPatch]
) -> PortalRecord | None:
    """The record after ``writes`` in order: a record replaces, a patch applies."""
    for write in writes:
        if isinstance(write, PortalPatch):
            if record is None:
                raise ValueError("a portal record patch arrived before any record")
            record = write.applied_to(record)
        else:
            record = write
    return record


def record_channel() -> DeltaChannel[Any]:
    """The channel of the ``portal`` key: patches in, the record out."""
    return delta_value(apply_writes)


class PortalState(SimState, total=False):
    """State of the PORTAL graph: the simulation state plus the search record.

    ``portal`` is the search record (``None`` until the plan writes it), kept as an
    append-only channel of patches (module docstring); ``portal_trials`` collects forward
    trials written by parallel branches, keyed by candidate id; ``portal_next`` counts chain
    timepoints already simulated forward; ``consistency`` is the PORTAL check of the finished
    timeline (M17).
    """

    portal: Annotated[PortalRecord, record_channel()]
    portal_trials: Annotated[dict[str, ForwardTrial], delta(merge_map)]
    portal_next: int
    consistency: ConsistencyReport | None

"""Typed results of the temporal consistency checks (M17); re-exported by the package."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field, model_validator

from daedalus.domain import TemporalMode

__all__ = ["ConsistencyReport", "Severity", "TemporalRule", "TemporalViolation"]


class Severity(StrEnum):
    """An error makes a timeline inconsistent; a warning is reported but keeps it valid."""

    ERROR = "error"
    WARNING = "warning"


class TemporalRule(StrEnum):
    """The rule a violation breaks; the mode that checks it is in parentheses."""

    CAUSAL_STRUCTURE = "causal_structure"
    """Dangling link, causal cycle or misplaced sub-moment (every mode)."""
    CAUSE_PRECEDES_EFFECT = "cause_precedes_effect"
    """An effect timestamped before (or, unless a sub-moment, at) its cause (PEARL & co.)."""
    UNKNOWN_TIMEPOINT = "unknown_timepoint"
    """A mode input names a timepoint the timeline does not hold."""
    PRESENTATION_MISSING = "presentation_missing"
    """Timepoints the presentation order leaves out (NONLINEAR)."""
    PRESENTATION_DUPLICATE = "presentation_duplicate"
    """Timepoints the presentation order shows more than once (NONLINEAR)."""
    CYCLE_INCOMPLETE = "cycle_incomplete"
    """The last cycle has fewer timepoints than the cycle length (CYCLICAL)."""
    CYCLE_LINK = "cycle_link"
    """A cycle's last timepoint is not upstream of the next cycle's first (CYCLICAL)."""
    CYCLE_CLOSURE = "cycle_closure"
    """The final cycle's closure is missing, or a recorded closure is wrong (CYCLICAL)."""
    PROPHECY_ORDER = "prophecy_order"
    """A prophecy fulfilled somewhere not downstream of where it was made (CYCLICAL)."""
    PROPHECY_UNFULFILLED = "prophecy_unfulfilled"
    """A prophecy with no fulfilment yet: a warning (CYCLICAL)."""
    PORTAL_EMPTY = "portal_empty"
    """The backward chain has no timepoints (PORTAL)."""
    PORTAL_DUPLICATE = "portal_duplicate"
    """A timepoint appears twice in the backward chain (PORTAL)."""
    PORTAL_ORDER = "portal_order"
    """An antecedent not strictly earlier than the timepoint it leads to (PORTAL)."""
    PORTAL_LINK = "portal_link"
    """A chain member whose causal parent is not the next antecedent (PORTAL)."""
    PORTAL_ORIGIN = "portal_origin"
    """The origin's causal parent lies inside the chain (PORTAL)."""
    PARENT_MISSING = "parent_missing"
    """A parent timepoint from before the fork is gone (BRANCHING)."""
    PARENT_MODIFIED = "parent_modified"
    """A parent timepoint from before the fork has changed (BRANCHING)."""
    UNKNOWN_FORK = "unknown_fork"
    """The fork timepoint is not one of the parent's timepoints (BRANCHING)."""
    BRANCH_ID_IN_PARENT = "branch_id_in_parent"
    """The branch id is already used by the parent's timepoints (BRANCHING)."""
    BRANCH_EMPTY = "branch_empty"
    """No timepoint carries the branch id yet: a warning (BRANCHING)."""
    BRANCH_DETACHED = "branch_detached"
    """A branch timepoint that does not reach the fork through the branch (BRANCHING)."""
    BRANCH_LEAK = "branch_leak"
    """A branch timepoint upstream of a parent timepoint (BRANCHING)."""


class TemporalViolation(BaseModel):
    """One broken rule: which, how bad, the timepoints involved and a one-line explanation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: TemporalRule
    severity: Severity = Severity.ERROR
    timepoint_ids: tuple[str, ...] = ()
    message: str


class ConsistencyReport(BaseModel):
    """The verdict of one mode's checks (M17): valid unless some violation is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: TemporalMode
    violations: tuple[TemporalViolation, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _derive_valid(cls, data: Any) -> Any:
        # ``valid`` is serialized for readers but always recomputed from the violations.
        if isinstance(data, dict) and "valid" in data:
            return {key: value for key, value in data.items() if key != "valid"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def valid(self) -> bool:
        """True when no violation has severity ``error``."""
        return not self.errors

    @property
    def errors(self) -> tuple[TemporalViolation, ...]:
        """The violations that make the timeline inconsistent."""
        return tuple(v for v in self.violations if v.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[TemporalViolation, ...]:
        """The violations reported for attention only."""
        return tuple(v for v in self.violations if v.severity is Severity.WARNING)

    def rules(self) -> frozenset[TemporalRule]:
        """The set of rules broken, for quick membership tests."""
        return frozenset(v.rule for v in self.violations)

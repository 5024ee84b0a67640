"""Typed results shared by the M4 validators."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = [
    "Severity",
    "ValidationReport",
    "ValidationResult",
    "ValidatorName",
    "Violation",
    "validate_all",
]


class ValidatorName(StrEnum):
    """The five M4 validators."""

    INFORMATION_CONSERVATION = "information_conservation"
    ENERGY_BUDGET = "energy_budget"
    BEHAVIORAL_INERTIA = "behavioral_inertia"
    BIOLOGICAL_CONSTRAINTS = "biological_constraints"
    NETWORK_FLOW = "network_flow"


class Severity(StrEnum):
    """``error`` makes a result invalid; ``warning`` is reported but does not."""

    ERROR = "error"
    WARNING = "warning"


class Violation(BaseModel):
    """One broken rule: which validator, whose, when, about what (``subject``), and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    validator: ValidatorName
    entity_id: str
    timepoint_id: str | None
    message: str
    subject: str
    severity: Severity = Severity.ERROR


class ValidationResult(BaseModel):
    """What one validator found. ``valid`` is true iff no violation has error severity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    validator: ValidatorName
    valid: bool
    violations: tuple[Violation, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for violation in self.violations:
            if violation.validator is not self.validator:
                raise ValueError(
                    f"a {violation.validator.value} violation cannot sit in a "
                    f"{self.validator.value} result"
                )
        has_error = any(v.severity is Severity.ERROR for v in self.violations)
        if self.valid == has_error:
            raise ValueError(
                f"valid={self.valid} contradicts the violations: valid must be {not has_error}"
            )
        return self

    @classmethod
    def of(cls, validator: ValidatorName, violations: Iterable[Violation]) -> ValidationResult:
        """The result holding ``violations``, with ``valid`` derived from their severities."""
        found = tuple(violations)
        valid = not any(v.severity is Severity.ERROR for v in found)
        return cls(validator=validator, valid=valid, violations=found)

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity is Severity.WARNING)


class ValidationReport(BaseModel):
    """Many validator results taken together (M4). Derived views are computed, not stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    results: tuple[ValidationResult, ...] = ()

    @property
    def valid(self) -> bool:
        """True iff every result is valid (an empty report is valid)."""
        return all(result.valid for result in self.results)

    @property
    def violations(self) -> tuple[Violation, ...]:
        """Every violation, in result order."""
        return tuple(v for result in self.results for v in result.violations)

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity is Severity.WARNING)

    @property
    def counts(self) -> Mapping[ValidatorName, int]:
        """Number of violations per validator; every validator that ran appears, even at 0."""
        counted: Counter[ValidatorName] = Counter({r.validator: 0 for r in self.results})
        counted.update(v.validator for v in self.violations)
        return dict(counted)

    @property
    def failed(self) -> tuple[ValidatorName, ...]:
        """Validators with at least one invalid result, in first-seen order."""
        return tuple(dict.fromkeys(r.validator for r in self.results if not r.valid))


def validate_all(*results: ValidationResult | Iterable[ValidationResult]) -> ValidationReport:
    """One report over any number of results or iterables of results, in the order given.

    The report is valid iff every result is; ``report.counts`` gives violations per validator.
    """
    gathered: list[ValidationResult] = []
    for item in results:
        if isinstance(item, ValidationResult):
            gathered.append(item)
        else:
            gathered.extend(item)
    return ValidationReport(results=tuple(gathered))

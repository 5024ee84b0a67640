"""Knowledge validators (M4): information conservation and network flow."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from daedalus.domain import ExposureEvent, ExposureKind, Relationship
from daedalus.kernel.text_support import normalise_text, support_score
from daedalus.validators._results import Severity, ValidationResult, ValidatorName, Violation

__all__ = [
    "SUPPORT_THRESHOLD",
    "ExposureRef",
    "KnowsUpstream",
    "information_conservation",
    "network_flow",
    "strip_unsupported_references",
]

SUPPORT_THRESHOLD = 0.75
"""Share of a text claim's content words one visible exposure must contain to support it."""

KnowsUpstream = Callable[[str, str, str | None], bool]
"""``knows_upstream(source_id, information, timepoint_id)``: did the source know it by then?"""


@dataclass(frozen=True, slots=True)
class ExposureRef:
    """A claim that cites an exposure event by id (a dialog turn's ``knowledge_references``)."""

    exposure_id: str


def information_conservation(
    entity_id: str,
    timepoint_id: str | None,
    claims: Iterable[str | ExposureRef],
    visible_exposures: Iterable[ExposureEvent],
    *,
    threshold: float = SUPPORT_THRESHOLD,
) -> ValidationResult:
    """Check that everything ``entity_id`` asserts is backed by its visible exposures (M3, M4).

    ``visible_exposures`` are the exposures visible at the timepoint (for instance a provenance
    query's answer); only those whose ``entity_id`` is this entity count. An ``ExposureRef``
    claim is supported iff its id is one of them. A text claim is supported iff one of them
    scores at least ``threshold`` (see ``support_score``: whole-word containment after
    normalisation scores 1, otherwise the share of the claim's content words the exposure
    contains). Claims that normalise to nothing assert nothing and pass. Each distinct
    unsupported claim yields one error naming it in ``subject``.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    visible = tuple(visible_exposures)
    own = {e.id: e for e in visible if e.entity_id == entity_id}
    owners = {e.id: e.entity_id for e in visible}
    where = f"at {timepoint_id}" if timepoint_id is not None else "before the timeline"
    violations = []
    for claim in dict.fromkeys(claims):
        if isinstance(claim, ExposureRef):
            if claim.exposure_id in own:
                continue
            owner = owners.get(claim.exposure_id)
            reason = (
                f"which belongs to {owner}"
                if owner is not None
                else f"which is not visible to it {where}"
            )
            message = f"{entity_id} cites exposure {claim.exposure_id!r}, {reason}"
            subject = claim.exposure_id
        else:
            if not normalise_text(claim):
                continue
            best = max((support_score(claim, e.information) for e in own.values()), default=0.0)
            if best >= threshold:
                continue
            message = (
                f"{entity_id} asserts {claim!r} with no supporting exposure {where} "
                f"(best support {best:.2f} < {threshold:g})"
            )
            subject = claim
        violations.append(
            Violation(
                validator=ValidatorName.INFORMATION_CONSERVATION,
                entity_id=entity_id,
                timepoint_id=timepoint_id,
                message=message,
                subject=subject,
            )
        )
    return ValidationResult.of(ValidatorName.INFORMATION_CONSERVATION, violations)


def network_flow(
    told_exposures: Iterable[ExposureEvent],
    relationships: Iterable[Relationship],
    knows_upstream: KnowsUpstream,
    *,
    entity_ids: Collection[str],
    co_present: Mapping[str, Collection[str]] | None = None,
) -> ValidationResult:
    """Check that told information moved along relationships from someone who knew it (M4).

    Only exposures of kind ``told`` whose ``source`` is in ``entity_ids`` are checked; other
    kinds and external sources (documents, rumours, scene set-up) are exempt. For each checked
    exposure: the source must differ from the listener; the two must share a relationship, or
    both be listed in ``co_present[exposure.timepoint_id]``; and
    ``knows_upstream(source, information, timepoint_id)`` must be true. Each failure is one
    error with the exposure id as ``subject`` and the listener as ``entity_id``.
    """
    neighbours: dict[str, set[str]] = {}
    for relationship in relationships:
        neighbours.setdefault(relationship.a, set()).add(relationship.b)
        neighbours.setdefault(relationship.b, set()).add(relationship.a)
    present = co_present or {}
    violations = []

    def flag(exposure: ExposureEvent, message: str) -> None:
        violations.append(
            Violation(
                validator=ValidatorName.NETWORK_FLOW,
                entity_id=exposure.entity_id,
                timepoint_id=exposure.timepoint_id,
                message=message,
                subject=exposure.id,
                severity=Severity.ERROR,
            )
        )

    for exposure in told_exposures:
        source, listener = exposure.source, exposure.entity_id
        if exposure.kind is not ExposureKind.TOLD or source not in entity_ids:
            continue
        if source == listener:
            flag(exposure, f"exposure {exposure.id!r}: {listener} cannot be told by itself")
            continue
        related = listener in neighbours.get(source, set())
        together = exposure.timepoint_id is not None and {source, listener} <= set(
            present.get(exposure.timepoint_id, ())
        )
        if not (related or together):
            flag(
                exposure,
                f"exposure {exposure.id!r}: {source} told {listener} but they share no "
                f"relationship and are not co-present at {exposure.timepoint_id}",
            )
        if not knows_upstream(source, exposure.information, exposure.timepoint_id):
            flag(
                exposure,
                f"exposure {exposure.id!r}: {source} told {listener} "
                f"{exposure.information!r} without knowing it upstream of "
                f"{exposure.timepoint_id}",
            )
    return ValidationResult.of(ValidatorName.NETWORK_FLOW, violations)


def strip_unsupported_references(
    turn_refs: Iterable[str], violations: Iterable[Violation]
) -> tuple[str, ...]:
    """``turn_refs`` without the exposure ids an information-conservation error names.

    Order and the remaining ids are kept; violations of other validators are ignored.
    """
    unsupported = {
        v.subject
        for v in violations
        if v.validator is ValidatorName.INFORMATION_CONSERVATION and v.severity is Severity.ERROR
    }
    return tuple(ref for ref in turn_refs if ref not in unsupported)

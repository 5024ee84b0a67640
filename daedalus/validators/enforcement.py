"""M4 enforced: the validators run on what one timepoint added, and what is done about each finding.

Logs are append-only, so a dialog turn or a told exposure that broke a rule stays in the log:
the finding is recorded (action ``"recorded"``) and ``trusted_material`` leaves it out of what
progressive training (M2) reads. Values that live in maps are repaired or rolled back instead:

- information conservation: every ``knowledge_references`` id of every turn must pass
  ``Provenance.check_references`` for its speaker at the dialog's timepoint;
- network flow: a told exposure's source must be related to or co-present with the listener,
  and must have known the information upstream or said it in a turn of the dialog
  (``knows_upstream``, a lexical check: ``SAID_SUPPORT`` of the information's content words);
- energy budget: cognitive energy outside [0, capacity] is clamped (``"repaired"``);
- behavioural inertia: a behaviour block that moved more than ``INERTIA_THRESHOLD`` from the
  personality of record without an experienced or witnessed exposure at the timepoint is reset
  (``"rejected"``).

The personality of record is the entity itself (traits and profile trait scores): progressive
training changes it only after this same inertia check, so between timepoints it is the previous
snapshot. Inertia is measured on the interpretable behaviour axes (``BEHAVIOR_AXES``, L2); the
hashed slots encode trait names, not dispositions. Record ids are derived from the timepoint,
the validator and the subject, so a rerun records nothing twice. Pure: no model, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import (
    CognitiveState,
    Dialog,
    Entity,
    ExposureEvent,
    PhysicalState,
    Relationship,
)
from daedalus.kernel.tensors import BEHAVIOR_AXES, TTMTensor, build_baseline_tensor
from daedalus.provenance import Provenance
from daedalus.state import ValidationRecord
from daedalus.validators import (
    JUSTIFYING_KINDS,
    ValidationResult,
    ValidatorName,
    behavioral_inertia,
    clamp_energy,
    energy_budget,
)
from daedalus.validators._enforce_knowledge import (
    SAID_SUPPORT,
    TrustedMaterial,
    flow_records,
    flow_result,
    knows_upstream,
    record_id,
    reference_records,
    told_at,
    trusted_material,
    unsupported_references,
)

__all__ = [
    "INERTIA_THRESHOLD",
    "SAID_SUPPORT",
    "Enforcement",
    "TrustedMaterial",
    "behaviour_axes",
    "dialog_at",
    "enforce_timepoint",
    "flow_result",
    "inertia_result",
    "justifications",
    "knows_upstream",
    "personality_of_record",
    "record_id",
    "reference_records",
    "repair_energy",
    "restore_behaviour",
    "told_at",
    "trusted_material",
    "unsupported_references",
]

INERTIA_THRESHOLD = 0.25
"""Largest L2 move of the behaviour axes (each in [0, 1]) allowed without a justification."""

_AXES = len(BEHAVIOR_AXES)


def dialog_at(dialogs: Iterable[Dialog], timepoint_id: str) -> Dialog | None:
    """The dialog held at ``timepoint_id`` (the last one recorded there), or ``None``."""
    found = [d for d in dialogs if d.timepoint_id == timepoint_id]
    return found[-1] if found else None


def repair_energy(
    cognitive: Mapping[str, CognitiveState], timepoint_id: str
) -> tuple[list[ValidationResult], dict[str, CognitiveState], list[ValidationRecord]]:
    """Range part of the energy budget for every stored mind (M4).

    ``energy_budget`` runs on an unchanged ledger, so only its range findings (energy negative
    or above capacity) can fire; every mind whose energy lies outside [0, capacity], even by
    less than the validator's rounding tolerance, comes back clamped (``clamp_energy``) with a
    ``"repaired"`` record. Returns the results, the repaired minds and the records.
    """
    results: list[ValidationResult] = []
    repaired: dict[str, CognitiveState] = {}
    records: list[ValidationRecord] = []
    validator = ValidatorName.ENERGY_BUDGET.value
    for entity_id in sorted(cognitive):
        mind = cognitive[entity_id]
        result = energy_budget(entity_id, timepoint_id, mind, mind, 0.0)
        results.append(result)
        fixed = clamp_energy(mind)
        if fixed.energy == mind.energy:
            continue
        found = [v.message for v in result.errors if v.subject == "energy"] or [
            f"{entity_id}'s energy {mind.energy!r} is outside [0, {mind.energy_capacity:g}] "
            "by a rounding error"
        ]
        repaired[entity_id] = fixed
        records.append(
            ValidationRecord(
                id=record_id(timepoint_id, validator, entity_id),
                validator=validator,
                entity_id=entity_id,
                timepoint_id=timepoint_id,
                message=f"{'; '.join(found)}; clamped to {fixed.energy:g}",
                action="repaired",
            )
        )
    return results, repaired, records


def behaviour_axes(block: Sequence[float]) -> tuple[float, ...]:
    """The interpretable slots of a behaviour block (``BEHAVIOR_AXES`` order)."""
    return tuple(float(x) for x in block[:_AXES])


def personality_of_record(entity: Entity) -> tuple[float, ...]:
    """The behaviour block the entity's traits and profile define (M6)."""
    return build_baseline_tensor(entity, CognitiveState(), PhysicalState(), ()).behavior


def justifications(
    exposures: Iterable[ExposureEvent], entity_id: str, timepoint_id: str
) -> tuple[ExposureEvent, ...]:
    """The entity's experienced or witnessed exposures at the timepoint: what may justify a
    change of personality there."""
    return tuple(
        e
        for e in exposures
        if e.entity_id == entity_id
        and e.timepoint_id == timepoint_id
        and e.kind in JUSTIFYING_KINDS
    )


def inertia_result(
    entity_id: str,
    timepoint_id: str,
    before: Sequence[float],
    after: Sequence[float],
    reasons: Sequence[ExposureEvent | str],
    threshold: float = INERTIA_THRESHOLD,
) -> ValidationResult:
    """``behavioral_inertia`` between two behaviour blocks, on their axes with the L2 metric."""
    return behavioral_inertia(
        entity_id,
        timepoint_id,
        (),
        (),
        behaviour_axes(before),
        behaviour_axes(after),
        reasons,
        threshold,
        metric="l2",
    )


def restore_behaviour(
    tensors: Mapping[str, TTMTensor],
    entities: Mapping[str, Entity],
    exposures: Sequence[ExposureEvent],
    timepoint_id: str,
) -> tuple[list[ValidationResult], dict[str, TTMTensor], list[ValidationRecord]]:
    """Behavioural inertia on every stored tensor against its personality of record (M4).

    A rejected tensor comes back with the old behaviour block (context and biology kept) and a
    ``"rejected"`` record. Tensors of unknown entities are skipped.
    """
    results: list[ValidationResult] = []
    restored: dict[str, TTMTensor] = {}
    records: list[ValidationRecord] = []
    validator = ValidatorName.BEHAVIORAL_INERTIA.value
    for entity_id in sorted(tensors):
        entity = entities.get(entity_id)
        if entity is None:
            continue
        tensor = tensors[entity_id]
        record = personality_of_record(entity)
        reasons = justifications(exposures, entity_id, timepoint_id)
        result = inertia_result(entity_id, timepoint_id, record, tensor.behavior, reasons)
        results.append(result)
        if result.valid:
            continue
        restored[entity_id] = tensor.model_copy(update={"behavior": record})
        records.append(
            ValidationRecord(
                id=record_id(timepoint_id, validator, entity_id),
                validator=validator,
                entity_id=entity_id,
                timepoint_id=timepoint_id,
                message="; ".join(v.message for v in result.errors)
                + "; the previous behaviour block is kept",
                action="rejected",
            )
        )
    return results, restored, records


class Enforcement(BaseModel):
    """What enforcing M4 on one timepoint found and changed.

    ``cognitive`` and ``tensors`` hold only the repaired or rolled-back values;
    ``validators_run`` counts validator runs (one per checked turn, per told batch, per mind,
    per tensor).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    records: tuple[ValidationRecord, ...] = ()
    cognitive: Mapping[str, CognitiveState] = Field(default_factory=dict)
    tensors: Mapping[str, TTMTensor] = Field(default_factory=dict)
    validators_run: int = Field(default=0, ge=0)


def enforce_timepoint(
    *,
    timepoint_id: str,
    provenance: Provenance,
    dialog: Dialog | None,
    exposures: Sequence[ExposureEvent],
    relationships: Iterable[Relationship],
    entities: Mapping[str, Entity],
    co_present: Mapping[str, Collection[str]],
    cognitive: Mapping[str, CognitiveState],
    tensors: Mapping[str, TTMTensor],
) -> Enforcement:
    """Run the four M4 validators on what ``timepoint_id`` added (see the module docstring).

    ``dialog`` is the dialog at the timepoint (or ``None``), ``exposures`` the whole log.
    """
    records: list[ValidationRecord] = []
    runs = 0
    if dialog is not None:
        refused = unsupported_references(dialog, provenance)
        runs += sum(1 for turn in dialog.turns if turn.knowledge_references)
        records.extend(reference_records(dialog, refused))
    told = told_at(exposures, timepoint_id)
    if told:
        flow = flow_result(
            told,
            provenance=provenance,
            dialog=dialog,
            relationships=relationships,
            entities=entities,
            co_present=co_present,
        )
        runs += 1
        records.extend(flow_records(flow, timepoint_id))
    energy_runs, minds, energy_records = repair_energy(cognitive, timepoint_id)
    inertia_runs, restored, inertia_records = restore_behaviour(
        tensors, entities, exposures, timepoint_id
    )
    runs += len(energy_runs) + len(inertia_runs)
    return Enforcement(
        records=(*records, *energy_records, *inertia_records),
        cognitive=minds,
        tensors=restored,
        validators_run=runs,
    )

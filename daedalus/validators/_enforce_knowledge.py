"""Knowledge checks of M4 enforcement: references cited in turns and how told facts travelled.

Split from ``daedalus.validators.enforcement`` (which re-exports the public names): information
conservation on dialog turns, network flow on told exposures, and the material training may
count once both have run. Pure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from daedalus.domain import Dialog, Entity, ExposureEvent, ExposureKind, Relationship
from daedalus.kernel.text_support import content_tokens
from daedalus.provenance import Provenance
from daedalus.state import ValidationRecord
from daedalus.validators import KnowsUpstream, ValidationResult, ValidatorName, network_flow

__all__ = [
    "SAID_SUPPORT",
    "TrustedMaterial",
    "flow_records",
    "flow_result",
    "knows_upstream",
    "record_id",
    "reference_records",
    "told_at",
    "trusted_material",
    "unsupported_references",
]

SAID_SUPPORT = 0.5
"""Share of a told fact's content words (the source's own name aside) that one text the source
knew upstream, or one line it said in the dialog, must contain for it to count as its source."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]+")


def record_id(timepoint_id: str, validator: str, *subject: str) -> str:
    """A deterministic record id from the timepoint, the validator and the subject.

    Characters ids may not hold become ``_``; a changed or long id gets a short digest of the
    original so two different subjects never share an id.
    """
    raw = "-".join(("val", timepoint_id, validator, *subject))
    slug = _UNSAFE.sub("_", raw)
    if slug == raw and len(raw) <= 128:
        return raw
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]
    return f"{slug[:100]}-{digest}"


def told_at(exposures: Iterable[ExposureEvent], timepoint_id: str) -> tuple[ExposureEvent, ...]:
    """The ``told`` exposures recorded at ``timepoint_id``, in log order."""
    return tuple(
        e for e in exposures if e.kind is ExposureKind.TOLD and e.timepoint_id == timepoint_id
    )


def unsupported_references(dialog: Dialog, provenance: Provenance) -> dict[int, tuple[str, ...]]:
    """Turn index -> the ``knowledge_references`` its speaker may not cite at the dialog's
    timepoint (``Provenance.check_references``); turns citing only what they may are absent."""
    refused: dict[int, tuple[str, ...]] = {}
    for index, turn in enumerate(dialog.turns):
        if not turn.knowledge_references:
            continue
        bad = provenance.check_references(
            turn.speaker, dialog.timepoint_id, turn.knowledge_references
        )
        if bad:
            refused[index] = bad
    return refused


def reference_records(
    dialog: Dialog, refused: Mapping[int, Sequence[str]]
) -> list[ValidationRecord]:
    """One ``"recorded"`` information-conservation record per refused reference of a turn."""
    validator = ValidatorName.INFORMATION_CONSERVATION.value
    records = []
    for index, ids in sorted(refused.items()):
        speaker = dialog.turns[index].speaker
        for ref in ids:
            records.append(
                ValidationRecord(
                    id=record_id(dialog.timepoint_id, validator, f"turn{index}", ref),
                    validator=validator,
                    entity_id=speaker,
                    timepoint_id=dialog.timepoint_id,
                    message=(
                        f"turn {index} of {dialog.id}: {speaker} cites exposure {ref!r}, which "
                        f"it could not know at {dialog.timepoint_id}; the turn is kept in the "
                        "log but not counted for training"
                    ),
                    action="recorded",
                )
            )
    return records


def _name_tokens(entity: Entity | None, entity_id: str) -> frozenset[str]:
    words = content_tokens(entity_id.replace("_", " "))
    return words | content_tokens(entity.name) if entity is not None else words


def knows_upstream(
    provenance: Provenance, dialog: Dialog | None, entities: Mapping[str, Entity]
) -> KnowsUpstream:
    """``knows_upstream(source, information, timepoint_id)`` for ``network_flow``.

    True when one exposure the source could know at the timepoint, or one line the source said
    in ``dialog`` (when the dialog is at that timepoint), contains at least ``SAID_SUPPORT`` of
    the information's content words, the source's own name words aside (a fact is often told
    as "Ada said ..."). Prior knowledge answers for a timepoint of ``None``.
    """

    def check(source: str, information: str, timepoint_id: str | None) -> bool:
        wanted = content_tokens(information) - _name_tokens(entities.get(source), source)
        if not wanted:
            return True
        if timepoint_id is None:
            texts = [
                e.information
                for e in provenance.log
                if e.entity_id == source and e.timepoint_id is None
            ]
        else:
            texts = [e.information for e in provenance.knowledge_at(source, timepoint_id)]
            if dialog is not None and dialog.timepoint_id == timepoint_id:
                texts.extend(t.content for t in dialog.turns if t.speaker == source)
        return any(
            len(wanted & content_tokens(text)) / len(wanted) >= SAID_SUPPORT for text in texts
        )

    return check


def flow_result(
    told: Sequence[ExposureEvent],
    *,
    provenance: Provenance,
    dialog: Dialog | None,
    relationships: Iterable[Relationship],
    entities: Mapping[str, Entity],
    co_present: Mapping[str, Collection[str]],
) -> ValidationResult:
    """``network_flow`` over ``told`` with ``knows_upstream`` (M4)."""
    return network_flow(
        told,
        relationships,
        knows_upstream(provenance, dialog, entities),
        entity_ids=frozenset(entities),
        co_present=co_present,
    )


class TrustedMaterial(BaseModel):
    """What training may count at one timepoint: the indices of turns whose references all
    passed, and the ids of told exposures that passed network flow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    turns: tuple[int, ...] = ()
    told: tuple[str, ...] = ()


def trusted_material(
    *,
    dialog: Dialog | None,
    told: Sequence[ExposureEvent],
    provenance: Provenance,
    relationships: Iterable[Relationship],
    entities: Mapping[str, Entity],
    co_present: Mapping[str, Collection[str]],
) -> TrustedMaterial:
    """The turns and told exposures that broke no rule (see the module docstring)."""
    turns: tuple[int, ...] = ()
    if dialog is not None:
        refused = unsupported_references(dialog, provenance)
        turns = tuple(i for i in range(len(dialog.turns)) if i not in refused)
    flow = flow_result(
        told,
        provenance=provenance,
        dialog=dialog,
        relationships=relationships,
        entities=entities,
        co_present=co_present,
    )
    flagged = {v.subject for v in flow.errors}
    return TrustedMaterial(turns=turns, told=tuple(e.id for e in told if e.id not in flagged))


def flow_records(flow: ValidationResult, timepoint_id: str) -> list[ValidationRecord]:
    validator = ValidatorName.NETWORK_FLOW.value
    seen: dict[str, int] = {}
    records = []
    for violation in flow.errors:
        count = seen.get(violation.subject, 0)
        seen[violation.subject] = count + 1
        records.append(
            ValidationRecord(
                id=record_id(timepoint_id, validator, violation.subject, str(count)),
                validator=validator,
                entity_id=violation.entity_id,
                timepoint_id=timepoint_id,
                message=f"{violation.message}; kept in the log but not counted for training",
                action="recorded",
            )
        )
    return records

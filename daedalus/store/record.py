"""The record of one run: everything a finished, failed or interrupted run holds, as values.

A ``RunRecord`` is what the run store saves and what every export reads. It is built from a
mode graph's state with ``RunRecord.from_state`` (missing keys give empty values, so a partial
run at a checkpoint makes a valid record) and serializes to JSON that reads back equal.
Derived views are computed on demand, never stored twice: provenance queries (M3, M7), ledger
totals (M18) and the ADPRS shadow report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import to_jsonable_python

from daedalus.domain import (
    ID_PATTERN,
    CognitiveState,
    Dialog,
    Entity,
    Environment,
    ExposureEvent,
    PhysicalState,
    Relationship,
    ResolutionLevel,
    TemporalMode,
    Timepoint,
    Unit,
)
from daedalus.kernel.adprs import BandPrediction, ShadowReport, shadow_report
from daedalus.kernel.dialog import Contradiction
from daedalus.llm.ledger import CallRecord, Ledger
from daedalus.provenance import Provenance, Timeline
from daedalus.scenario import Scenario
from daedalus.state import ValidationRecord
from daedalus.store._record_parts import BranchRecord, Snapshot, branches_from, snapshots_from

__all__ = [
    "MECHANISM_IDS",
    "MECHANISM_UNITS",
    "RUN_STATUSES",
    "BranchRecord",
    "RunMeta",
    "RunRecord",
    "RunStatus",
    "Snapshot",
]

RunStatus = Literal["running", "completed", "failed", "interrupted"]
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
"""Every status a run can have, in lifecycle order."""

MECHANISM_IDS: tuple[str, ...] = tuple(f"M{number}" for number in range(1, 20))
"""``M1`` .. ``M19``: the mechanism counters every report lists, zero when unused."""

MECHANISM_UNITS: dict[str, str] = {
    "M1": "resolution cells written: the plan's cells, and each moment's levels for those present",
    "M2": "entities whose accumulated detail (metadata, profile) training changed",
    "M3": "exposure events written (witnessed, told, prophesied, detail beats)",
    "M4": "validation records the enforced validators wrote (violations found or repaired)",
    "M5": "resolution levels decided lazily (participants after a dialog, levels a query raised)",
    "M6": "compressed tensors written",
    "M7": "causal links written, plus knowledge kept out of a prompt by causal filtering",
    "M8": "detail moments written inside a moment, plus minds the body changed before a dialog",
    "M9": "entities generated on demand",
    "M10": "scene changes written: the scene set up, each change of the room's atmosphere",
    "M11": "dialog turns written, plus turns the quality gate replaced",
    "M12": "branch moments written from an intervention",
    "M13": "relationships a dialog changed, plus contradictions recorded",
    "M14": "participations refused for the hour or the body",
    "M15": "prospective states (expectations, plans, anxiety) written",
    "M16": "turns spoken by non-human entities",
    "M17": "mode records written: plans, consistency reports and findings, closures, scenes, "
    "prophecy verdicts, PORTAL rounds and steps, minds and bodies seeded from accepted trials",
    "M18": "model choices made by routing (the offline model is no choice)",
    "M19": "told exposures extracted from dialog",
}
"""What each counter counts: state changes that later steps read, never executions."""

_Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=128)]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunMeta(_Value):
    """Who ran what, how and when. ``paths`` are relative to the store directory.

    ``base_url``, ``budget_usd``, ``budget_mode`` and ``request_timeout_s`` are the run's model
    options, kept so a resume or a branch uses the same server, budget and request timeout.
    """

    id: _Id
    template: str = Field(min_length=1)
    mode: TemporalMode
    seed: int
    model: str = Field(min_length=1)
    offline: bool = False
    status: RunStatus = "running"
    started_at: datetime
    completed_at: datetime | None = None
    paths: dict[str, str] = Field(default_factory=dict)
    base_url: str | None = None
    budget_usd: float | None = Field(default=None, ge=0.0)
    budget_mode: str | None = None
    request_timeout_s: float | None = Field(default=None, gt=0.0)


class RunRecord(_Value):
    """Everything one run holds (DESIGN section 8), immutable and JSON round-trippable.

    ``portal`` (PORTAL steps and pivots) and ``prophecies`` (CYCLICAL) are plain JSON values;
    ``presentation_order`` lists timepoint ids in the order a NONLINEAR run tells them.
    ``cognitive``, ``physical`` and ``relationships`` are the final values; ``snapshots`` the
    per-timepoint ones when the runner took them. ``withheld`` maps an entity to the exposure
    ids it keeps private (they shape its voice but are never said, M11). ``compression_error``
    is, per entity last stored in compressed form, the relative round-trip error of that
    compression (M6).
    """

    run: RunMeta
    scenario: Scenario | None = None
    entities: tuple[Entity, ...] = ()
    timepoints: tuple[Timepoint, ...] = ()
    exposures: tuple[ExposureEvent, ...] = ()
    withheld: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    dialogs: tuple[Dialog, ...] = ()
    relationships: dict[str, Relationship] = Field(default_factory=dict)
    cognitive: dict[str, CognitiveState] = Field(default_factory=dict)
    physical: dict[str, PhysicalState] = Field(default_factory=dict)
    environment: Environment | None = None
    snapshots: tuple[Snapshot, ...] = ()
    branches: tuple[BranchRecord, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()
    portal: dict[str, Any] = Field(default_factory=dict)
    ledger: tuple[CallRecord, ...] = ()
    mechanisms: dict[str, int] = Field(default_factory=dict)
    validation: tuple[ValidationRecord, ...] = ()
    phi: dict[str, dict[str, Unit]] = Field(default_factory=dict)
    resolution: dict[str, dict[str, ResolutionLevel]] = Field(default_factory=dict)
    compression_error: dict[str, float] = Field(default_factory=dict)
    presentation_order: tuple[str, ...] = ()
    prophecies: tuple[dict[str, Any], ...] = ()

    @field_validator("portal", "prophecies", mode="before")
    @classmethod
    def _plain_json(cls, value: object) -> object:
        # Tuples become lists and datetimes strings now, so a JSON round trip reads back equal.
        return to_jsonable_python(value)

    @model_validator(mode="after")
    def _references_known_timepoints(self) -> Self:
        known = {tp.id for tp in self.timepoints}
        _require_known(known, (d.timepoint_id for d in self.dialogs), "dialog")
        _require_known(
            known, (e.timepoint_id for e in self.exposures if e.timepoint_id), "exposure"
        )
        _require_known(known, self.presentation_order, "presentation_order entry")
        _require_known(known, (s.timepoint_id for s in self.snapshots), "snapshot")
        return self

    @classmethod
    def from_state(
        cls,
        state: Mapping[str, Any],
        *,
        meta: RunMeta,
        ledger: Ledger | Iterable[CallRecord] = (),
    ) -> RunRecord:
        """The record of a run whose graph state is ``state`` (a ``SimState`` or an extension).

        Reads the ``SimState`` keys plus, when a mode graph defines them, ``snapshots``
        (``Snapshot`` values, a list or a map by timepoint), ``branches`` (records or maps with
        ``id`` and ``intervention``), ``portal``, ``presentation_order`` (or ``presentation``) and
        ``prophecies`` (records or maps).
        Branch parents and fork points are derived from the timeline (M12).
        """
        timepoints = tuple(state.get("timepoints") or ())
        rows = ledger.records if isinstance(ledger, Ledger) else tuple(ledger)
        return cls(
            run=meta,
            scenario=state.get("scenario"),
            entities=tuple((state.get("entities") or {}).values()),
            timepoints=timepoints,
            exposures=tuple(state.get("exposures") or ()),
            withheld={e: tuple(ids) for e, ids in (state.get("withheld") or {}).items()},
            dialogs=tuple(state.get("dialogs") or ()),
            relationships=dict(state.get("relationships") or {}),
            cognitive=dict(state.get("cognitive") or {}),
            physical=dict(state.get("physical") or {}),
            environment=state.get("environment"),
            snapshots=snapshots_from(state.get("snapshots")),
            branches=branches_from(timepoints, state.get("branches")),
            contradictions=tuple(state.get("contradictions") or ()),
            portal=_as_dict(state.get("portal")),
            ledger=rows,
            mechanisms=dict(state.get("mechanisms") or {}),
            validation=tuple(state.get("validation") or ()),
            phi={e: dict(m) for e, m in (state.get("phi") or {}).items()},
            resolution={e: dict(m) for e, m in (state.get("resolution") or {}).items()},
            compression_error={
                e: float(v) for e, v in sorted((state.get("compression_error") or {}).items())
            },
            presentation_order=tuple(
                state.get("presentation_order") or state.get("presentation") or ()
            ),
            prophecies=tuple(_as_dict(item) for item in state.get("prophecies") or ()),
        )

    @property
    def title(self) -> str:
        """The scenario's name, or the template id when the record has no scenario."""
        return self.scenario.name if self.scenario is not None else self.run.template

    @property
    def used_offline(self) -> bool:
        """True when the run was made with the offline model (its results are labelled so)."""
        return self.run.offline or any(call.offline for call in self.ledger)

    def provenance(self) -> Provenance:
        """A fresh provenance index over this run's timeline and exposures (M3, M7)."""
        return Provenance(self.timepoints, self.exposures)

    def knowledge_at(self, entity_id: str, timepoint_id: str) -> tuple[ExposureEvent, ...]:
        """The exposures ``entity_id`` may use at ``timepoint_id`` (M3, M7); see
        ``Provenance.knowledge_at``. Build ``provenance()`` once for many queries."""
        return tuple(self.provenance().knowledge_at(entity_id, timepoint_id))

    def causal_order(self) -> tuple[Timepoint, ...]:
        """Timepoints in timeline order: parents before children, branches after their fork."""
        return Timeline(self.timepoints).ordered()

    def story_order(self) -> tuple[Timepoint, ...]:
        """Timepoints in the order the run tells them.

        With a ``presentation_order`` (NONLINEAR): those first, then any it leaves out.
        Otherwise branch by branch (in the order each branch first appears), each in causal
        order, so the main line reads through before a counterfactual starts (M12).
        """
        causal = self.causal_order()
        listed = set(self.presentation_order)
        by_id = {tp.id: tp for tp in self.timepoints}
        told = [by_id[tp_id] for tp_id in dict.fromkeys(self.presentation_order)]
        rest = [tp for tp in causal if tp.id not in listed]
        if not told:
            branches = list(dict.fromkeys(tp.branch_id for tp in causal))
            rest.sort(key=lambda tp: branches.index(tp.branch_id))
        return (*told, *rest)

    def entity(self, entity_id: str) -> Entity | None:
        """The entity with this id, or None."""
        return next((e for e in self.entities if e.id == entity_id), None)

    def name_of(self, entity_id: str) -> str:
        """The entity's display name; ids that are not entities (external sources) stay ids."""
        found = self.entity(entity_id)
        return found.name if found is not None else entity_id

    def snapshot_at(self, timepoint_id: str) -> Snapshot | None:
        """The snapshot taken after ``timepoint_id``, or None when none was taken."""
        return next((s for s in self.snapshots if s.timepoint_id == timepoint_id), None)

    def ledger_view(self) -> Ledger:
        """The call ledger, for totals by node, model and action (M18)."""
        return Ledger.from_records(self.ledger)

    def mechanism_counts(self) -> dict[str, int]:
        """``M1`` .. ``M19`` in order (0 when unused), then any other recorded id, sorted."""
        counts = {mid: int(self.mechanisms.get(mid, 0)) for mid in MECHANISM_IDS}
        for key in sorted(set(self.mechanisms) - set(MECHANISM_IDS)):
            counts[key] = int(self.mechanisms[key])
        return counts

    def shadow_report(self) -> ShadowReport:
        """The ADPRS gate's predicted bands (from ``phi``) against the levels used."""
        predicted = {
            (entity_id, tp_id): BandPrediction(phi=value)
            for entity_id, by_tp in self.phi.items()
            for tp_id, value in by_tp.items()
        }
        actual = {
            (entity_id, tp_id): level
            for entity_id, by_tp in self.resolution.items()
            for tp_id, level in by_tp.items()
        }
        return shadow_report(predicted, actual)


def _require_known(known: set[str], ids: Iterable[str], what: str) -> None:
    for tp_id in ids:
        if tp_id not in known:
            raise ValueError(f"{what} names timepoint {tp_id!r}, which the record does not hold")


def _as_dict(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, BaseModel):
        return dict(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a mapping or a pydantic model, got {type(value).__name__}")

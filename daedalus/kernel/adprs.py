"""ADPRS waveform gating: who is worth a model call at each step of the timeline.

Each entity's activation phi over the timeline follows an envelope (Attack, Decay, Peak,
Release, Sustain). phi maps to a resolution band (M1); entities whose band is below the gate
level spend no dialog calls at that step. A shadow report compares the predicted band with the
level the run actually used, so the gate can be checked before it is trusted.

The timeline is step-indexed: step ``i`` is the ``i``-th timepoint in the order the caller runs
them. Fractions of a step are allowed, so a normalised [0, 1] timeline works just as well.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from daedalus.domain import ResolutionLevel, Timepoint, Unit
from daedalus.errors import ConfigError

__all__ = [
    "BAND_EDGES",
    "BandPrediction",
    "Envelope",
    "ShadowReport",
    "ShadowRow",
    "band",
    "composite_phi",
    "envelopes_for",
    "gate",
    "predict_bands",
    "shadow_report",
]

BAND_EDGES: tuple[float, float, float, float] = (0.2, 0.4, 0.6, 0.8)
"""Lower edges of SCENE, GRAPH, DIALOG and TRAINED on the phi scale; TENSOR_ONLY is below 0.2."""

_LEVEL_SPAN = float(ResolutionLevel.TRAINED - ResolutionLevel.TENSOR_ONLY)
_Steps = Annotated[float, Field(ge=0.0)]


class Envelope(BaseModel):
    """One activation envelope. ``phi(t)`` has this shape (``r = t - onset``):

    - before ``onset``: 0;
    - attack, ``0 <= r < attack``: a straight ramp from 0 up to ``peak``, reached at
      ``r = attack``;
    - decay, ``attack < r < attack + decay``: a straight fall from ``peak`` to ``sustain``;
    - sustain: holds ``sustain`` until the active span ends at ``r = length``;
    - release, ``length < r <= length + release``: a straight fall from the level held at the
      end of the span to 0; then 0.

    A span shorter than attack + decay cuts the envelope off where it is, as a key released
    early would. A zero ``attack`` jumps straight to ``peak``; a zero ``release`` drops to 0.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    onset: float = 0.0
    attack: _Steps
    decay: _Steps
    peak: Unit
    sustain: Unit
    length: _Steps
    release: _Steps

    @model_validator(mode="after")
    def _sustain_below_peak(self) -> Self:
        if self.sustain > self.peak:
            raise ValueError(f"sustain {self.sustain} must not exceed peak {self.peak}")
        return self

    def phi(self, t: float) -> float:
        """Activation in [0, 1] at time ``t`` (a step index or a fraction of one)."""
        r = t - self.onset
        if r < 0.0:
            return 0.0
        if r <= self.length:
            return self._held(r)
        if self.release == 0.0:
            return 0.0
        fading = 1.0 - (r - self.length) / self.release
        return _unit(self._held(self.length) * fading)

    def _held(self, r: float) -> float:
        """Level while the span is active, ``r`` steps after onset."""
        if r < self.attack:
            return _unit(self.peak * r / self.attack)
        if r == self.attack:
            # The peak is reached even when decay is zero: a peak step lasts one instant.
            return self.peak
        if r < self.attack + self.decay:
            progress = (r - self.attack) / self.decay
            return _unit(self.peak + (self.sustain - self.peak) * progress)
        return self.sustain


def band(phi: float) -> ResolutionLevel:
    """The resolution band of an activation: TENSOR_ONLY [0, .2), SCENE [.2, .4), GRAPH
    [.4, .6), DIALOG [.6, .8), TRAINED [.8, 1]."""
    if math.isnan(phi) or not 0.0 <= phi <= 1.0:
        raise ConfigError(f"phi must be in [0, 1], got {phi!r}")
    return ResolutionLevel(bisect_right(BAND_EDGES, phi))


def composite_phi(envelopes: Iterable[Envelope], t: float) -> float:
    """The strongest activation of several envelopes at ``t`` (0 when there are none)."""
    return max((envelope.phi(t) for envelope in envelopes), default=0.0)


def envelopes_for(
    entity_ids: Iterable[str],
    timepoints: Sequence[Timepoint],
    *,
    salience: Mapping[str, float] | None = None,
    release: float = 1.0,
) -> dict[str, tuple[Envelope, ...]]:
    """Each entity's envelopes from where it appears in ``timepoints`` (taken in step order).

    Every unbroken run of steps where the entity is present gives two envelopes:

    - emphasis: onset at the run's first appearance, attack up to its most important moment
      (the earliest on ties), peak there at that moment's importance, decay over one step to
      the run's mean importance, sustain through the run, release after its last appearance;
    - presence: holds the run's mean importance from first to last appearance, so the entity
      is not silent while the emphasis envelope is still attacking.

    Importance is scaled by ``salience[entity]`` (default 1.0, for example its centrality).
    ``release`` is how many steps activation takes to fade after a run ends. An entity that
    never appears gets no envelopes. The result is keyed and ordered by ``entity_ids``.
    """
    if math.isnan(release) or release < 0.0:
        raise ConfigError(f"release must be a non-negative number of steps, got {release!r}")
    weights = dict(salience or {})
    result: dict[str, tuple[Envelope, ...]] = {}
    for entity_id in dict.fromkeys(entity_ids):
        weight = weights.get(entity_id, 1.0)
        if math.isnan(weight) or not 0.0 <= weight <= 1.0:
            message = f"salience of {entity_id!r} must be in [0, 1], got {weight!r}"
            raise ConfigError(message)
        present = [i for i, tp in enumerate(timepoints) if entity_id in tp.entities_present]
        activity = {i: timepoints[i].importance * weight for i in present}
        envelopes: list[Envelope] = []
        for first, last in _runs(present):
            envelopes.extend(_run_envelopes(first, last, activity, release))
        result[entity_id] = tuple(envelopes)
    return result


def _runs(steps: Sequence[int]) -> list[tuple[int, int]]:
    """Unbroken runs of consecutive steps as ``(first, last)`` pairs."""
    runs: list[tuple[int, int]] = []
    for step in steps:
        if runs and runs[-1][1] == step - 1:
            runs[-1] = (runs[-1][0], step)
        else:
            runs.append((step, step))
    return runs


def _run_envelopes(
    first: int, last: int, activity: Mapping[int, float], release: float
) -> tuple[Envelope, Envelope]:
    levels = [activity[i] for i in range(first, last + 1)]
    top = max(levels)
    peak_step = first + levels.index(top)
    mean = sum(levels) / len(levels)
    # The mean can exceed the peak by a rounding hair when every level is equal.
    sustain = min(mean, top)
    length = float(last - first)
    emphasis = Envelope(
        onset=first,
        attack=peak_step - first,
        decay=1.0 if peak_step < last else 0.0,
        peak=top,
        sustain=sustain,
        length=length,
        release=release,
    )
    presence = Envelope(
        onset=first,
        attack=0.0,
        decay=0.0,
        peak=sustain,
        sustain=sustain,
        length=length,
        release=release,
    )
    return emphasis, presence


def gate(
    entity_ids: Iterable[str],
    timepoint_index: float,
    envelopes: Mapping[str, Sequence[Envelope]],
    min_level: ResolutionLevel = ResolutionLevel.DIALOG,
) -> tuple[str, ...]:
    """The entities whose band at ``timepoint_index`` reaches ``min_level``, in input order.

    These get dialog-level detail; every other entity spends no model call at this step (its
    trajectory is still recorded). Entities without envelopes have phi 0 and are gated out.
    """
    return tuple(
        entity_id
        for entity_id in dict.fromkeys(entity_ids)
        if band(composite_phi(envelopes.get(entity_id, ()), timepoint_index)) >= min_level
    )


class BandPrediction(BaseModel):
    """An activation at one (entity, timepoint) and the band it predicts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phi: Unit

    @property
    def level(self) -> ResolutionLevel:
        return band(self.phi)


def predict_bands(
    entity_ids: Iterable[str],
    timepoint_ids: Sequence[str],
    envelopes: Mapping[str, Sequence[Envelope]],
) -> dict[tuple[str, str], BandPrediction]:
    """The predicted band of every (entity, timepoint), step ``i`` being ``timepoint_ids[i]``."""
    return {
        (entity_id, timepoint_id): BandPrediction(
            phi=composite_phi(envelopes.get(entity_id, ()), step)
        )
        for entity_id in dict.fromkeys(entity_ids)
        for step, timepoint_id in enumerate(timepoint_ids)
    }


class ShadowRow(BaseModel):
    """One entity's line of a shadow report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_id: str
    evaluations: int = Field(ge=0)
    divergent: int = Field(ge=0)
    phi_min: Unit
    phi_max: Unit
    predicted_bands: tuple[ResolutionLevel, ...]
    actual_levels: tuple[ResolutionLevel, ...]


class ShadowReport(BaseModel):
    """How far the gate's predicted bands were from the levels actually used.

    ``divergence_rate`` is divergent / evaluations. ``mean_divergence`` is the mean distance in
    levels divided by the widest possible distance (TENSOR_ONLY to TRAINED), so it is in [0, 1].
    ``actual_above`` counts cells the run raised above the prediction, ``actual_below`` cells
    it held below. Only cells present in both inputs are evaluated; the others are counted in
    ``predicted_only`` and ``actual_only``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    evaluations: int = Field(ge=0)
    divergent: int = Field(ge=0)
    divergence_rate: Unit
    mean_divergence: Unit
    actual_above: int = Field(ge=0)
    actual_below: int = Field(ge=0)
    predicted_only: int = Field(ge=0)
    actual_only: int = Field(ge=0)
    rows: tuple[ShadowRow, ...]


def shadow_report(
    predicted: Mapping[tuple[str, str], BandPrediction],
    actual: Mapping[tuple[str, str], ResolutionLevel],
) -> ShadowReport:
    """Compare predicted bands with the levels used, per (entity, timepoint) cell.

    Rows are sorted by entity id; their band and level tuples are sorted and distinct.
    """
    shared = sorted(set(predicted) & set(actual))
    per_entity: dict[str, list[tuple[BandPrediction, ResolutionLevel]]] = {}
    for key in shared:
        per_entity.setdefault(key[0], []).append((predicted[key], ResolutionLevel(actual[key])))
    distances = [abs(int(actual[key]) - int(predicted[key].level)) for key in shared]
    above = sum(1 for key in shared if actual[key] > predicted[key].level)
    below = sum(1 for key in shared if actual[key] < predicted[key].level)
    divergent = above + below
    count = len(shared)
    rows = tuple(
        ShadowRow(
            entity_id=entity_id,
            evaluations=len(pairs),
            divergent=sum(1 for guess, used in pairs if guess.level != used),
            phi_min=min(guess.phi for guess, _ in pairs),
            phi_max=max(guess.phi for guess, _ in pairs),
            predicted_bands=tuple(sorted({guess.level for guess, _ in pairs})),
            actual_levels=tuple(sorted({used for _, used in pairs})),
        )
        for entity_id, pairs in sorted(per_entity.items())
    )
    return ShadowReport(
        evaluations=count,
        divergent=divergent,
        divergence_rate=divergent / count if count else 0.0,
        mean_divergence=sum(distances) / (count * _LEVEL_SPAN) if count else 0.0,
        actual_above=above,
        actual_below=below,
        predicted_only=len(set(predicted) - set(actual)),
        actual_only=len(set(actual) - set(predicted)),
        rows=rows,
    )


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))

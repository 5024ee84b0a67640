"""Narrative time for the forward modes (M17): the line of moments, act schedules, tension
targets, point of view, presentation orders and cycle bookkeeping.

Pure functions over plain values; randomness only from a ``numpy.random.Generator`` passed in.

- DIRECTORIAL: a five-act arc (setup, rising action, climax, falling action, resolution).
  Three acts map to setup, confrontation and resolution, where the confrontation is scheduled
  as the climax act (the middle carries the peak); four acts drop the falling action (the
  resolution absorbs it). Default tension targets are in ``DEFAULT_TENSION_TARGETS``.
- NONLINEAR: presentation orders (reverse, in medias res, interleaved, shuffled) that differ
  from causal order whenever the line has more than one moment.
- CYCLICAL: cycle positions and closures (each cycle's last moment closes onto its first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import Timepoint
from daedalus.errors import ConfigError

__all__ = [
    "ACT_PURPOSE",
    "DEFAULT_TENSION_TARGETS",
    "MAIN_BRANCH",
    "Act",
    "ActBeat",
    "CyclePosition",
    "DecisionPoint",
    "EventGuidance",
    "PresentationKind",
    "SceneDirection",
    "act_schedule",
    "arc",
    "choose_pov",
    "cycle_closures",
    "cycle_position",
    "forward_line",
    "line_timepoint_id",
    "presentation_order",
    "steer_tension",
    "whole_cycles",
    "with_details",
]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---- the line of moments ------------------------------------------------------------------


MAIN_BRANCH = "main"
"""Branch id of the line a run starts on."""


def line_timepoint_id(index: int, branch: str = MAIN_BRANCH) -> str:
    """The id of the ``index``-th moment of a forward line: ``tp-000``, ``tp-001``, ... on
    the main line, ``<branch>-tp-004`` on a counterfactual branch (M12), so branches never
    reuse an id of the line they fork from."""
    if index < 0:
        raise ConfigError(f"a timepoint index must be 0 or more, got {index}")
    base = f"tp-{index:03d}"
    return base if branch == MAIN_BRANCH else f"{branch}-{base}"


def forward_line(timepoints: Iterable[Timepoint]) -> list[Timepoint]:
    """The moments of the line in the order they were added, without details inside a moment
    (M8 sub-moments, ``moment_of`` set), which belong to the moment they expand."""
    return [tp for tp in timepoints if tp.moment_of is None]


class DecisionPoint(_Value):
    """A choice open at a moment (the seed of a counterfactual branch, M12)."""

    question: str = Field(min_length=1)
    options: tuple[str, ...] = Field(min_length=2)


class EventGuidance(_Value):
    """What a mode asks of the next event: lines for the writer and entities that must be in
    the moment (a point of view is always present)."""

    notes: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


# ---- DIRECTORIAL --------------------------------------------------------------------------


class Act(StrEnum):
    """A part of the dramatic arc, in narrative order."""

    SETUP = "setup"
    RISING_ACTION = "rising_action"
    CLIMAX = "climax"
    FALLING_ACTION = "falling_action"
    RESOLUTION = "resolution"


_ARCS: dict[int, tuple[Act, ...]] = {
    5: tuple(Act),
    4: (Act.SETUP, Act.RISING_ACTION, Act.CLIMAX, Act.RESOLUTION),
    3: (Act.SETUP, Act.CLIMAX, Act.RESOLUTION),
}

DEFAULT_TENSION_TARGETS: Mapping[Act, float] = {
    Act.SETUP: 0.3,
    Act.RISING_ACTION: 0.55,
    Act.CLIMAX: 0.9,
    Act.FALLING_ACTION: 0.5,
    Act.RESOLUTION: 0.2,
}
"""Tension each act aims for when ``directorial.tension_targets`` is empty."""

ACT_PURPOSE: Mapping[Act, str] = {
    Act.SETUP: "introduce the people, the place and what is at stake; nothing is settled yet",
    Act.RISING_ACTION: "complications pile up; positions harden and the cost of choices grows",
    Act.CLIMAX: "the decisive confrontation: the central conflict comes to a head",
    Act.FALLING_ACTION: "consequences of the climax unfold; people react to what was decided",
    Act.RESOLUTION: "a new balance settles; loose ends are tied and the outcome becomes clear",
}
"""What a moment in each act should do, as told to the event writer."""

# Which acts survive when there are fewer moments than acts, most necessary first.
_KEEP_PRIORITY = (Act.CLIMAX, Act.SETUP, Act.RESOLUTION, Act.RISING_ACTION, Act.FALLING_ACTION)
# Which acts get the moments left over after an even split, first served first.
_EXTRA_PRIORITY = (Act.RISING_ACTION, Act.CLIMAX, Act.FALLING_ACTION, Act.SETUP, Act.RESOLUTION)


def arc(acts: int) -> tuple[Act, ...]:
    """The acts of a 3-, 4- or 5-act arc, in order (see the module docstring)."""
    if acts not in _ARCS:
        raise ConfigError(f"directorial.acts must be 3, 4 or 5, got {acts}")
    return _ARCS[acts]


class ActBeat(_Value):
    """Where one moment sits in the arc: its act (and number within the arc) and the tension
    the scene should reach."""

    index: int = Field(ge=0)
    act: Act
    act_number: int = Field(ge=1)
    acts: int = Field(ge=3, le=5)
    target_tension: float = Field(ge=0.0, le=1.0)
    opens_act: bool


def act_schedule(
    steps: int, acts: int = 5, tension_targets: Sequence[float] = ()
) -> tuple[ActBeat, ...]:
    """One beat per moment: acts in arc order, each act a contiguous run of moments.

    With at least as many moments as acts every act gets one or more (the split is even; the
    rest goes first to rising action, then climax, falling action, setup, resolution). With
    fewer, the climax is kept first, then setup, resolution, rising and falling action.
    ``tension_targets`` (one per act, in [0, 1]) replace ``DEFAULT_TENSION_TARGETS``.
    """
    if steps < 1:
        raise ConfigError(f"timeline.steps must be at least 1, got {steps}")
    chosen = arc(acts)
    targets = _targets(chosen, tension_targets)
    if steps < len(chosen):
        kept = [a for a in _KEEP_PRIORITY if a in chosen][:steps]
        counts = {act: (1 if act in kept else 0) for act in chosen}
    else:
        base, rest = divmod(steps, len(chosen))
        extra = [a for a in _EXTRA_PRIORITY if a in chosen][:rest]
        counts = {act: base + (1 if act in extra else 0) for act in chosen}
    beats: list[ActBeat] = []
    for number, act in enumerate(chosen, start=1):
        for offset in range(counts[act]):
            beats.append(
                ActBeat(
                    index=len(beats),
                    act=act,
                    act_number=number,
                    acts=acts,
                    target_tension=targets[act],
                    opens_act=offset == 0,
                )
            )
    return tuple(beats)


def _targets(chosen: tuple[Act, ...], given: Sequence[float]) -> dict[Act, float]:
    if not given:
        return {act: DEFAULT_TENSION_TARGETS[act] for act in chosen}
    if len(given) != len(chosen):
        raise ConfigError(
            f"directorial.tension_targets has {len(given)} values; expected {len(chosen)} "
            f"(one per act: {', '.join(a.value for a in chosen)})"
        )
    for position, value in enumerate(given):
        if not 0.0 <= value <= 1.0:
            raise ConfigError(
                f"directorial.tension_targets[{position}] is {value}; expected a value in [0, 1]"
            )
    return {act: float(value) for act, value in zip(chosen, given, strict=True)}


def steer_tension(current: float, target: float, weight: float = 0.8) -> float:
    """The scene's tension moved ``weight`` of the way from ``current`` to ``target``.

    A weight below 1 keeps a trace of the previous scene's mood; the result stays in [0, 1].
    """
    if not 0.0 <= weight <= 1.0:
        raise ConfigError(f"tension steering weight must be in [0, 1], got {weight}")
    moved = current + weight * (target - current)
    return round(min(1.0, max(0.0, moved)), 6)


def choose_pov(
    candidates: Sequence[str],
    centrality: Mapping[str, float],
    appearances: Mapping[str, int] | None = None,
) -> str:
    """The point-of-view entity: the most central candidate in the relationship graph (M5),
    then the one seen in most moments so far, then the first listed."""
    if not candidates:
        raise ConfigError("no entity can hold the point of view; the scenario needs a speaker")
    seen = appearances or {}
    order = {entity: position for position, entity in enumerate(candidates)}
    return max(
        candidates,
        key=lambda e: (centrality.get(e, 0.0), seen.get(e, 0), -order[e]),
    )


class SceneDirection(_Value):
    """How one moment is directed: its act, the tension aimed for, whose eyes we see through
    (``pov``, always a participant) and what the telling dwells on (``focus``)."""

    act: Act
    act_number: int = Field(ge=1)
    target_tension: float = Field(ge=0.0, le=1.0)
    pov: str
    focus: str = ""


# ---- NONLINEAR ----------------------------------------------------------------------------

PresentationKind = Literal["reverse", "in_medias_res", "interleaved", "shuffled"]


def presentation_order(
    causal: Sequence[str],
    kind: PresentationKind,
    *,
    importance: Mapping[str, float] | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[str, ...]:
    """The moments in the order they are told, a permutation of ``causal``.

    - ``reverse``: last to first.
    - ``in_medias_res``: the most important moment after the first (earliest on ties), then
      back to the start, then onward past it.
    - ``interleaved``: alternating from both ends, the ending first (last, first, second to
      last, second, ...).
    - ``shuffled``: a permutation drawn from ``rng``; when the draw is the causal order it is
      rotated by one, so it never is.

    Every kind differs from ``causal`` when it holds two or more moments. ``importance`` is
    needed by ``in_medias_res``; ``rng`` by ``shuffled``.
    """
    ids = list(causal)
    if len(set(ids)) != len(ids):
        raise ConfigError("causal order repeats a timepoint id; each moment must appear once")
    if len(ids) < 2:
        return tuple(ids)
    if kind == "reverse":
        return tuple(reversed(ids))
    if kind == "in_medias_res":
        if importance is None:
            raise ConfigError("in_medias_res needs the importance of each moment")
        later = ids[1:]
        opening = max(later, key=lambda t: (importance.get(t, 0.0), -ids.index(t)))
        at = ids.index(opening)
        return (opening, *ids[:at], *ids[at + 1 :])
    if kind == "interleaved":
        order: list[str] = []
        low, high = 0, len(ids) - 1
        while low <= high:
            order.append(ids[high])
            if low < high:
                order.append(ids[low])
            low, high = low + 1, high - 1
        return tuple(order)
    if kind == "shuffled":
        if rng is None:
            raise ConfigError("shuffled presentation needs a seeded numpy Generator")
        drawn = [ids[i] for i in rng.permutation(len(ids)).tolist()]
        if drawn == ids:
            drawn = drawn[1:] + drawn[:1]
        return tuple(drawn)
    raise ConfigError(
        f"nonlinear.presentation {kind!r} is unknown; expected reverse, in_medias_res, "
        "interleaved or shuffled"
    )


def with_details(order: Sequence[str], timepoints: Iterable[Timepoint]) -> tuple[str, ...]:
    """``order`` (moments of the line) with each moment's details (M8 sub-moments, at any
    depth) told right after it, in the order they were added; timepoints anchored to no
    listed moment follow at the end."""
    tps = list(timepoints)
    by_id = {tp.id: tp for tp in tps}
    details: dict[str, list[str]] = {tid: [] for tid in order}
    loose: list[str] = []
    for tp in tps:
        if tp.moment_of is None:
            if tp.id not in details:
                loose.append(tp.id)
            continue
        anchor = _anchor(tp, by_id)
        details.get(anchor, loose).append(tp.id)
    told = [tid for moment in order for tid in (moment, *details[moment])]
    return (*told, *loose)


def _anchor(tp: Timepoint, by_id: Mapping[str, Timepoint]) -> str:
    """The moment of the line a detail belongs to (following ``moment_of`` upward)."""
    current, seen = tp, set()
    while current.moment_of is not None and current.id not in seen:
        seen.add(current.id)
        parent = by_id.get(current.moment_of)
        if parent is None:
            return current.moment_of
        current = parent
    return current.id


# ---- CYCLICAL -----------------------------------------------------------------------------


class CyclePosition(_Value):
    """Where a moment sits in the cycles: ``cycle`` and ``position`` count from 0."""

    cycle: int = Field(ge=0)
    position: int = Field(ge=0)
    length: int = Field(ge=1)

    @property
    def opens(self) -> bool:
        """True for the first moment of a cycle."""
        return self.position == 0

    @property
    def closes(self) -> bool:
        """True for the last moment of a cycle, which closes the loop onto its first."""
        return self.position == self.length - 1


def cycle_position(index: int, cycle_length: int) -> CyclePosition:
    """The cycle and position of the ``index``-th moment of the line."""
    if cycle_length < 1:
        raise ConfigError(f"cyclical.cycle_length must be at least 1, got {cycle_length}")
    if index < 0:
        raise ConfigError(f"a timepoint index must be 0 or more, got {index}")
    cycle, position = divmod(index, cycle_length)
    return CyclePosition(cycle=cycle, position=position, length=cycle_length)


def whole_cycles(steps: int, cycle_length: int) -> int:
    """``steps`` rounded up to whole cycles (a CYCLICAL run never ends mid-cycle)."""
    if cycle_length < 1:
        raise ConfigError(f"cyclical.cycle_length must be at least 1, got {cycle_length}")
    if steps < 1:
        raise ConfigError(f"timeline.steps must be at least 1, got {steps}")
    return -(-steps // cycle_length) * cycle_length


def cycle_closures(line: Sequence[str], cycle_length: int) -> dict[str, str]:
    """``{last: first}`` for each complete cycle of the line (a trailing partial cycle is not
    closed)."""
    if cycle_length < 1:
        raise ConfigError(f"cyclical.cycle_length must be at least 1, got {cycle_length}")
    return {
        line[start + cycle_length - 1]: line[start]
        for start in range(0, len(line) - cycle_length + 1, cycle_length)
    }

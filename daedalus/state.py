"""Graph state: the typed dictionaries LangGraph threads through every node (DESIGN section 3),
and the reducers that merge what several nodes (or parallel branches) write to one key.

Values are the immutable domain models; logs append through id-deduplicating reducers, maps
merge, counters add. A branch that returns an item twice (a retried ``Send``, a subgraph
echoing its input) cannot duplicate it. Nothing here holds a live graph, a numpy scalar or a
client, so every superstep serializes small. Mode graphs extend ``SimState`` with their own
keys (a ``TypedDict`` subclass); the shared pieces read and write only these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Protocol, TypeVar, get_args, get_origin, get_type_hints

from langgraph.channels.delta import DeltaChannel
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from daedalus.domain import (
    Atmosphere,
    CognitiveState,
    Crowd,
    Dialog,
    DialogTurn,
    Entity,
    EntityKind,
    Environment,
    ExposureEvent,
    PhysicalState,
    ProspectiveState,
    Relationship,
    ResolutionLevel,
    Timepoint,
)
from daedalus.errors import StateConflictError
from daedalus.kernel.dialog import Contradiction, GateVerdict, SteeringDecision, SurfaceIssue
from daedalus.kernel.strategy import FidelityPlan
from daedalus.kernel.tensors import CompressedTensor, FittedCompression, TTMTensor
from daedalus.provenance.fourth_wall import FourthWallContext, PublicView
from daedalus.scenario import Scenario

__all__ = [
    "DialogState",
    "GateRecord",
    "SimState",
    "Snapshot",
    "ValidationRecord",
    "add_counts",
    "append_unique",
    "apply_update",
    "delta",
    "delta_value",
    "latest",
    "merge_map",
    "merge_nested",
]

SNAPSHOT_EVERY = 64
"""Writes to a delta channel between two checkpoints that hold its whole value."""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)
V = TypeVar("V")


def append_unique(left: Sequence[T] | None, right: Sequence[T] | None) -> list[T]:
    """Append ``right`` to ``left``, skipping items whose id is already there with equal value.

    Raises ``StateConflictError`` when an id comes back with different content: logs never
    change what they recorded.
    """
    merged = list(left or ())
    if not right:
        return merged
    seen = {item.id: item for item in merged}
    for item in right:
        previous = seen.get(item.id)
        if previous is None:
            seen[item.id] = item
            merged.append(item)
        elif previous != item:
            kind = type(item).__name__
            message = f"{kind} {item.id!r} was recorded twice with different content"
            raise StateConflictError(message)
    return merged


def merge_map(left: Mapping[str, V] | None, right: Mapping[str, V] | None) -> dict[str, V]:
    """Key-by-key merge; the update wins for keys present in both."""
    merged = dict(left or {})
    if right:
        merged.update(right)
    return merged


def merge_nested(
    left: Mapping[str, Mapping[str, V]] | None, right: Mapping[str, Mapping[str, V]] | None
) -> dict[str, dict[str, V]]:
    """Two-level merge (for example entity -> timepoint -> resolution)."""
    merged = {key: dict(inner) for key, inner in (left or {}).items()}
    for key, inner in (right or {}).items():
        merged.setdefault(key, {}).update(inner)
    return merged


def add_counts(left: Mapping[str, int] | None, right: Mapping[str, int] | None) -> dict[str, int]:
    """Sum counters key by key (mechanism counts, usage tallies)."""
    merged = dict(left or {})
    for key, count in (right or {}).items():
        merged[key] = merged.get(key, 0) + count
    return merged


def delta(reducer: Callable[[Any, Any], Any]) -> DeltaChannel[Any]:
    """A channel that checkpoints what was written to it, not its whole value.

    LangGraph stores every other channel's full value in every checkpoint, so a log that grows
    with the run made each checkpoint grow with it and the run's checkpoints grow with its
    square. A delta channel keeps only the writes (each superstep's new items) and a full
    value every ``SNAPSHOT_EVERY`` writes; reading a checkpoint replays the writes since.
    ``reducer`` is the key's usual two-argument reducer, folded over each batch of writes.
    """

    def fold(value: Any, writes: Sequence[Any]) -> Any:
        for write in writes:
            value = reducer(value, write)
        return value

    fold.__qualname__ = fold.__name__ = f"fold_{reducer.__name__}"
    return DeltaChannel(fold, snapshot_frequency=SNAPSHOT_EVERY)


class _ValueChannel(DeltaChannel[Any]):
    """A delta channel over a value that has no empty form (a model): ``None`` until written."""

    def __init__(
        self,
        reducer: Callable[[Any, Sequence[Any]], Any],
        typ: type[Any] | None = None,
        *,
        snapshot_frequency: int = SNAPSHOT_EVERY,
    ) -> None:
        # LangGraph passes the key's annotated type; a model cannot be built empty, so the
        # channel starts from None whatever the annotation says.
        super().__init__(reducer, type(None), snapshot_frequency=snapshot_frequency)


def delta_value(reducer: Callable[[Any, Sequence[Any]], Any]) -> DeltaChannel[Any]:
    """A delta channel (see ``delta``) over one value, ``None`` until first written;
    ``reducer`` takes the value and a batch of writes."""
    return _ValueChannel(reducer)


def latest(value: Any, writes: Sequence[Any]) -> Any:
    """The last write wins (a value replaced whole, stored only when written)."""
    return writes[-1] if writes else value


def apply_update(
    state: Mapping[str, Any], update: Mapping[str, Any], schema: type
) -> dict[str, Any]:
    """``state`` after ``update``, combining keys the way a graph of ``schema`` would: a key
    annotated with a reducer goes through it, any other key is replaced."""
    hints = get_type_hints(schema, include_extras=True)
    merged = dict(state)
    for key, value in update.items():
        reducer = _reducer_of(hints.get(key))
        merged[key] = reducer(merged.get(key), value) if reducer is not None else value
    return merged


def _reducer_of(hint: object) -> Callable[[Any, Any], Any] | None:
    if get_origin(hint) is Annotated:
        for extra in get_args(hint)[1:]:
            if isinstance(extra, DeltaChannel):
                return _one_write(extra)
            if callable(extra):
                return extra  # type: ignore[no-any-return]
    return None


def _one_write(channel: DeltaChannel[Any]) -> Callable[[Any, Any], Any]:
    def reduce(value: Any, write: Any) -> Any:
        return channel.reducer(value, [write])

    return reduce


class Snapshot(BaseModel):
    """Minds, bodies and relationships right after a timepoint was simulated.

    Every dialog files one under its timepoint (M13): its participants' minds and bodies and the
    relationships among them after the talk. Entity-evolution and relationship-dynamics training
    examples compare snapshots; ``Snapshot.of(state, timepoint_id)`` takes a whole one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timepoint_id: str
    cognitive: dict[str, CognitiveState] = Field(default_factory=dict)
    physical: dict[str, PhysicalState] = Field(default_factory=dict)
    relationships: dict[str, Relationship] = Field(default_factory=dict)

    @classmethod
    def of(cls, state: Mapping[str, Any], timepoint_id: str) -> Snapshot:
        """The state's current minds, bodies and relationships, filed under ``timepoint_id``."""
        return cls(
            timepoint_id=timepoint_id,
            cognitive=dict(state.get("cognitive") or {}),
            physical=dict(state.get("physical") or {}),
            relationships=dict(state.get("relationships") or {}),
        )


class ValidationRecord(BaseModel):
    """A validator finding and what was done about it (M4 enforcement)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    validator: str
    entity_id: str | None = None
    timepoint_id: str | None = None
    message: str
    action: str = Field(description="repaired | rejected | recorded")


class GateRecord(BaseModel):
    """One quality-gate decision on a dialog turn (kept for the run report)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    turn_index: int
    speaker: str
    issues: tuple[SurfaceIssue, ...] = ()
    details: tuple[str, ...] = ()
    action: str = Field(description="replaced | accepted_after_retries | withdrawn")


class DialogState(TypedDict, total=False):
    """State of the dialog subgraph (M11): one conversation at one timepoint.

    The wrapper node fills the inputs from the simulation state; the subgraph writes the turns
    and the post-dialog outputs, and the wrapper hands only those back to the parent graph.
    """

    # inputs
    dialog_id: str
    timepoint: Timepoint
    participants: tuple[str, ...]
    kinds: dict[str, EntityKind]
    public: PublicView
    contexts: dict[str, FourthWallContext]
    baseline: dict[str, CognitiveState]
    cognitive: dict[str, CognitiveState]
    tensors: dict[str, TTMTensor]
    phi: dict[str, float]
    relationships: dict[str, Relationship]
    physical: dict[str, PhysicalState]
    atmosphere: Atmosphere
    turn_budget: int
    max_retries: int
    quality_threshold: float
    animism: int
    stripped: int
    """Exposures of the participants kept out of their prompts by causal filtering (M7)."""
    # the loop
    turns: list[DialogTurn]
    decision: SteeringDecision | None
    feedback: str
    feedback_rewrite: bool
    retries: int
    final_retries: int
    redo_index: int | None
    mood: str
    tension: float
    ended: bool
    end_reason: str
    verdict: GateVerdict | None
    gate_log: Annotated[list[GateRecord], lambda a, b: [*(a or []), *(b or [])]]
    mechanisms: Annotated[dict[str, int], add_counts]
    # post-dialog outputs
    told: list[ExposureEvent]
    relationship_deltas: dict[str, tuple[float, float]]
    relationships_after: dict[str, Relationship]
    contradictions: list[Contradiction]
    prospection: dict[str, ProspectiveState]
    cognitive_after: dict[str, CognitiveState]
    physical_after: dict[str, PhysicalState]
    atmosphere_after: Atmosphere
    validation: list[ValidationRecord]


_ONCE = delta_value(latest)
_LOG = delta(append_unique)
_MAP = delta(merge_map)
_NESTED = delta(merge_nested)


class SimState(TypedDict, total=False):
    """State of a mode graph: the whole simulation of one run (or one branch of it).

    ``branch_id`` is the line this thread writes (``"main"`` unless it is a counterfactual
    branch, M12) and ``intervention`` the changed event a branch starts from.
    ``cursor`` is the timepoint being simulated; ``participants`` maps a timepoint to the
    entities gated into its dialog; ``resolution`` is the level actually used per entity and
    timepoint, ``phi`` the ADPRS activation predicted for it.
    """

    scenario: Annotated[Scenario, _ONCE]
    entities: Annotated[dict[str, Entity], _MAP]
    timepoints: Annotated[list[Timepoint], _LOG]
    exposures: Annotated[list[ExposureEvent], _LOG]
    withheld: Annotated[dict[str, list[str]], _MAP]
    dialogs: Annotated[list[Dialog], _LOG]
    relationships: Annotated[dict[str, Relationship], _MAP]
    cognitive: Annotated[dict[str, CognitiveState], _MAP]
    physical: Annotated[dict[str, PhysicalState], _MAP]
    tensors: Annotated[dict[str, TTMTensor], _MAP]
    compression: Annotated[FittedCompression | None, _ONCE]
    compressed: Annotated[dict[str, CompressedTensor], _MAP]
    compression_error: Annotated[dict[str, float], _MAP]
    prospection: Annotated[dict[str, ProspectiveState], _MAP]
    snapshots: Annotated[dict[str, Snapshot], _MAP]
    environment: Environment
    atmosphere: Atmosphere
    crowd: Crowd
    plan: Annotated[FidelityPlan | None, _ONCE]
    resolution: Annotated[dict[str, dict[str, ResolutionLevel]], _NESTED]
    phi: Annotated[dict[str, dict[str, float]], _NESTED]
    participants: Annotated[dict[str, list[str]], _MAP]
    contradictions: Annotated[list[Contradiction], _LOG]
    validation: Annotated[list[ValidationRecord], _LOG]
    mechanisms: Annotated[dict[str, int], add_counts]
    cursor: str | None
    branch_id: str
    intervention: str | None

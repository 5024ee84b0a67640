"""Heterogeneous fidelity: how much detail each entity gets, and when (M1, M2, M5).

Detail costs tokens, so it is spent where attention lands. This module holds the pure rules:

- M1: a resolution per (entity, timepoint) in an immutable ``FidelityMap``, with token totals
  from ``TOKENS_PER_LEVEL``.
- M5: ``decide_resolution`` picks the level lazily, at query time, from how often the entity is
  asked about, how central it is in the relationship graph and how important the moment is.
- M2: ``record_query`` and ``record_elaboration`` accumulate attention and raise the level when
  thresholds are crossed; ``compress_by_disuse`` lowers it again after idle time.

Time here is a logical tick (an int), never a clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

import networkx as nx
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from daedalus.domain import EntityMetadata, Relationship, ResolutionLevel, Unit
from daedalus.errors import ConfigError

__all__ = [
    "DEFAULT_THRESHOLDS",
    "TOKENS_PER_LEVEL",
    "FidelityMap",
    "FidelityThresholds",
    "compress_by_disuse",
    "decide_resolution",
    "earned_resolution",
    "record_elaboration",
    "record_query",
    "relationship_centrality",
    "relationship_weight",
]

TOKENS_PER_LEVEL: Mapping[ResolutionLevel, int] = MappingProxyType(
    {
        ResolutionLevel.TENSOR_ONLY: 200,
        ResolutionLevel.SCENE: 1_000,
        ResolutionLevel.GRAPH: 3_000,
        ResolutionLevel.DIALOG: 10_000,
        ResolutionLevel.TRAINED: 50_000,
    }
)
"""Rough tokens one (entity, timepoint) cell costs at each level (M1).

The ends come from the mechanism notes: a compressed tensor is ~200 tokens and a fully trained
entity ~50k; dialog-level detail ~10k. SCENE (a line in a scene description plus its share of
the scene prompt) and GRAPH (adds relationship context) sit in between.
"""


class FidelityThresholds(BaseModel):
    """Where attention turns into detail (M2, M5).

    - ``frequent_access``: queries after which an entity is held at least at DIALOG.
    - ``central_node``: eigenvector centrality from which an entity is held at least at GRAPH;
      it is also the floor disuse cannot compress below.
    - ``critical_event``: timepoint importance from which present entities get at least SCENE.
    - ``elaborations_per_level``: elaboration passes that earn one more level, up to TRAINED.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    frequent_access: int = Field(default=5, ge=1)
    central_node: Unit = 0.6
    critical_event: Unit = 0.7
    elaborations_per_level: int = Field(default=2, ge=1)


DEFAULT_THRESHOLDS = FidelityThresholds()
"""The thresholds used when a caller passes none."""


class FidelityMap(BaseModel):
    """A resolution per (entity, timepoint) (M1). Immutable: every change returns a new map.

    ``levels`` is ``entity_id -> timepoint_id -> level``, the same shape the graph state merges.
    A cell that was never set reads as ``default``; only set cells count toward token totals.
    Validation copies the nested dicts, so a caller's dict cannot change a map afterwards.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: Mapping[str, Mapping[str, ResolutionLevel]] = Field(default_factory=dict)
    default: ResolutionLevel = ResolutionLevel.TENSOR_ONLY

    def get(self, entity_id: str, timepoint_id: str) -> ResolutionLevel:
        """The level of one cell, or ``default`` if it was never set."""
        return self.levels.get(entity_id, {}).get(timepoint_id, self.default)

    def set(self, entity_id: str, timepoint_id: str, level: ResolutionLevel) -> FidelityMap:
        """A new map with one cell set to ``level`` (up or down)."""
        levels = {entity: dict(row) for entity, row in self.levels.items()}
        levels.setdefault(entity_id, {})[timepoint_id] = ResolutionLevel(level)
        return FidelityMap(levels=levels, default=self.default)

    def elevate(self, entity_id: str, timepoint_id: str, level: ResolutionLevel) -> FidelityMap:
        """A new map where the cell is at least ``level``; a cell is never lowered here."""
        current = self.get(entity_id, timepoint_id)
        if timepoint_id in self.levels.get(entity_id, {}) and current >= level:
            return self
        return self.set(entity_id, timepoint_id, max(current, ResolutionLevel(level)))

    def cells(self) -> Iterator[tuple[str, str, ResolutionLevel]]:
        """Every set cell as ``(entity_id, timepoint_id, level)``, sorted by ids."""
        for entity_id in sorted(self.levels):
            row = self.levels[entity_id]
            for timepoint_id in sorted(row):
                yield entity_id, timepoint_id, row[timepoint_id]

    def total_tokens(self) -> int:
        """Estimated tokens of every set cell, from ``TOKENS_PER_LEVEL``."""
        return sum(TOKENS_PER_LEVEL[level] for _, _, level in self.cells())

    def tokens_by_entity(self) -> dict[str, int]:
        """Estimated tokens per entity over its set cells."""
        return {
            entity_id: sum(TOKENS_PER_LEVEL[level] for level in row.values())
            for entity_id, row in sorted(self.levels.items())
        }

    def level_counts(self) -> dict[ResolutionLevel, int]:
        """How many set cells sit at each level (every level listed, zeros included)."""
        counts = dict.fromkeys(ResolutionLevel, 0)
        for _, _, level in self.cells():
            counts[level] += 1
        return counts


def relationship_weight(relationship: Relationship) -> float:
    """Edge weight of a relationship for centrality: ``trust * (1 + ln(1 + interactions))``.

    Trust sets how much the tie counts; repeated interaction strengthens it with diminishing
    returns. A pair with zero trust carries no weight.
    """
    return relationship.trust * (1.0 + math.log1p(relationship.interaction_count))


def relationship_centrality(
    entity_ids: Iterable[str], relationships: Iterable[Relationship]
) -> dict[str, float]:
    """Eigenvector centrality in [0, 1] of each entity in the relationship graph (M5).

    Edges are weighted by ``relationship_weight``; relationships naming an entity outside
    ``entity_ids`` are ignored, and repeated pairs add their weights. Each connected component
    gets its own principal eigenvector, scaled by its spectral radius relative to the strongest
    component, so a separate pair still counts but less than a dense group. The most central
    entity scores 1.0 whenever any weighted edge exists; isolated entities score 0.0. An empty
    input gives an empty dict. Values are rounded to 12 decimals so symmetric positions tie
    exactly and the result does not depend on input order.
    """
    ids = sorted(set(entity_ids))
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    known = set(ids)
    for relationship in relationships:
        weight = relationship_weight(relationship)
        if relationship.a not in known or relationship.b not in known or weight <= 0.0:
            continue
        previous = graph.get_edge_data(relationship.a, relationship.b, {"weight": 0.0})
        graph.add_edge(relationship.a, relationship.b, weight=previous["weight"] + weight)

    centrality = dict.fromkeys(ids, 0.0)
    radii: list[tuple[float, dict[str, float]]] = []
    for component in nx.connected_components(graph):
        if len(component) < 2:
            continue
        nodes = sorted(component)
        radii.append(_principal_vector(graph, nodes))
    strongest = max((radius for radius, _ in radii), default=0.0)
    if strongest <= 0.0:
        return centrality
    for radius, vector in radii:
        for node, value in vector.items():
            centrality[node] = round(min(1.0, max(0.0, value * radius / strongest)), 12)
    return centrality


def _principal_vector(graph: nx.Graph, nodes: list[str]) -> tuple[float, dict[str, float]]:
    """Spectral radius and principal eigenvector (max 1) of one connected component."""
    adjacency = nx.to_numpy_array(graph, nodelist=nodes, weight="weight", dtype=np.float64)
    eigenvalues, eigenvectors = np.linalg.eigh(adjacency)
    # eigh sorts ascending; a connected non-negative graph has a simple, one-signed top vector.
    vector = np.abs(eigenvectors[:, -1])
    vector = vector / float(vector.max())
    return float(eigenvalues[-1]), {node: float(vector[i]) for i, node in enumerate(nodes)}


def earned_resolution(
    metadata: EntityMetadata, thresholds: FidelityThresholds = DEFAULT_THRESHOLDS
) -> ResolutionLevel:
    """The level an entity's accumulated attention justifies on its own (M2).

    At least DIALOG after ``frequent_access`` queries, at least GRAPH when central, and one level
    per ``elaborations_per_level`` elaboration passes (TRAINED after four such steps). The
    current ``resolution`` is not part of it: this is what disuse compresses back toward.
    """
    level = ResolutionLevel.TENSOR_ONLY
    if metadata.query_count >= thresholds.frequent_access:
        level = max(level, ResolutionLevel.DIALOG)
    if metadata.eigenvector_centrality >= thresholds.central_node:
        level = max(level, ResolutionLevel.GRAPH)
    steps = metadata.training_iterations // thresholds.elaborations_per_level
    return max(level, ResolutionLevel(min(steps, int(ResolutionLevel.TRAINED))))


def decide_resolution(
    metadata: EntityMetadata,
    importance: float,
    thresholds: FidelityThresholds = DEFAULT_THRESHOLDS,
) -> ResolutionLevel:
    """The level to use for an entity at a moment of the given importance, decided lazily (M5).

    The highest of: the entity's current resolution (never lowered here), its earned level
    (frequent access -> DIALOG, central -> GRAPH, elaboration passes), and SCENE when the
    moment's importance reaches ``critical_event``. More queries, more centrality or a more
    important moment never give a lower level.
    """
    if not 0.0 <= importance <= 1.0 or math.isnan(importance):
        raise ConfigError(f"timepoint importance must be in [0, 1], got {importance!r}")
    level = max(metadata.resolution, earned_resolution(metadata, thresholds))
    if importance >= thresholds.critical_event:
        level = max(level, ResolutionLevel.SCENE)
    return level


def record_query(
    metadata: EntityMetadata, tick: int, thresholds: FidelityThresholds = DEFAULT_THRESHOLDS
) -> EntityMetadata:
    """The metadata after one more query at ``tick`` (M2).

    ``query_count`` grows by one, ``last_accessed`` becomes ``tick`` and the resolution rises to
    the earned level if that is higher; a compressed entity asked about again gets its detail
    back. Never lowers anything.
    """
    _check_tick(metadata, tick)
    updated = metadata.model_copy(
        update={"query_count": metadata.query_count + 1, "last_accessed": tick}
    )
    return _raise_to_earned(updated, thresholds)


def record_elaboration(
    metadata: EntityMetadata, tick: int, thresholds: FidelityThresholds = DEFAULT_THRESHOLDS
) -> EntityMetadata:
    """The metadata after one more elaboration pass at ``tick`` (M2).

    ``training_iterations`` grows by one, ``last_accessed`` becomes ``tick``, and every
    ``elaborations_per_level`` passes lift the entity one level toward TRAINED. Never lowers.
    """
    _check_tick(metadata, tick)
    updated = metadata.model_copy(
        update={
            "training_iterations": metadata.training_iterations + 1,
            "last_accessed": tick,
        }
    )
    return _raise_to_earned(updated, thresholds)


def compress_by_disuse(
    metadata: EntityMetadata,
    tick: int,
    idle_ticks: int,
    thresholds: FidelityThresholds = DEFAULT_THRESHOLDS,
) -> EntityMetadata:
    """The metadata with its resolution compressed after disuse (M2).

    Idle time is ``tick - last_accessed`` (from tick 0 for an entity never accessed). Below
    ``idle_ticks`` nothing changes. Otherwise every full ``idle_ticks`` of idleness takes one
    level off the entity's earned level, and the result is the lower of that and the current
    resolution, never below GRAPH for a central entity (TENSOR_ONLY otherwise). Detail that
    queries or elaboration never earned goes at the first idle window.

    Counts and ``last_accessed`` are kept, so the step is idempotent: compressing twice at the
    same tick gives the same result, and a later ``record_query`` restores the earned level.
    """
    if idle_ticks < 1:
        raise ConfigError(f"idle_ticks must be a positive number of ticks, got {idle_ticks}")
    _check_tick(metadata, tick)
    idle = tick - (metadata.last_accessed or 0)
    windows = idle // idle_ticks
    if windows == 0:
        return metadata
    floor = (
        ResolutionLevel.GRAPH
        if metadata.eigenvector_centrality >= thresholds.central_node
        else ResolutionLevel.TENSOR_ONLY
    )
    decayed = max(int(earned_resolution(metadata, thresholds)) - windows, int(floor))
    level = ResolutionLevel(min(int(metadata.resolution), decayed))
    if level == metadata.resolution:
        return metadata
    return metadata.model_copy(update={"resolution": level})


def _raise_to_earned(metadata: EntityMetadata, thresholds: FidelityThresholds) -> EntityMetadata:
    earned = earned_resolution(metadata, thresholds)
    if earned <= metadata.resolution:
        return metadata
    return metadata.model_copy(update={"resolution": earned})


def _check_tick(metadata: EntityMetadata, tick: int) -> None:
    if tick < 0:
        raise ConfigError(f"tick must be a non-negative logical tick, got {tick}")
    if metadata.last_accessed is not None and tick < metadata.last_accessed:
        message = f"tick {tick} is before the entity's last access at tick {metadata.last_accessed}"
        raise ConfigError(message)

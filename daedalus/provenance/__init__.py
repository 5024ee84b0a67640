"""Knowledge provenance (M3, M7, M8, M12): timeline, exposure and causal indexes, knowledge_at,
graph views and Fourth Wall contexts. May import daedalus.domain and errors only.

A ``Timeline`` holds timepoints whose ``causal_parent`` links form a forest; an ``ExposureLog``
holds the exposure events through which knowledge enters entities. Knowledge of an entity at a
timepoint is exactly its exposures at timepoints causally upstream of that timepoint, plus what
it knew before the timeline began. Both logs are append-only and id-deduplicated; ``Provenance``
indexes them lazily (keyed by their lengths) so queries stay fast on large runs. The log is
stored by column (interned strings, one text buffer); ``knowledge_at`` answers an ``Exposures``
sequence whose events are rebuilt from the log when read.

What counts as upstream of a timepoint ``q`` (the causal closure):

- ``q`` itself and every timepoint reached from ``q`` by following ``causal_parent`` (M7);
- M8 vertical expansion: when ``q`` comes after a moment ``m`` without passing through one of
  ``m``'s sub-moments, every detail of ``m`` (its sub-moments, and theirs) is upstream too.
  Inside the expansion, only the details on the causal path (the earlier ones) are;
- M12 branches: a branch links into its parent branch at the fork point, so the shared prefix
  is upstream and the parent's later timepoints are not. A sub-moment must share its moment's
  branch, so nothing on a branch that ``q``'s causal path does not cross is ever upstream.

Timeline order (used for every ordered answer) is a depth-first walk of the forest: roots by
(timestamp, id), and under each timepoint its sub-moments first, then its other children, each
group by (timestamp, id). Naive timestamps are read as UTC.
"""

from daedalus.provenance._exposure_log import Exposures
from daedalus.provenance._provenance import (
    ExposureLog,
    GraphKind,
    Provenance,
    Timeline,
    knowledge_at,
)

__all__ = [
    "ExposureLog",
    "Exposures",
    "GraphKind",
    "Provenance",
    "Timeline",
    "knowledge_at",
]

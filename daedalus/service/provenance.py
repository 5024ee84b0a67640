"""``/api/v1/runs/{id}/...`` views of a finished run: knowledge provenance, the timeline as a
graph, relationships over time and costs (what the dashboard draws)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from daedalus.domain import ID_PATTERN
from daedalus.service._schemas import KnowledgeAnswer
from daedalus.service._state import Reader, ServiceDep
from daedalus.service._views import (
    costs_view,
    knowledge_view,
    relationships_view,
    timeline_view,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["provenance"])


@router.get("/runs/{run_id}/knowledge", summary="What did an entity know at a moment?")
def knowledge(
    run_id: str,
    entity: Annotated[str, Query(pattern=ID_PATTERN, max_length=128)],
    at: Annotated[str, Query(pattern=ID_PATTERN, max_length=128, description="Timepoint id.")],
    _: Reader,
    service: ServiceDep,
) -> KnowledgeAnswer:
    """The exposures ``entity`` could use at timepoint ``at``: only those on timepoints
    causally upstream of it (M3, M7)."""
    return knowledge_view(service.record(run_id), entity, at)


@router.get("/runs/{run_id}/timeline", summary="The timeline as a graph")
def timeline(run_id: str, _: Reader, service: ServiceDep) -> dict[str, Any]:
    """Moments (nodes) with causal edges, the branches (M12) and, for PORTAL, every slot's
    candidates with the chosen one."""
    return timeline_view(service.record(run_id))


@router.get("/runs/{run_id}/relationships", summary="Relationships over time")
def relationships(run_id: str, _: Reader, service: ServiceDep) -> dict[str, Any]:
    """The cast and the relationships as they stood after each moment with a dialog (M13)."""
    return relationships_view(service.record(run_id))


@router.get("/runs/{run_id}/costs", summary="Costs by node and model")
def costs(run_id: str, _: Reader, service: ServiceDep) -> dict[str, Any]:
    return costs_view(service.record(run_id))

"""``/api/v1``: the template catalogue, the model registry, estimates and the calling key."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter

from daedalus.llm.registry import ModelRegistry
from daedalus.runs import Estimate, estimate
from daedalus.service._schemas import KeyView, RunRequest, TemplateItem
from daedalus.service._state import Reader, ServiceDep
from daedalus.service.runs import run_request
from daedalus.service.worker import scenario_of
from daedalus.templates import list_templates

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@cache
def _templates() -> tuple[TemplateItem, ...]:
    return tuple(TemplateItem(**info._asdict()) for info in list_templates())


@router.get("/templates", summary="Shipped scenario templates")
def templates(_: Reader) -> list[TemplateItem]:
    return list(_templates())


@router.get("/models", summary="The model registry")
def models(_: Reader) -> list[dict[str, Any]]:
    """Every registered model with prices (dollars per token), context and capabilities."""
    return [
        {
            "id": m.id, "name": m.name, "context_length": m.context_length,
            "prompt_price": m.prompt_price, "completion_price": m.completion_price,
            "capabilities": sorted(c.value for c in m.capabilities), "licence": m.licence,
            "synthetic_data_ok": m.synthetic_data_ok,
        }
        for m in ModelRegistry.default()
    ]


@router.post("/estimate", summary="Estimate a run before submitting it")
def estimate_run(body: RunRequest, key: Reader, service: ServiceDep) -> Estimate:
    """Calls, tokens and dollars a run of the scenario should take (nothing is queued)."""
    checked = body.model_copy(update={"budget_usd": None})
    request = run_request(checked, service, key.model_copy(update={"quota_usd_per_day": None}))
    return estimate(scenario_of(request), model=body.model)


@router.get("/me", summary="The calling key")
def me(key: Reader) -> KeyView:
    return KeyView(
        id=key.id, scope=key.scope, name=key.name, rate_per_minute=key.rate_per_minute,
        quota_usd_per_day=key.quota_usd_per_day,
    )

"""The API's request and response bodies (pydantic models; they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from daedalus.domain import ID_PATTERN

__all__ = [
    "BatchRequest",
    "BatchRun",
    "BatchSubmitted",
    "BatchSummary",
    "BranchRequest",
    "Distribution",
    "JobView",
    "KeyView",
    "KnowledgeAnswer",
    "KnownItem",
    "RunItem",
    "RunPage",
    "RunRequest",
    "RunView",
    "Submitted",
    "TemplateItem",
]

ShownStatus = Literal["queued", "running", "completed", "failed", "interrupted"]
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$"
BRANCH_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRequest(_Body):
    """A run to submit: exactly one of ``template`` (a shipped template id) or ``yaml``
    (template text), a seed and model options."""

    template: str | None = Field(
        default=None, pattern=ID_PATTERN, max_length=128, examples=["board_meeting"]
    )
    yaml: str | None = Field(default=None, description="A scenario template as YAML text.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    model: str | None = Field(
        default=None, pattern=MODEL_PATTERN, max_length=200,
        description="'offline', a registry model id, or none for the server's default.",
    )
    budget_usd: float | None = Field(default=None, ge=0.0, le=1e6)
    budget_mode: Literal["hard", "soft", "max"] | None = None
    offline_latency: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Seconds the offline model waits per call."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.template is None) == (self.yaml is None):
            raise ValueError("send exactly one of 'template' (a shipped template id) or 'yaml'")
        return self


class BatchRun(_Body):
    """One run of a batch: exactly one of ``template`` or ``yaml``, a seed and overrides of
    template fields by dotted path (``{"dialog.max_turns": 4}``)."""

    template: str | None = Field(
        default=None, pattern=ID_PATTERN, max_length=128, examples=["board_meeting"]
    )
    yaml: str | None = Field(default=None, description="A scenario template as YAML text.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    overrides: dict[str, Any] = Field(
        default_factory=dict, max_length=50, description="Dotted field path -> value."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.template is None) == (self.yaml is None):
            raise ValueError("send exactly one of 'template' (a shipped template id) or 'yaml'")
        return self


class BatchRequest(_Body):
    """Several runs (up to 100) carried out together by the batch runner under one budget."""

    runs: list[BatchRun] = Field(min_length=1, max_length=100)
    model: str | None = Field(
        default=None, pattern=MODEL_PATTERN, max_length=200,
        description="'offline', a registry model id, or none for the server's default.",
    )
    budget_usd: float | None = Field(
        default=None, ge=0.0, le=1e6, description="A hard cap over the whole batch."
    )
    run_budget_usd: float | None = Field(
        default=None, ge=0.0, le=1e6, description="A hard cap per run."
    )
    workers: int = Field(default=2, ge=1, le=8, description="Runs carried out at once.")
    offline_latency: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Seconds the offline model waits per call."
    )


class BatchSubmitted(BaseModel):
    """What a batch submission returns: the batch to follow."""

    batch_id: str
    job_id: str
    size: int
    status: Literal["queued"] = "queued"
    links: dict[str, str]


class BranchRequest(_Body):
    """A counterfactual branch of a finished forward-mode run (M12)."""

    at: str = Field(pattern=ID_PATTERN, max_length=128, description="Timepoint to fork after.")
    intervention: str = Field(min_length=1, max_length=2000)
    branch_id: str | None = Field(default=None, pattern=BRANCH_PATTERN, max_length=40)


class JobView(BaseModel):
    id: str
    kind: str
    status: str
    attempts: int
    error: str | None


class Submitted(BaseModel):
    """What a submission returns: the run (and batch) to follow."""

    run_id: str
    job_id: str
    status: Literal["queued"] = "queued"
    links: dict[str, str]


class RunItem(BaseModel):
    """One run in a listing."""

    id: str
    template: str
    mode: str
    model: str
    status: ShownStatus
    timepoints: int
    dialogs: int
    calls: int
    tokens: int
    cost_usd: float
    offline: bool
    started_at: datetime | None
    completed_at: datetime | None


class RunPage(BaseModel):
    items: list[RunItem]
    total: int
    limit: int
    offset: int


class RunView(RunItem):
    """A run with its jobs and its latest progress event."""

    title: str | None
    seed: int | None
    jobs: list[JobView]
    last_event: dict[str, Any] | None
    branches: list[dict[str, Any]]
    links: dict[str, str]


class KnownItem(BaseModel):
    id: str
    kind: str
    information: str
    source: str
    source_name: str
    timepoint_id: str | None
    confidence: float


class KnowledgeAnswer(BaseModel):
    """What an entity could know at a moment: exposures causally upstream of it (M3, M7)."""

    run_id: str
    entity: str
    entity_name: str
    timepoint: str
    known: list[KnownItem]


class TemplateItem(BaseModel):
    id: str
    mode: str
    tier: str
    name: str


class KeyView(BaseModel):
    """The calling key, as the server sees it (never the key itself)."""

    id: str
    scope: str
    name: str
    rate_per_minute: int
    quota_usd_per_day: float | None


class Distribution(BaseModel):
    """A figure across a batch's completed runs."""

    values: list[float]
    min: float | None
    max: float | None
    mean: float | None


class BatchSummary(BaseModel):
    """A batch: its runs by status (``queued`` until the worker starts each one) and the
    distribution of their outcomes over the completed ones."""

    id: str
    created_at: datetime
    size: int
    status: dict[str, int]
    error: str | None = Field(default=None, description="Why the batch job failed, if it did.")
    runs: list[RunItem]
    outcomes: dict[str, Distribution]
    mechanisms: dict[str, Distribution]

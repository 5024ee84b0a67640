"""M5 queries on a stored run: answer from provenance, elevate resolution, save."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from daedalus.graphs.query import QueryAnswer, answer_query
from daedalus.llm.ledger import Ledger
from daedalus.runs._execute import record_state, run_coroutine
from daedalus.runs._router import build_router
from daedalus.state import SimState, apply_update
from daedalus.store.record import RunRecord

if TYPE_CHECKING:
    from daedalus.runs._run import Run

__all__ = ["ask"]


def ask(run: Run, question: str, *, model: str | None = None) -> tuple[QueryAnswer, RunRecord]:
    """Answer ``question`` about ``run`` and save the elevated resolution (and any entity the
    question made the run generate, M9); returns the answer and the updated record."""
    record = run.record
    meta = record.run
    chosen = model or (meta.model if meta.model != "auto" else None)
    with run.open_store() as store:
        log = store.call_log(meta.id)
        choice = build_router(
            model=chosen, base_url=None, seed=meta.seed, budget_usd=None, budget_mode="soft",
            concurrency=4, offline_latency=0.0, cache=store.cache(),
            ledger=Ledger(on_record=log.append),
        )
        state = record_state(record)
        asked = answer_query(cast(SimState, state), question, choice.router)
        answer: QueryAnswer = run_coroutine(asked)
        state = apply_update(state, answer.updates, SimState)
        updated = RunRecord.from_state(state, meta=meta, ledger=log.read())
        store.runs.save_record(updated)
    return answer, updated

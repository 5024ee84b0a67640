"""A run driven by a router of the caller's own (any LangChain chat model)."""

import pytest

import daedalus
from daedalus.errors import RunError
from daedalus.llm import OfflineChatModel, Router
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.record import RunMeta


def test_a_handed_in_router_drives_the_run_and_its_ledger_is_kept(tmp_path):
    router = Router.for_chat_model(OfflineChatModel(seed=2), model_id="my-model")
    run = daedalus.run("convergence_simple", store=tmp_path, router=router)
    assert run.record.run.model == "custom" and run.status == "completed"
    assert run.ledger.records == router.ledger.records and run.ledger.totals().calls > 0
    assert {row.model for row in run.ledger.records} == {"my-model"}


def test_resuming_a_custom_router_run_needs_the_router(tmp_path):
    layout = StoreLayout(tmp_path).create()
    meta = RunMeta(id="r1", template="convergence_simple", mode="pearl", seed=0, model="custom",
                   status="interrupted", started_at="2026-01-01T00:00:00Z")
    with SqliteRunStore(layout.runs_db) as runs:
        runs.create_run(meta)
        record = runs.load_record("r1")
        runs.save_record(record.model_copy(update={"scenario": daedalus.load_template("convergence_simple")}))
    with pytest.raises(RunError, match="pass router="):
        daedalus.resume("r1", store=tmp_path)


def test_branch_with_a_bad_id_is_a_config_error(tmp_path):
    from daedalus.errors import ConfigError

    run = daedalus.run("convergence_simple", store=tmp_path)
    with pytest.raises(ConfigError, match="branch id"):
        daedalus.branch(run, at="tp-000", intervention="x", branch_id="Bad Id!", store=tmp_path)


def test_run_options_are_kept_for_resume_and_branch(tmp_path):
    run = daedalus.run("convergence_simple", store=tmp_path, budget=1.5, budget_mode="hard")
    meta = run.record.run
    assert (meta.budget_usd, meta.budget_mode, meta.base_url) == (1.5, "hard", None)

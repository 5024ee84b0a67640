"""One offline run of every shipped template, shared by the tests that read them."""

from __future__ import annotations

from pathlib import Path

import pytest

import daedalus.runs as R
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.record import RunRecord
from daedalus.templates import list_templates

TEMPLATES = [t.id for t in list_templates()]


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store holding an offline run of every shipped template (run id = template id)."""
    root = tmp_path_factory.mktemp("all_templates")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        for template in TEMPLATES:
            R.run(template, store=root, run_id=template)
    return root


@pytest.fixture(scope="session")
def template_records(template_store: Path) -> dict[str, RunRecord]:
    """The records of ``template_store`` as the runs left them (read before any query)."""
    with SqliteRunStore(StoreLayout(template_store).runs_db) as runs:
        return {template: runs.load_record(template) for template in TEMPLATES}

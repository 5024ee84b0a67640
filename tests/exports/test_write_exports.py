import pytest

from daedalus.errors import ConfigError
from daedalus.exports import EXPORT_FORMATS, write_exports
from daedalus.store import SqliteRunStore

ALL_KEYS = {"json", "markdown", "fountain", "jsonl", "jsonl.entity_evolution",
            "jsonl.dialog_synthesis", "jsonl.knowledge_flow", "jsonl.relationship_dynamics",
            "graphml.timeline", "graphml.exposures"}


def test_every_format_is_written_by_default(record, tmp_path):
    out = tmp_path / "exports" / "run-0001"
    written = write_exports(record, out)
    assert set(written) == ALL_KEYS
    assert all(path.parent == out and path.stat().st_size > 0 for path in written.values())
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written.values())
    assert written["json"].name == "run.json" and written["markdown"].name == "narrative.md"
    assert written["fountain"].name == "screenplay.fountain"


def test_a_subset_of_formats(record, tmp_path):
    assert set(write_exports(record, tmp_path, formats=["fountain", "json"])) == {"json", "fountain"}
    assert set(write_exports(record, tmp_path / "one", formats="markdown")) == {"markdown"}


def test_an_unknown_format_names_it_and_the_valid_ones_and_writes_nothing(record, tmp_path):
    with pytest.raises(ConfigError) as caught:
        write_exports(record, tmp_path / "out", formats=["json", "pdf"])
    assert "'pdf'" in str(caught.value)
    assert all(name in str(caught.value) for name in EXPORT_FORMATS)
    assert not (tmp_path / "out").exists()


def test_exports_of_a_record_read_back_from_the_store_are_byte_identical(record, tmp_path):
    with SqliteRunStore.at(tmp_path / "store") as store:
        store.save_record(record)
        loaded = store.load_record(record.run.id)
    first = write_exports(record, tmp_path / "a")
    second = write_exports(loaded, tmp_path / "b")
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes(), key

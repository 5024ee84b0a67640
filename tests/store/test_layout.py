from pathlib import Path

from daedalus.store import DEFAULT_STORE_DIR, STORE_ENV, StoreLayout, store_dir


def test_an_explicit_directory_wins(tmp_path):
    assert store_dir(tmp_path / "mine", environ={STORE_ENV: "/elsewhere"}) == tmp_path / "mine"


def test_the_environment_comes_next_then_the_default():
    assert store_dir(None, environ={STORE_ENV: "/data/runs"}) == Path("/data/runs")
    assert store_dir(None, environ={STORE_ENV: "  "}) == DEFAULT_STORE_DIR
    assert store_dir(None, environ={}) == Path("daedalus_runs")
    assert store_dir("", environ={}) == Path("daedalus_runs")


def test_the_process_environment_is_read_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "from-env"))
    assert StoreLayout.at().root == tmp_path / "from-env"
    monkeypatch.delenv(STORE_ENV)
    assert StoreLayout.at().root == DEFAULT_STORE_DIR


def test_the_layout_names_every_file(tmp_path):
    layout = StoreLayout(tmp_path)
    assert layout.runs_db == tmp_path / "runs.sqlite"
    assert layout.checkpoints_db == tmp_path / "checkpoints.sqlite"
    assert layout.cache_db == tmp_path / "cache.sqlite"
    assert layout.exports_dir("run-7") == tmp_path / "exports" / "run-7"
    assert layout.run_paths("run-7") == {
        "store": "runs.sqlite", "checkpoints": "checkpoints.sqlite", "cache": "cache.sqlite",
        "exports": "exports/run-7",
    }
    for relative in layout.run_paths("run-7").values():
        assert (tmp_path / relative).parent == tmp_path or relative.startswith("exports/")


def test_create_makes_the_directory_and_nothing_else(tmp_path):
    layout = StoreLayout(tmp_path / "a" / "b").create()
    assert layout.root.is_dir() and list(layout.root.iterdir()) == []


def test_a_string_root_becomes_a_path(tmp_path):
    layout = StoreLayout(str(tmp_path))
    assert layout.root == tmp_path and layout.runs_db == tmp_path / "runs.sqlite"

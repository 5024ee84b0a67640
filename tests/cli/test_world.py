import json

import yaml

from tests.cli.support import invoke, one_error_line
from tests.world.conftest import small_config


def _preset(tmp_path, **changes) -> str:
    path = tmp_path / "islet.yaml"
    data = small_config(persons=600, firms=50, **changes).model_dump(mode="json")
    data["name"] = "islet"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_world_run_writes_a_run_and_prints_the_kpis(tmp_path):
    store = tmp_path / "store"
    result = invoke("world", "run", _preset(tmp_path), "--ticks", 4, "--snapshot-every", 2,
                    "--store", store)
    assert result.exit_code == 0, result.output
    assert "islet, 4 days in" in result.output and "ticks/s" in result.output
    assert "unemployment" in result.output and "energy reliability" in result.output
    (folder,) = (store / "worlds").iterdir()
    assert sorted(p.name for p in (folder / "snapshots").iterdir()) == [
        "tick_000000", "tick_000002", "tick_000004"
    ]


def test_world_run_json_then_plot_and_replay_the_last_run(tmp_path):
    store = tmp_path / "store"
    result = invoke("world", "run", _preset(tmp_path), "--ticks", 3, "--store", store, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ticks"] == 3 and len(summary["digest"]) == 64
    plotted = invoke("world", "plot", "last", "--store", store)
    assert plotted.exit_code == 0 and "charts in" in plotted.output
    assert (store / "worlds" / summary["run_id"] / "charts" / "overview.png").exists()
    replayed = invoke("world", "replay", summary["run_id"], "--store", store)
    assert replayed.exit_code == 0 and "3 digests identical" in replayed.output


def test_world_run_takes_a_seed(tmp_path):
    store = tmp_path / "store"
    digests = {
        json.loads(invoke("world", "run", _preset(tmp_path), "--ticks", 2, "--seed", seed,
                          "--store", store, "--json").stdout)["digest"]
        for seed in (1, 2, 1)
    }
    assert len(digests) == 2


def test_bad_input_is_one_line_and_exit_code_2(tmp_path):
    unknown = invoke("world", "run", "atlantis", "--store", tmp_path)
    assert unknown.exit_code == 2
    assert "no world preset named 'atlantis'" in one_error_line(unknown)
    broken = tmp_path / "bad.yaml"
    broken.write_text("name: x\nrandom_seed: -1\n")
    bad = invoke("world", "run", broken, "--store", tmp_path)
    assert bad.exit_code == 2 and "random_seed" in one_error_line(bad)
    missing = invoke("world", "plot", "last", "--store", tmp_path / "empty")
    assert missing.exit_code == 2 and "no world runs in" in one_error_line(missing)
    nope = invoke("world", "replay", "world-nope", "--store", tmp_path)
    assert nope.exit_code == 2 and "no world run 'world-nope'" in one_error_line(nope)


def test_world_presets_lists_the_shipped_sizes():
    result = invoke("world", "presets")
    assert result.exit_code == 0
    assert "tiny_island" in result.output and "50,000 persons" in result.output

import pytest

from daedalus.errors import ConfigError
from daedalus.world import list_presets, load_preset, parse_preset
from daedalus.world.config import WorldConfig

SPEC_SIZES = {  # persons, firms, goods per the spec's preset table
    "tiny_island": (50_000, 3_000, 6),
    "laptop_small": (150_000, 8_000, 8),
    "medium": (300_000, 15_000, 10),
    "large": (500_000, 25_000, 12),
}


def test_the_shipped_presets_are_the_specs():
    assert list_presets() == sorted(SPEC_SIZES)


@pytest.mark.parametrize("name", sorted(SPEC_SIZES))
def test_each_preset_has_the_specs_counts(name):
    config = load_preset(name)
    assert (
        config.population.persons, config.economy.firms, len(config.economy.goods)
    ) == SPEC_SIZES[name]
    assert config.snapshot.compression == "zstd" and config.snapshot.every_ticks == 30


def test_tiny_island_has_banks_and_no_conflict():
    config = load_preset("tiny_island")
    assert config.finance.enable_banks and not config.trade.conflict
    assert (config.spatial.width_tiles, config.spatial.height_tiles) == (128, 64)


def _yaml(**changes: str) -> str:
    text = load_preset("tiny_island").model_dump_json()
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"persons":50000', '"persons":-3', "population.persons: Input should be greater than or equal to 10 (got -3)"),
    ('"input":"wheat"', '"input":"gold"', "goods[0].input 'gold' must name another good"),
    ('"sector":"agri"', '"sector":"mining"', "goods[0].sector 'mining' is not one of sectors"),
    ('"interbank_market":false', '"interbank_market":true', "no interbank model exists yet"),
    ('"random_seed":7', '"random_seed":7,"colour":"red"', "colour: unknown key"),
])
def test_bad_presets_fail_in_one_line_naming_the_field(old, new, message):
    with pytest.raises(ConfigError) as caught:
        parse_preset(_yaml(**{old: new}), source="my.yaml")
    text = str(caught.value)
    assert text.startswith("my.yaml: ") and message in text and "\n" not in text


def test_unknown_names_files_and_shapes_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="no world preset named 'atlantis'; shipped presets: laptop_small, large"):
        load_preset("atlantis")
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read the file"):
        load_preset(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="expected a mapping of preset fields"):
        parse_preset("- a\n- b\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        parse_preset("name: [unclosed\n")


def test_a_preset_file_loads_by_path(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(_yaml(**{'"name":"tiny_island"': '"name":"mine"'}))
    assert load_preset(path).name == "mine"


def test_scaled_changes_the_counts_only():
    small = load_preset("tiny_island").scaled(500, 40)
    assert (small.population.persons, small.economy.firms) == (500, 40)
    assert isinstance(small, WorldConfig) and small.random_seed == 7

import pytest
import yaml

from daedalus.errors import TemplateError
from daedalus.templates import parse_template
from daedalus.world.grounding import ActorTie, WorldSection, parse_actor

SCENARIO = """
id: grounded
name: Grounded
description: A vote in a town.
mode: pearl
start: 2031-04-07T18:00:00
entities:
  - {id: mayor, name: Mayor}
  - {id: clerk, name: Clerk}
"""


def load(world: dict):
    data = yaml.safe_load(SCENARIO)
    data["world"] = world
    return parse_template(yaml.safe_dump(data), source="grounded.yaml")


GOOD = {"preset": "tiny_island", "ticks": [3, 9], "place": {"name": "Port", "region": 1},
        "actors": {"mayor": "government"}}


def test_a_good_section_loads_with_its_ties():
    world = load(GOOD).world
    assert world is not None and world.region == 1
    assert world.ties() == {"mayor": ActorTie(kind="government", slot=1)}
    assert world.config.name == "tiny_island"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"preset": None}, "give exactly one of preset"),
        ({"run": "somewhere"}, "give exactly one of preset"),
        ({"preset": "atlantis"}, "preset 'atlantis' is not one of"),
        ({"ticks": [9, 3]}, "ticks must be [first, last] with 1 <= first <= last, got [9, 3]"),
        ({"ticks": [0, 3]}, "1 <= first"),
        ({"ticks": [1, 4000]}, "at most 3650 ticks"),
        ({"place": {"name": "Port", "region": 9}}, "place.region 9 is not in the world's 4"),
        ({"place": {"name": "Port", "tile": [500, 1]}}, "place.tile [500, 1] is off the 128 x 64"),
        ({"place": {"name": "Port"}}, "give exactly one of region or tile"),
        ({"actors": {"mayor": "king"}}, "actor 'king' is not one of"),
        ({"actors": {"mayor": "firm"}}, "needs a slot number, like 'firm:0'"),
        ({"actors": {"mayor": "firm:99999"}}, "actors.mayor: 'firm:99999' names slot 99999"),
        ({"actors": {"ghost": "bank:0"}}, "world.actors names unknown entities ['ghost']"),
        ({"signals": ["famine"]}, "signals must name some of"),
        ({"seed": 3, "preset": None, "run": "x"}, "seed applies to a preset"),
        ({"colour": "red"}, "world.colour: unknown key"),
    ],
)
def test_a_bad_section_is_one_line_naming_the_file_and_field(change, expected):
    with pytest.raises(TemplateError) as caught:
        load({**GOOD, **change})
    message = str(caught.value)
    assert "\n" not in message and message.startswith("grounded.yaml: ")
    assert expected in message


def test_a_run_folder_must_hold_a_world_run(tmp_path):
    with pytest.raises(TemplateError, match="not a world run folder"):
        load({**GOOD, "preset": None, "run": str(tmp_path)})


def test_actor_text_forms():
    assert parse_actor("government", default_region=2) == ActorTie(kind="government", slot=2)
    assert parse_actor("government:3") == ActorTie(kind="government", slot=3)
    assert parse_actor(" bank:0 ") == ActorTie(kind="bank", slot=0)
    with pytest.raises(ValueError, match="firm:<slot>"):
        parse_actor("firm:-1")


def test_a_tile_place_lies_in_its_band_of_regions():
    section = WorldSection(preset="tiny_island", ticks=(1, 2),
                           place={"name": "Cove", "tile": [5, 63]})
    assert section.region == 3  # the last of four bands of a 64-tile-high grid

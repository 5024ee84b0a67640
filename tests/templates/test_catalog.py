import pytest

from daedalus.errors import TemplateError
from daedalus.templates import list_templates, load_template, parse_template


def test_every_shipped_template_validates():
    infos = list_templates()
    assert infos, "no templates shipped"
    for info in infos:
        scenario = load_template(info.id)
        assert scenario.id == info.id


def test_loading_a_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "id: mine\nname: Mine\ndescription: d\nmode: pearl\nstart: 2026-01-01\n"
        "entities: [{id: a, name: A}]\n"
    )
    assert load_template(path).id == "mine"
    assert load_template(str(path)).id == "mine"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: x\nname: [", "mine.yaml: line"),
        ("- a\n- b\n", "expected a mapping"),
        (
            "id: x\nname: X\ndescription: d\nmode: pearl\nstart: 2026-01-01\n"
            "entities: [{id: a, name: A, colour: red}]\n",
            "mine.yaml: entities.0.colour: unknown key",
        ),
        (
            "id: x\nname: X\ndescription: d\nmode: pearl\nstart: 2026-01-01\n"
            "entities: [{id: a, name: A}]\ntimeline: {steps: many}\n",
            "mine.yaml: timeline.steps: Input should be a valid integer",
        ),
        ("id: x\nname: X\nmode: pearl\nstart: 2026-01-01\nentities: [{id: a, name: A}]\n",
         "mine.yaml: description: required field is missing"),
    ],
)
def test_errors_name_the_file_and_field(text, expected):
    with pytest.raises(TemplateError) as caught:
        parse_template(text, source="mine.yaml")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_template_lists_the_catalogue():
    with pytest.raises(TemplateError, match=r"no template named 'nope'.*board_meeting"):
        load_template("nope")

"""Schema-valid values from the offline model's filler, for every shape node schemas use."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Annotated, Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from daedalus.domain import (
    ID_PATTERN,
    DialogTurn,
    Entity,
    ExposureEvent,
    ProspectiveState,
    Relationship,
    Timepoint,
)
from daedalus.errors import ModelRequestError
from daedalus.llm._compose import Writer
from daedalus.llm._dice import Dice
from daedalus.llm._material import gather_material
from daedalus.llm._schema_fill import fill_schema

PROMPT = [
    SystemMessage(
        "The harbour council meets in the old customs house at dawn.\n"
        "- ines_ruiz (Ines Ruiz, harbour master): wants the breakwater repaired first.\n"
        "- [exp_7] Tomas Berg heard that the dredger contract was signed in secret.\n"
        '"Nobody leaves until the ledger is read aloud," Ines Ruiz said.\n'
        "A storm is forecast for 2031-10-02, and the fishing fleet is still at sea."
    ),
    HumanMessage("Decide what the council does about the breakwater and the storm."),
]
WRITER = Writer(gather_material(PROMPT))


def fill(schema: dict[str, Any], seed: int | str = 0) -> Any:
    return fill_schema(schema, WRITER, Dice.from_parts("test", seed))


class Mood(Enum):
    CALM = "calm"
    ANGRY = "angry"


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voter: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=24)]
    choice: Literal["for", "against", "abstain"]
    weight: Annotated[int, Field(ge=1, le=9, multiple_of=2)]


class Meeting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=3, max_length=40)]
    summary: str = Field(description="What happened, in one or two sentences")
    reason: str
    mood: Mood
    tension: Annotated[float, Field(gt=0.0, lt=1.0)]
    votes: Annotated[list[Vote], Field(min_length=2, max_length=4)]
    day: dt.date
    starts: dt.datetime
    note: str | None = None
    tags: Annotated[list[str], Field(max_length=3)] = []
    scores: dict[str, Annotated[float, Field(ge=0, le=1)]] = {}
    pair: tuple[int, str]
    ticket: uuid.UUID
    priority: int | Literal["urgent"] = 1


class Tree(BaseModel):
    label: str
    children: list[Tree] = []


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: Annotated[int, Field(ge=1, le=9)]


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Pet(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]
    references: Annotated[list[Literal["exp_7", "exp_8", "exp_9"]], Field(max_length=3)]


MODELS: list[type[BaseModel]] = [
    Meeting,
    Vote,
    Tree,
    Pet,
    DialogTurn,
    Timepoint,
    ExposureEvent,
    ProspectiveState,
    Relationship,
    Entity,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("seed", range(8))
def test_output_validates_against_the_pydantic_model(model: type[BaseModel], seed: int) -> None:
    model.model_validate(fill(model.model_json_schema(), seed))


def test_fields_are_written_by_role_from_the_prompt() -> None:
    value = Meeting.model_validate(fill(Meeting.model_json_schema(), 3))
    prompt_words = {w.strip(".,\"'").lower() for m in PROMPT for w in str(m.content).split()}
    summary_words = {w.strip(".,\"'").lower() for w in value.summary.split()}
    assert summary_words <= prompt_words | {"and"}
    assert value.starts.year == 2031 and value.day == dt.date(2031, 10, 2)
    assert all(vote.voter.replace("_", " ").strip() for vote in value.votes)


def test_ids_with_a_pattern_come_from_the_prompt() -> None:
    speakers = {fill(DialogTurn.model_json_schema(), seed)["speaker"] for seed in range(20)}
    assert speakers & {"ines_ruiz", "exp_7"}
    assert all(
        TypeAdapter(Annotated[str, Field(pattern=ID_PATTERN)]).validate_python(s) for s in speakers
    )


def test_enum_choice_follows_prompt_mentions_and_varies_with_seed() -> None:
    schema = {"type": "string", "enum": ["storm", "parade", "harvest"]}
    picks = [fill(schema, seed) for seed in range(90)]
    assert len(set(picks)) >= 2
    assert picks.count("storm") > picks.count("parade")


def test_reference_lists_pick_distinct_enum_values() -> None:
    for seed in range(15):
        refs = fill(Pet.model_json_schema(), seed)["references"]
        assert len(refs) == len(set(refs))


def test_free_reference_lists_name_only_prompt_ids() -> None:
    schema = DialogTurn.model_json_schema()
    for seed in range(10):
        refs = fill(schema, seed)["knowledge_references"]
        assert set(refs) <= set(WRITER.material.ids) and len(refs) == len(set(refs))
    bare = Writer(gather_material([HumanMessage("Nothing in this prompt carries an id.")]))
    for seed in range(5):
        assert fill_schema(schema, bare, Dice.from_parts(seed))["knowledge_references"] == []


def test_two_id_fields_of_one_object_differ() -> None:
    for seed in range(10):
        value = fill(Relationship.model_json_schema(), seed)
        assert value["a"] != value["b"]


def test_recursive_schema_terminates() -> None:
    tree = Tree.model_validate(fill(Tree.model_json_schema(), 1))
    depth, node = 0, tree
    while node.children:
        node, depth = node.children[0], depth + 1
    assert depth < 30


def test_an_open_bound_is_scaled_by_the_default() -> None:
    values = [fill({"type": "number", "minimum": 0, "default": 100}, seed) for seed in range(30)]
    assert all(0 <= v <= 200 for v in values) and max(values) > 100


def test_all_of_bounds_are_merged() -> None:
    schema = {"allOf": [{"type": "integer", "minimum": 5}, {"maximum": 7}, {"minimum": 6}]}
    assert {fill(schema, seed) for seed in range(30)} <= {6, 7}


@pytest.mark.parametrize(
    "schema",
    [
        False,
        {"enum": []},
        {"type": "integer", "minimum": 5, "maximum": 4},
        {"type": "integer", "minimum": 1, "maximum": 3, "multipleOf": 5},
        {"type": "string", "minLength": 5, "maxLength": 2},
        {"type": "array", "minItems": 3, "maxItems": 1},
        {"type": "array", "items": {"enum": ["a"]}, "minItems": 2, "uniqueItems": True},
        {"type": "string", "pattern": "^(?=a)b$"},
        {"$ref": "#/$defs/Missing"},
    ],
    ids=str,
)
def test_unsatisfiable_schemas_raise(schema: Any) -> None:
    with pytest.raises(ModelRequestError):
        fill(schema if schema is not False else {"properties": {"x": False}, "required": ["x"]})


_SCALAR_KINDS = "int float str bool literal enum date id"
_SCALARS = st.sampled_from(_SCALAR_KINDS.split())
_KINDS = st.sampled_from([*_SCALAR_KINDS.split(), "list", "optional", "model", "dict", "union"])
_PATTERNS = st.sampled_from(
    [ID_PATTERN, r"^[a-z0-9_]+$", r"^[A-Z]{2}-\d{3}$", r"^(?:[a-z]+_)*[a-z]+$"]
)
_FIELD_NAMES = "content name reason speaker knowledge_ids score kind when items detail label"


@st.composite
def field_types(draw: st.DrawFn, depth: int = 0) -> Any:
    kind = draw(_SCALARS if depth >= 2 else _KINDS)
    if kind == "int":
        low = draw(st.integers(-50, 50))
        high = low + draw(st.integers(0, 40))
        step = draw(st.sampled_from([None, 1, 3]))
        if step and not any(v % step == 0 for v in range(low, high + 1)):
            step = None
        return Annotated[int, Field(ge=low, le=high, multiple_of=step)]
    if kind == "float":
        low = draw(st.floats(-10, 10, allow_nan=False))
        if draw(st.booleans()):
            step = draw(st.sampled_from([0.1, 0.25, 0.5, 3.0]))
            return Annotated[float, Field(ge=low, le=low + step * 2, multiple_of=step)]
        return Annotated[float, Field(gt=low, lt=low + draw(st.floats(0.01, 5)))]
    if kind == "str":
        low = draw(st.integers(0, 30))
        return Annotated[str, Field(min_length=low, max_length=low + draw(st.integers(0, 60)))]
    if kind == "bool":
        return bool
    if kind == "literal":
        return Literal[tuple(draw(st.lists(st.sampled_from("abcdefg"), min_size=1, unique=True)))]
    if kind == "enum":
        return Mood
    if kind == "date":
        return draw(st.sampled_from([dt.date, dt.datetime, uuid.UUID]))
    if kind == "id":
        return Annotated[str, Field(pattern=draw(_PATTERNS))]
    inner = draw(field_types(depth + 1))
    if kind == "list":
        low = draw(st.integers(0, 3))
        return Annotated[
            list[inner], Field(min_length=low, max_length=low + draw(st.integers(0, 3)))
        ]
    if kind == "optional":
        return inner | None
    if kind == "dict":
        return dict[str, inner]
    if kind == "union":
        return int | draw(field_types(depth + 1))
    return draw(models(depth + 1))


@st.composite
def models(draw: st.DrawFn, depth: int = 0) -> type[BaseModel]:
    choices = st.sampled_from([*_FIELD_NAMES.split(), "target_id", "extra"])
    names = draw(st.lists(choices, min_size=1, max_size=5, unique=True))
    fields: dict[str, Any] = {name: (draw(field_types(depth)), ...) for name in names}
    return create_model(f"Generated{depth}", **fields)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), seed=st.integers(0, 10_000))
def test_any_generated_model_validates(model: type[BaseModel], seed: int) -> None:
    model.model_validate(fill(model.model_json_schema(), seed))

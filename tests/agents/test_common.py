"""Shared agent helpers: a schema's options do not depend on what the process built before."""

from __future__ import annotations

from typing import Literal

from daedalus.agents._common import choice
from daedalus.agents.event_writer import event_schema
from daedalus.agents.steering import steering_schema


def test_options_come_sorted_whatever_order_they_are_given_in():
    assert choice(["naomi", "alan", "ben", "alan"]) == Literal["alan", "ben", "naomi"]
    assert choice(["naomi", "alan", "ben"]).__args__ == ("alan", "ben", "naomi")


def test_a_schema_is_the_same_after_an_equal_one_was_built_in_another_order():
    # typing caches ``Literal[...] | None`` by equality, which ignores order: the second schema
    # once took the first one's order for its optional field, so a resumed run asked otherwise.
    first = steering_schema(("alan", "ben", "naomi")).model_json_schema()
    second = steering_schema(("alan", "naomi", "ben")).model_json_schema()
    assert second == first
    fields = second["properties"]
    assert fields["next_speaker"]["enum"] == ["alan", "ben", "naomi"]
    assert fields["target"]["anyOf"][0]["enum"] == ["alan", "ben", "naomi"]


def test_equal_asks_share_one_schema_class_and_lists_key_as_tuples():
    assert steering_schema(("alan", "ben")) is steering_schema(("alan", "ben"))
    assert steering_schema(("alan", "ben")) is not steering_schema(("alan", "naomi"))
    assert event_schema(["alan", "ben"]) is event_schema(("alan", "ben"))

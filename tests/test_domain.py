from datetime import datetime

import pytest
from pydantic import ValidationError

from daedalus.domain import (
    CognitiveState,
    Entity,
    ExposureEvent,
    ExposureKind,
    Relationship,
    ResolutionLevel,
    Timepoint,
    relationship_key,
)


def test_resolution_levels_are_ordered():
    ordered = [
        ResolutionLevel.TENSOR_ONLY,
        ResolutionLevel.SCENE,
        ResolutionLevel.GRAPH,
        ResolutionLevel.DIALOG,
        ResolutionLevel.TRAINED,
    ]
    assert sorted(reversed(ordered)) == ordered
    assert ResolutionLevel.TENSOR_ONLY < ResolutionLevel.DIALOG
    assert max(ResolutionLevel.SCENE, ResolutionLevel.GRAPH) is ResolutionLevel.GRAPH


def test_resolution_level_labels_round_trip():
    for level in ResolutionLevel:
        assert ResolutionLevel.from_label(level.label) is level
    assert ResolutionLevel.from_label("tensor") is ResolutionLevel.TENSOR_ONLY
    with pytest.raises(ValueError, match="unknown resolution level"):
        ResolutionLevel.from_label("ultra")


def test_values_are_frozen_and_strict():
    entity = Entity(id="lin_zhang", name="Lin Zhang")
    with pytest.raises(ValidationError):
        entity.name = "Other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Entity(id="x", name="X", unknown_field=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Entity(id="bad id!", name="X")


def test_timepoint_cannot_be_its_own_parent():
    with pytest.raises(ValidationError, match="own causal parent"):
        Timepoint(id="t1", timestamp=datetime(2026, 1, 1), causal_parent="t1")


def test_exposure_confidence_is_a_unit_interval():
    with pytest.raises(ValidationError):
        ExposureEvent(id="e", entity_id="a", kind=ExposureKind.TOLD, information="x", confidence=2)


def test_energy_cannot_exceed_capacity():
    with pytest.raises(ValidationError, match="exceeds capacity"):
        CognitiveState(energy=200, energy_capacity=150)


def test_relationship_key_is_order_free():
    rel = Relationship(a="b_one", b="a_two")
    assert rel.key == relationship_key("a_two", "b_one") == "a_two|b_one"
    assert rel.other("a_two") == "b_one"
    with pytest.raises(ValueError):
        rel.other("c")
    with pytest.raises(ValidationError):
        Relationship(a="x", b="x")


def test_values_round_trip_through_json():
    tp = Timepoint(
        id="tp_1", timestamp=datetime(2030, 7, 1), causal_parent="tp_0", entities_present=("a",)
    )
    assert Timepoint.model_validate_json(tp.model_dump_json()) == tp

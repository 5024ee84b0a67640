from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from daedalus.domain import (
    Atmosphere,
    CognitiveState,
    Entity,
    Environment,
    ExposureEvent,
    ExposureKind,
    ProspectiveState,
    Relationship,
    ResolutionLevel,
    Timepoint,
)
from daedalus.provenance.fourth_wall import build_context, describe_emotion, public_view

TP = Timepoint(id="t1", timestamp=datetime(2030, 7, 1, 9), entities_present=("ana", "ben"))
ANA = Entity(id="ana", name="Ana Ruiz", role="Engineer", traits=("stubborn",))


def exposure(i, entity="ana", text=None):
    return ExposureEvent(id=f"e{i}", entity_id=entity, kind=ExposureKind.INITIAL,
                         information=text or f"fact number {i}")


def context(visible, withheld=frozenset(), **overrides):
    args = dict(
        speaker=ANA, timepoint=TP, visible=visible, withheld_ids=withheld,
        names={"ana": "Ana Ruiz", "ben": "Ben Cole"},
        relationships={"ana|ben": Relationship(a="ana", b="ben", kind="rival", trust=0.2, alignment=-0.5)},
        participants=["ana", "ben"], cognitive=CognitiveState(valence=-0.4, arousal=0.8),
        physical_description="speaks at ease", prospect=ProspectiveState(entity_id="ana", anxiety=0.7),
        band=ResolutionLevel.DIALOG, environment=Environment(location="Control room"),
        atmosphere=Atmosphere(tension=0.7),
    )
    args.update(overrides)
    return build_context(**args)


def test_withheld_items_stay_in_the_back_layer():
    ctx = context([exposure(1), exposure(2, text="the secret")], withheld=frozenset({"e2"}))
    assert [k.exposure_id for k in ctx.front.knowledge] == ["e1"]
    assert [k.information for k in ctx.back.withheld] == ["the secret"]
    assert ctx.usable_exposure_ids == {"e1"}


def test_back_layer_carries_impulses_from_state_and_relationships():
    ctx = context([exposure(1)])
    assert "to raise your voice" in ctx.back.suppressed_impulses
    assert "to end this conversation quickly" in ctx.back.suppressed_impulses
    assert "to challenge Ben Cole openly" in ctx.back.suppressed_impulses
    assert "wary of Ben Cole" in ctx.front.relationships[0]
    # presented emotion is damped relative to the true one
    assert ctx.back.true_emotion.startswith("agitated")
    assert ctx.front.presented_emotion != ctx.back.true_emotion


@given(st.lists(st.tuples(st.sampled_from(["ana", "ben"]), st.booleans()), max_size=20))
def test_front_layer_only_holds_the_speakers_visible_non_withheld_exposures(spec):
    visible = [exposure(i, entity) for i, (entity, _) in enumerate(spec)]
    withheld = frozenset(f"e{i}" for i, (_, hidden) in enumerate(spec) if hidden)
    ctx = context(visible, withheld, max_knowledge=100)
    front = {k.exposure_id for k in ctx.front.knowledge}
    assert front == {e.id for e in visible if e.entity_id == "ana" and e.id not in withheld}
    assert not front & withheld


def test_public_view_has_no_private_layer():
    view = public_view(participants=["ana", "ben"], names={"ana": "Ana Ruiz"}, roles={},
                       timepoint=TP, environment=Environment(), atmosphere=Atmosphere(),
                       goals=["decide"], mood="tense")
    dumped = view.model_dump_json()
    assert "withheld" not in dumped and "impulse" not in dumped
    assert view.names == {"ana": "Ana Ruiz", "ben": "ben"}


def test_describe_emotion_covers_the_plane():
    assert describe_emotion(CognitiveState(valence=0.8, arousal=0.9)) == "energised and buoyant"
    assert describe_emotion(CognitiveState(valence=-0.8, arousal=0.1)) == "flat and distressed"

"""One renderer for every prompt (M1, M6): each level adds a layer, the audience caps it."""

import pytest

from daedalus.domain import CognitiveState, Entity, PhysicalState, ResolutionLevel
from daedalus.kernel.render import Audience, EntityFacts, render_cast, render_entity, tensor_summary
from daedalus.kernel.tensors import build_baseline_tensor, fit_compression

L = ResolutionLevel
PEOPLE = {
    "ada": Entity(id="ada", name="Ada Reyes", role="engineer", traits=("anxious", "methodical")),
    "ben": Entity(id="ben", name="Ben Cole", role="mayor", traits=("outgoing", "bold")),
    "cy": Entity(id="cy", name="Cy Park", role="clerk", traits=("calm", "reserved")),
}


def facts(entity_id="ada", **extra):
    tensors = {e: build_baseline_tensor(p, CognitiveState(), PhysicalState(), ["a fact"])
               for e, p in PEOPLE.items()}
    fitted = fit_compression(tensors.values())
    base = dict(
        entity=PEOPLE[entity_id], compressed=fitted.compress(tensors[entity_id]), compression=fitted,
        cognitive=CognitiveState(valence=-0.4, arousal=0.8), physical=PhysicalState(location="the dam"),
        relationships=("trusts Ben Cole",), knowledge=("the spillway is cracked",),
        history=("was there when the siren sounded",),
    )
    base.update(extra)
    return EntityFacts(**base)


def test_each_level_adds_exactly_its_layer():
    f = facts()
    text = {level: render_entity(f, level) for level in L}
    assert text[L.TENSOR_ONLY].count("\n") == 0 and "engineer" not in text[L.TENSOR_ONLY]
    assert "engineer" in text[L.SCENE] and "the dam" in text[L.SCENE] and "agitated" in text[L.SCENE]
    assert "ties" not in text[L.SCENE] and "trusts Ben Cole" in text[L.GRAPH]
    assert "spillway" not in text[L.GRAPH] and "spillway" in text[L.DIALOG]
    assert "siren" not in text[L.DIALOG] and "siren" in text[L.TRAINED]
    sizes = [len(text[level]) for level in L]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)


def test_the_lowest_level_is_decoded_from_the_compressed_tensor():
    """TENSOR_ONLY reads the compressed form (M6): change it and the line changes."""
    f = facts()
    other = facts("ben")
    swapped = f.model_copy(update={"compressed": other.compressed})
    assert render_entity(f, L.TENSOR_ONLY) != render_entity(swapped, L.TENSOR_ONLY)
    assert tensor_summary(swapped) == tensor_summary(other)
    # without any tensor the line falls back to the entity's kind, never to its profile text
    bare = EntityFacts(entity=PEOPLE["ada"])
    assert render_entity(bare, L.TENSOR_ONLY) == "- ada: Ada Reyes (human)"


def test_tired_bodies_show_in_the_decoded_line():
    tired = build_baseline_tensor(PEOPLE["cy"], CognitiveState(energy=10), PhysicalState(fatigue=0.9), [])
    assert "worn out" in tensor_summary(EntityFacts(entity=PEOPLE["cy"], tensor=tired))


@pytest.mark.parametrize("level", [L.GRAPH, L.DIALOG, L.TRAINED])
def test_the_public_never_sees_knowledge_ties_or_history(level):
    text = render_entity(facts(), level, Audience.PUBLIC)
    assert "spillway" not in text and "trusts" not in text and "siren" not in text
    assert "engineer" in text
    # the public sees the calmer face people show, the narrator the mood they feel
    assert "agitated" in render_entity(facts(), level) and "agitated" not in text


def test_a_cast_renders_in_the_order_given():
    cast = [(facts("cy"), L.TENSOR_ONLY), (facts("ada"), L.DIALOG)]
    text = render_cast(cast)
    assert text.index("Cy Park") < text.index("Ada Reyes") and "spillway" in text

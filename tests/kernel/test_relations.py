from daedalus.domain import DialogTurn, ExposureEvent, ExposureKind, Relationship
from daedalus.kernel.relations import apply_dialog, interaction_counts, pairs_of


def turn(speaker, target=None):
    return DialogTurn(speaker=speaker, content="words here", target=target)


def told(listener, source, text):
    return ExposureEvent(id=f"{listener}-{len(text)}", entity_id=listener, kind=ExposureKind.TOLD,
                         information=text, source=source, timepoint_id="t1")


def test_pairs_and_interactions():
    assert pairs_of(["b", "a", "c"]) == ["a|b", "a|c", "b|c"]
    counts = interaction_counts([turn("a"), turn("b"), turn("c", target="a"), turn("a")])
    assert counts == {"a|b": 1, "a|c": 2}


def test_apply_dialog_updates_counts_deltas_and_shared_knowledge():
    rels = {"a|b": Relationship(a="a", b="b", trust=0.5, alignment=0.0)}
    updated = apply_dialog(
        rels, ["a", "b", "c"], [turn("a"), turn("b"), turn("a")],
        [told("b", "a", "the pump failed")], {"a|b": (0.3, -0.3)},
    )
    rel = updated["a|b"]
    assert rel.trust == 0.8 and rel.alignment == -0.3
    assert rel.interaction_count == 2
    assert rel.shared_knowledge == ("the pump failed",)
    assert "a|c" not in updated and "b|c" not in updated


def test_apply_dialog_clamps_and_creates_acquaintances():
    rels = {"a|b": Relationship(a="a", b="b", trust=0.95)}
    updated = apply_dialog(rels, ["a", "b", "c"], [turn("c"), turn("a")], [], {"a|b": (0.3, 0.0)})
    assert updated["a|b"].trust == 1.0
    assert updated["a|c"].kind == "acquaintance" and updated["a|c"].interaction_count == 1

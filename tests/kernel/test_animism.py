import pytest

from daedalus.domain import EntityKind
from daedalus.kernel.animism import admitted_kinds, animism_allows


def test_levels_only_ever_add_kinds():
    previous = frozenset()
    for level in range(7):
        kinds = admitted_kinds(level)
        assert previous <= kinds
        previous = kinds
    assert admitted_kinds(0) == {EntityKind.HUMAN}
    assert previous == set(EntityKind)


def test_specific_levels():
    assert animism_allows(EntityKind.ANIMAL, 1)
    assert not animism_allows(EntityKind.PLACE, 1)
    assert animism_allows(EntityKind.INSTITUTION, 3)
    assert not animism_allows(EntityKind.AI, 5)
    with pytest.raises(ValueError, match="0-6"):
        animism_allows(EntityKind.HUMAN, 7)

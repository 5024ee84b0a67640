"""The two grounded templates, run offline (tests/runs/conftest.py): the world reaches the
story only through its date and its exposures."""

from __future__ import annotations

import pytest

from daedalus.provenance import Provenance
from daedalus.store.record import RunRecord
from daedalus.world.grounding import WORLD_SOURCE
from tests.runs.conftest import TEMPLATES

GROUNDED = {"harbour_vote_downturn": "downturn", "founder_pitch_outbreak": "epidemic"}


@pytest.mark.parametrize("template", sorted(GROUNDED))
def test_every_moment_is_written_in_its_world(
    template_records: dict[str, RunRecord], template: str
) -> None:
    record = template_records[template]
    moments = [tp for tp in record.timepoints if "." not in tp.id]  # the line, not its beats
    assert len(moments) == record.scenario.timeline.steps
    for timepoint in moments:
        assert GROUNDED[template] in timepoint.event_description, timepoint.event_description


@pytest.mark.parametrize("template", sorted(GROUNDED))
def test_world_facts_arrive_by_exposure_at_their_date_and_are_used(
    template_records: dict[str, RunRecord], template: str
) -> None:
    record = template_records[template]
    world = [e for e in record.exposures if e.source == WORLD_SOURCE]
    assert world, "the world_news node left no exposure"
    dates = {tp.id: tp.timestamp for tp in record.timepoints}
    provenance = Provenance(record.timepoints, record.exposures)
    for exposure in world:
        assert exposure.timestamp == dates[exposure.timepoint_id]
    for timepoint in record.timepoints:
        for entity in record.entities:
            for known in provenance.knowledge_at(entity.id, timepoint.id):
                if known.source == WORLD_SOURCE:
                    assert dates[known.timepoint_id] <= timepoint.timestamp
    world_ids = {e.id for e in world}
    cited = [ref for d in record.dialogs for t in d.turns for ref in t.knowledge_references
             if ref in world_ids]
    assert cited, "no character drew on the world's news"


def test_tied_actors_read_their_own_books(template_records: dict[str, RunRecord]) -> None:
    record = template_records["founder_pitch_outbreak"]
    books = {e.entity_id: e.information for e in record.exposures if e.id.count("_books-")}
    assert books["founder_leah_marr"].startswith("Firm 12's books:")
    assert books["banker_tomas_reid"].startswith("Bank 2's books:")
    assert "partner_june_sato" not in books


def test_ungrounded_templates_hear_nothing_from_a_world(
    template_records: dict[str, RunRecord],
) -> None:
    for template in TEMPLATES:
        if template not in GROUNDED:
            record = template_records[template]
            assert record.scenario.world is None
            assert not [e for e in record.exposures if e.source == WORLD_SOURCE], template

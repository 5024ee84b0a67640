"""The columnar exposure log: events rebuilt from columns equal the events appended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.errors import ProvenanceError
from daedalus.provenance import ExposureLog, Provenance, Timeline

EVENTS = (
    ExposureEvent(id="a", entity_id="ann", kind=ExposureKind.INITIAL, information="old news"),
    ExposureEvent(
        id="b", entity_id="ann", kind=ExposureKind.TOLD, information="caf\u00e9 \u2014 \U0001f30a",
        source="bob", timepoint_id="t1", timestamp=datetime(2026, 3, 1, 9, 30, 0, 7),
        confidence=0.25,
    ),
    ExposureEvent(
        id="c", entity_id="bob", kind=ExposureKind.WITNESSED, information="smoke",
        timepoint_id="t1", timestamp=datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=-5))),
    ),
    ExposureEvent(
        id="d", entity_id="bob", kind=ExposureKind.WITNESSED, information="ash",
        timepoint_id="t2", timestamp=datetime(1900, 1, 1, fold=1, tzinfo=UTC),
    ),
)


def test_rebuilt_events_equal_the_appended_ones_field_for_field():
    log = ExposureLog(EVENTS)
    for event, rebuilt in zip(EVENTS, log, strict=True):
        assert rebuilt == event and hash(rebuilt) == hash(event)
        assert rebuilt.model_dump() == event.model_dump()
        assert rebuilt.model_fields_set == event.model_fields_set
        assert rebuilt.timestamp is None or rebuilt.timestamp.tzinfo is event.timestamp.tzinfo
        assert rebuilt.timestamp is None or rebuilt.timestamp.fold == event.timestamp.fold
    assert log["b"].information == "caf\u00e9 \u2014 \U0001f30a"
    assert log.get("zz") is None and "c" in log and len(log) == 4


def test_duplicates_are_checked_against_the_stored_columns():
    log = ExposureLog(EVENTS)
    assert log.append(EVENTS[1].model_copy()) is False
    with pytest.raises(ProvenanceError, match="'b'"):
        log.append(EVENTS[1].model_copy(update={"confidence": 0.5}))
    with pytest.raises(ProvenanceError, match="'d'"):
        log.append(EVENTS[3].model_copy(update={"timestamp": datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC)}))


def test_answers_are_lazy_sequences_equal_to_tuples():
    start = datetime(2026, 3, 1)
    timeline = Timeline([
        Timepoint(id="t1", timestamp=start),
        Timepoint(id="t2", timestamp=start + timedelta(hours=1), causal_parent="t1"),
    ])
    prov = Provenance(timeline, EVENTS)
    known = prov.knowledge_at("ann", "t2")
    assert known == (EVENTS[0], EVENTS[1]) and (EVENTS[0], EVENTS[1]) == known
    assert known != (EVENTS[1], EVENTS[0]) and known != (EVENTS[0],)
    assert known.ids() == ("a", "b") and known[1] == EVENTS[1] and known[-1:] == (EVENTS[1],)
    assert known + (EVENTS[2],) == (*EVENTS[:3],) and set(known) == {EVENTS[0], EVENTS[1]}  # noqa: RUF005 (the operator is under test)
    assert hash(known) == hash((EVENTS[0], EVENTS[1]))
    assert prov.knowledge_at("bob", "t1") == (EVENTS[2],) and not prov.knowledge_at("cid", "t1")

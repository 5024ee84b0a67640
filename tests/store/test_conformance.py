"""One behaviour for every run store: the in-memory reference, SQLite and PostgreSQL agree."""

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from daedalus.errors import ConfigError, RunBusyError, RunError
from daedalus.store import RunStore, RunSummary
from daedalus.store.record import RunRecord
from tests.store.records import START, priced_record, sample_meta, sample_record


def test_both_stores_satisfy_the_protocol(store):
    assert isinstance(store, RunStore)


def test_a_saved_record_loads_back_equal(store):
    record = sample_record()
    store.create_run(record.run)
    store.save_record(record)
    loaded = store.load_record("run-0001")
    assert loaded == record
    assert loaded.model_dump_json() == record.model_dump_json()
    assert loaded.knowledge_at("ben", "tp-1") == record.knowledge_at("ben", "tp-1")


def test_create_run_registers_an_empty_record(store):
    meta = sample_meta("run-new").model_copy(update={"status": "running", "completed_at": None})
    created = store.create_run(meta)
    assert created == RunRecord(run=meta)
    assert store.load_record("run-new") == created
    assert store.has_run("run-new")
    (summary,) = store.list_runs()
    assert (summary.status, summary.timepoints, summary.calls, summary.tokens) == ("running", 0, 0, 0)


def test_creating_a_run_twice_is_refused(store):
    store.create_run(sample_meta())
    with pytest.raises(RunError, match="already exists"):
        store.create_run(sample_meta())


def test_save_record_is_an_idempotent_upsert(store):
    full = sample_record()
    partial = RunRecord(run=full.run, timepoints=full.timepoints[:1], ledger=full.ledger[:1])
    store.save_record(partial)
    assert store.load_record(full.run.id) == partial
    store.save_record(full)
    store.save_record(full)
    assert store.load_record(full.run.id) == full
    assert [s.id for s in store.list_runs()] == [full.run.id]
    assert store.list_runs()[0].timepoints == 3


def test_update_status_changes_status_and_completion(store):
    record = sample_record()
    store.save_record(record.model_copy(update={"run": record.run.model_copy(
        update={"status": "running", "completed_at": None})}))
    done = START + timedelta(hours=1)
    updated = store.update_status(record.run.id, "completed", completed_at=done)
    assert (updated.run.status, updated.run.completed_at) == ("completed", done)
    assert store.load_record(record.run.id) == updated
    assert updated.exposures == record.exposures
    # no completion time given: the recorded one stays
    again = store.update_status(record.run.id, "interrupted")
    assert (again.run.status, again.run.completed_at) == ("interrupted", done)
    assert store.list_runs()[0].status == "interrupted"


def test_update_status_refuses_an_unknown_status(store):
    store.save_record(sample_record())
    with pytest.raises(ConfigError, match=r"'paused'.*running, completed, failed, interrupted"):
        store.update_status("run-0001", "paused")
    assert store.load_record("run-0001").run.status == "completed"


@pytest.mark.parametrize("call", [
    lambda s: s.load_record("nope"),
    lambda s: s.update_status("nope", "failed"),
    lambda s: s.delete_run("nope"),
])
def test_unknown_run_ids_raise_a_one_line_run_error(store, call):
    store.save_record(sample_record())
    with pytest.raises(RunError) as caught:
        call(store)
    message = str(caught.value)
    assert "'nope'" in message and "daedalus runs" in message and "\n" not in message
    assert not store.has_run("nope")


def test_runs_are_listed_newest_first_with_ties_by_creation(store):
    store.save_record(sample_record("run-a", started_at=START + timedelta(days=2)))
    store.save_record(sample_record("run-b", started_at=START))
    store.save_record(sample_record("run-c", started_at=START + timedelta(days=5)))
    store.save_record(sample_record("run-d", started_at=START))  # same start as run-b, created later
    assert [s.id for s in store.list_runs()] == ["run-c", "run-a", "run-d", "run-b"]
    assert store.latest_run_id() == "run-c"
    assert [s.id for s in store.list_runs(limit=2)] == ["run-c", "run-a"]
    # re-saving an old run does not make it newer
    store.save_record(sample_record("run-b", started_at=START))
    assert [s.id for s in store.list_runs()] == ["run-c", "run-a", "run-d", "run-b"]


def test_listing_orders_across_time_zones(store):
    paris = timezone(timedelta(hours=1))
    store.save_record(sample_record("run-utc", started_at=datetime(2026, 3, 12, 9, 30, tzinfo=UTC)))
    store.save_record(sample_record("run-paris", started_at=datetime(2026, 3, 12, 10, 0, tzinfo=paris)))
    assert [s.id for s in store.list_runs()] == ["run-utc", "run-paris"]


def test_listing_filters_by_template(store):
    store.save_record(sample_record("run-a", template="harbour_vote"))
    store.save_record(sample_record("run-b", template="board_meeting", started_at=START + timedelta(1)))
    assert [s.id for s in store.list_runs(template="harbour_vote")] == ["run-a"]
    assert [s.id for s in store.list_runs(template="board_meeting")] == ["run-b"]
    assert store.list_runs(template="absent") == []


def test_a_limit_below_one_is_refused(store):
    with pytest.raises(ConfigError, match="positive"):
        store.list_runs(limit=0)


def test_summaries_count_what_the_run_holds(store):
    store.save_record(sample_record("run-offline"))
    store.save_record(priced_record("run-paid", started_at=START + timedelta(days=1)))
    paid, offline = store.list_runs()
    assert paid == RunSummary(
        id="run-paid", template="harbour_vote", mode="branching",
        model="meta-llama/llama-3.1-70b-instruct", status="completed", timepoints=3, dialogs=1,
        calls=4, tokens=2510 + 255, cost_usd=0.001, offline=False,
        started_at=START + timedelta(days=1), completed_at=START + timedelta(days=1, minutes=3),
    )
    assert offline.offline is True and offline.cost_usd == 0.0 and offline.model == "offline"


def test_latest_run_id_of_an_empty_store_is_a_run_error(store):
    with pytest.raises(RunError, match=r"no runs .* `daedalus run"):
        store.latest_run_id()


def test_delete_run_removes_only_that_run(store):
    store.save_record(sample_record("run-a"))
    store.save_record(sample_record("run-b", started_at=START + timedelta(days=1)))
    store.delete_run("run-b")
    assert not store.has_run("run-b")
    assert [s.id for s in store.list_runs()] == ["run-a"]
    assert store.latest_run_id() == "run-a"
    assert store.load_record("run-a") == sample_record("run-a")
    with pytest.raises(RunError):
        store.load_record("run-b")
    # the id can be used again after deletion
    store.create_run(sample_meta("run-b"))
    assert store.has_run("run-b")


# --- the run lease: one process at a time runs, resumes or branches a run ---


def _running(store, run_id="run-0001"):
    meta = sample_meta(run_id).model_copy(update={"status": "running", "completed_at": None})
    store.create_run(meta)
    return meta


def test_a_free_lease_is_taken_and_named_by_its_owner(store):
    _running(store)
    assert store.lease_of("run-0001") is None
    lease = store.acquire_lease("run-0001", "host:1:a", ttl_s=60)
    assert (lease.run_id, lease.owner) == ("run-0001", "host:1:a")
    assert lease.expires_at - lease.heartbeat_at == timedelta(seconds=60)
    assert store.lease_of("run-0001") == lease


def test_a_run_created_with_an_owner_is_leased_from_its_first_moment(store):
    meta = sample_meta("run-0001").model_copy(update={"status": "running", "completed_at": None})
    store.create_run(meta, owner="o1", ttl_s=60)
    lease = store.lease_of("run-0001")
    assert lease is not None and lease.owner == "o1"
    assert store.acquire_lease("run-0001", "o1", ttl_s=60).acquired_at == lease.acquired_at
    with pytest.raises(RunBusyError):
        store.acquire_lease("run-0001", "o2", ttl_s=60)


def test_a_run_whose_creator_dies_before_it_starts_shows_interrupted(store):
    meta = sample_meta("run-0001").model_copy(update={"status": "running", "completed_at": None})
    store.create_run(meta, owner="o1", ttl_s=0.05)  # created, then its process stopped
    time.sleep(0.1)
    assert store.list_runs()[0].status == "interrupted"


def test_a_live_lease_refuses_another_owner_naming_the_holder(store):
    _running(store)
    store.acquire_lease("run-0001", "host:111:a", ttl_s=60)
    with pytest.raises(RunBusyError, match=r"'run-0001' is in use by process 111 on host"):
        store.acquire_lease("run-0001", "host:222:b", ttl_s=60)
    assert store.lease_of("run-0001").owner == "host:111:a"


def test_the_owner_renews_its_lease_and_keeps_its_start(store):
    _running(store)
    first = store.acquire_lease("run-0001", "o1", ttl_s=60)
    again = store.acquire_lease("run-0001", "o1", ttl_s=60)
    renewed = store.renew_lease("run-0001", "o1", ttl_s=120)
    assert again.acquired_at == renewed.acquired_at == first.acquired_at
    assert renewed.expires_at >= first.expires_at + timedelta(seconds=59)


def test_an_expired_lease_is_taken_over_and_the_run_shows_interrupted(store):
    _running(store)
    store.acquire_lease("run-0001", "o1", ttl_s=60)
    assert store.list_runs()[0].status == "running"
    store.acquire_lease("run-0001", "o1", ttl_s=0.05)  # renewed with a short life, then stopped
    time.sleep(0.1)
    assert store.list_runs()[0].status == "interrupted"
    assert store.load_record("run-0001").run.status == "running"  # the record is not rewritten
    taken = store.acquire_lease("run-0001", "o2", ttl_s=60)
    assert taken.owner == "o2" and store.list_runs()[0].status == "running"
    with pytest.raises(RunBusyError):
        store.renew_lease("run-0001", "o1")


def test_a_lease_named_as_replaced_is_taken_at_once(store):
    _running(store)
    store.acquire_lease("run-0001", "dead-owner", ttl_s=60)
    with pytest.raises(RunBusyError):
        store.acquire_lease("run-0001", "o2", ttl_s=60, replacing="someone-else")
    assert store.acquire_lease("run-0001", "o2", ttl_s=60, replacing="dead-owner").owner == "o2"


def test_release_frees_the_lease_only_for_its_owner(store):
    _running(store)
    store.acquire_lease("run-0001", "o1", ttl_s=60)
    store.release_lease("run-0001", "o2")
    assert store.lease_of("run-0001").owner == "o1"
    store.release_lease("run-0001", "o1")
    assert store.lease_of("run-0001") is None
    with pytest.raises(RunError, match="no longer leased"):
        store.renew_lease("run-0001", "o1")
    assert store.acquire_lease("run-0001", "o2", ttl_s=60).owner == "o2"


def test_only_one_of_many_threads_gets_the_lease(store):
    _running(store)
    won: list[str] = []
    refused: list[str] = []
    barrier = threading.Barrier(6)

    def contend(owner: str) -> None:
        barrier.wait()
        try:
            store.acquire_lease("run-0001", owner, ttl_s=60)
            won.append(owner)
        except RunBusyError:
            refused.append(owner)

    threads = [threading.Thread(target=contend, args=(f"o{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(refused) == 5
    assert store.lease_of("run-0001").owner == won[0]


def test_lease_calls_on_an_unknown_run_or_with_a_bad_ttl_are_refused(store):
    with pytest.raises(RunError, match="no run 'nope'"):
        store.acquire_lease("nope", "o1")
    with pytest.raises(RunError, match="no run 'nope'"):
        store.lease_of("nope")
    _running(store)
    with pytest.raises(ConfigError, match="positive number of seconds"):
        store.acquire_lease("run-0001", "o1", ttl_s=0)


def test_deleting_a_run_drops_its_lease(store):
    _running(store)
    store.acquire_lease("run-0001", "o1", ttl_s=60)
    store.delete_run("run-0001")
    _running(store)
    assert store.lease_of("run-0001") is None

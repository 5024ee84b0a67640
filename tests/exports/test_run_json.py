import json

from daedalus.exports.run_json import RUN_JSON_KEYS, run_document, write_run_json
from daedalus.store.record import MECHANISM_IDS, RunRecord
from tests.store.records import sample_meta

TOP = ["run", "entities", "timepoints", "exposures", "dialogs", "relationships", "branches",
       "portal", "ledger", "mechanisms", "validation", "shadow_report"]


def test_the_top_level_keys_are_exactly_the_documented_ones(record, tmp_path):
    path = write_run_json(record, tmp_path / "run.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == TOP == list(RUN_JSON_KEYS)


def test_nested_field_names(record):
    doc = run_document(record)
    assert list(doc["run"]) == ["id", "template", "mode", "seed", "model", "offline", "status",
                                "started_at", "completed_at"]
    for tp in doc["timepoints"]:
        assert list(tp) == ["id", "timestamp", "causal_parent", "event", "entities_present",
                            "importance", "branch", "resolution"]
    for exposure in doc["exposures"]:
        assert list(exposure) == ["id", "entity_id", "kind", "information", "source",
                                  "timepoint_id", "timestamp", "confidence"]
    (dialog,) = doc["dialogs"]
    assert list(dialog) == ["id", "timepoint_id", "participants", "turns"]
    for turn in dialog["turns"]:
        assert list(turn) == ["speaker", "content", "emotional_tone", "confidence",
                              "knowledge_references"]
    for branch in doc["branches"]:
        assert list(branch) == ["id", "parent", "fork_timepoint", "intervention"]
    assert list(doc["ledger"]) == ["calls", "prompt_tokens", "completion_tokens", "cost_usd",
                                   "by_node", "by_model"]
    assert {"steps", "pivots"} <= set(doc["portal"])
    assert list(doc["mechanisms"]) == list(MECHANISM_IDS)
    assert list(doc["validation"][0]) == ["id", "validator", "entity_id", "timepoint_id",
                                          "message", "action"]
    assert {"evaluations", "divergent", "rows", "cells"} <= set(doc["shadow_report"])
    assert list(doc["shadow_report"]["cells"][0]) == ["entity_id", "timepoint_id", "phi",
                                                      "predicted", "actual"]


def test_values_are_plain_json_with_iso_timestamps_and_level_labels(record):
    doc = run_document(record)
    assert doc["run"]["started_at"] == "2026-03-12T09:00:00" and doc["run"]["offline"] is True
    assert [tp["id"] for tp in doc["timepoints"]] == ["tp-0", "tp-1", "alt.tp-1"]
    tp1 = doc["timepoints"][1]
    assert tp1["timestamp"] == "2026-03-19T09:00:00"
    assert tp1["resolution"] == {"ada": "dialog", "ben": "dialog"}
    assert doc["timepoints"][0]["resolution"] == {"ada": "graph"}
    prior = next(e for e in doc["exposures"] if e["id"] == "init-ada-0")
    assert prior["timepoint_id"] is None and prior["timestamp"] is None
    assert doc["dialogs"][0]["turns"][0]["knowledge_references"] == ["tp-0-ada-report"]
    assert doc["branches"][1] == {"id": "alt", "parent": "main", "fork_timepoint": "tp-0",
                                  "intervention": "A storm hits the night before the meeting"}
    assert doc["entities"][0]["metadata"]["resolution"] == "dialog"
    assert doc["relationships"][0]["trust"] == 0.66


def test_ledger_totals_by_node_and_model(priced):
    ledger = run_document(priced)["ledger"]
    assert (ledger["calls"], ledger["prompt_tokens"], ledger["completion_tokens"]) == (4, 2510, 255)
    assert ledger["cost_usd"] == 0.001
    assert ledger["by_node"]["character"] == {"calls": 2, "prompt_tokens": 1790,
                                              "completion_tokens": 155, "cost_usd": 0.0005}
    assert list(ledger["by_model"]) == ["meta-llama/llama-3.1-70b-instruct"]


def test_mechanisms_list_every_id_with_zeros(record):
    mechanisms = run_document(record)["mechanisms"]
    assert mechanisms["M3"] == 4 and mechanisms["M19"] == 1
    assert sum(1 for count in mechanisms.values() if count == 0) == 14


def test_the_shadow_report_shows_predicted_against_actual(record):
    shadow = run_document(record)["shadow_report"]
    assert (shadow["evaluations"], shadow["divergent"], shadow["predicted_only"]) == (4, 1, 1)
    cell = next(c for c in shadow["cells"] if (c["entity_id"], c["timepoint_id"]) == ("ada", "tp-1"))
    assert cell == {"entity_id": "ada", "timepoint_id": "tp-1", "phi": 0.9,
                    "predicted": "trained", "actual": "dialog"}
    ben = next(c for c in shadow["cells"] if (c["entity_id"], c["timepoint_id"]) == ("ben", "tp-0"))
    assert ben["actual"] is None and ben["predicted"] == "scene"


def test_an_empty_run_still_has_every_key():
    doc = run_document(RunRecord(run=sample_meta()))
    assert list(doc) == TOP
    assert doc["portal"] == {"steps": [], "pivots": []}
    assert doc["ledger"]["calls"] == 0 and doc["timepoints"] == []


def test_writing_twice_gives_identical_bytes(record, tmp_path):
    first = write_run_json(record, tmp_path / "a.json").read_bytes()
    second = write_run_json(record, tmp_path / "b.json").read_bytes()
    assert first == second and first.endswith(b"\n")

import json

import pytest

from daedalus.domain import Dialog, DialogTurn, ExposureEvent, ExposureKind
from daedalus.exports.training import (
    FORMATTERS,
    SYSTEM_PROMPTS,
    TRAINING_FILES,
    dialog_synthesis,
    entity_evolution,
    knowledge_flow,
    relationship_dynamics,
    training_examples,
    write_training,
)
from daedalus.store.record import RunRecord
from tests.store.records import sample_meta, sample_state


def _user(example):
    return example.messages[1].content


def _answer(example):
    return example.messages[2].content


def test_every_line_of_every_file_is_a_chat_example(record, tmp_path):
    written = write_training(record, tmp_path)
    assert set(written) == set(FORMATTERS) | {"combined"}
    for name, path in written.items():
        assert path.name == TRAINING_FILES[name]
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines, name
        for line in lines:
            example = json.loads(line)
            assert list(example) == ["messages"]
            assert [m["role"] for m in example["messages"]] == ["system", "user", "assistant"]
            assert all(isinstance(m["content"], str) and m["content"] for m in example["messages"])
            if name != "combined":
                assert example["messages"][0]["content"] == SYSTEM_PROMPTS[name]


def test_the_combined_file_is_every_formatter_in_order(record, tmp_path):
    written = write_training(record, tmp_path)
    parts = "".join(written[name].read_text(encoding="utf-8") for name in FORMATTERS)
    assert written["combined"].read_text(encoding="utf-8") == parts
    counts = {name: len(examples) for name, examples in training_examples(record).items()}
    assert counts == {"entity_evolution": 5, "dialog_synthesis": 3, "knowledge_flow": 1,
                      "relationship_dynamics": 1}


def test_files_are_written_even_when_there_is_nothing_to_learn(tmp_path):
    written = write_training(RunRecord(run=sample_meta()), tmp_path)
    assert all(path.exists() and path.read_text() == "" for path in written.values())


def test_entity_evolution_goes_from_what_was_known_to_what_was_learned(record):
    examples = entity_evolution(record)
    ben_tp1 = next(e for e in examples if "Entity: Ben Osei" in _user(e) and "[tp-1]" in _user(e))
    before = _user(ben_tp1).split("Known before this moment")[1].split("Moment")[0]
    assert "Repairs would cost two million" in before
    assert "Two piles failed the load test" not in before  # told only at tp-1 (M7)
    assert "State before: valence 0.00, arousal 0.40, energy 120.0/150.0" in _user(ben_tp1)
    assert "- [tp-0] 2026-03-12 09:00: The inspection report arrives." in _user(ben_tp1)
    answer = json.loads(_answer(ben_tp1))
    assert answer["learned"] == [{"information": "Two piles failed the load test", "kind": "told",
                                  "source": "ada", "confidence": 0.76}]
    assert answer["state_after"] == {"valence": -0.1, "arousal": 0.55, "energy": 108.0,
                                     "fatigue": 0.2, "pain": 0.0}


def test_entity_evolution_on_a_branch_never_sees_the_main_line(record):
    (alt,) = [e for e in entity_evolution(record) if "[alt.tp-1]" in _user(e)]
    assert "Repairs would cost two million" not in _user(alt)
    answer = json.loads(_answer(alt))
    assert [item["information"] for item in answer["learned"]] == ["The storm tore the pier's outer railing"]
    assert "state_after" not in answer  # no snapshot was taken on the branch


def test_dialog_synthesis_gives_each_spoken_line_its_own_context(record):
    examples = dialog_synthesis(record)
    assert [_answer(e) for e in examples] == [
        "Two piles failed the load test. I want it closed.",
        "Repairs would cost two million we do not have.",
        "Then we close it for the winter and look again.",
    ]
    first, second, third = (_user(e) for e in examples)
    assert "You are Ada Moreau" in first and "(nothing has been said yet)" in first
    assert "The mayor wants the pier land sold (from scene_initialization, confidence 1.00) [private" in first
    assert "Give Ada Moreau's next line (tense, speaking to Ben Osei)." in first
    # Ben speaks from what he knew when the talk began: not what this dialog told him
    known = second.split("What you know:")[1].split("Conversation so far:")[0]
    assert "Repairs would cost two million" in known and "Two piles" not in known
    assert "Ada Moreau (tense): Two piles failed the load test. I want it closed." in second
    assert "Ada Moreau (neutral): (stays silent)" in third


def test_knowledge_flow_lists_the_exposures_the_dialog_created(record):
    (example,) = knowledge_flow(record)
    assert "0. Ada Moreau (tense): Two piles failed the load test." in _user(example)
    assert json.loads(_answer(example)) == {"exposures": [
        {"listener": "ben", "speaker": "ada", "information": "Two piles failed the load test",
         "confidence": 0.76},
        {"listener": "ada", "speaker": "ben", "information": "Repairs would cost two million",
         "confidence": 0.72},
    ]}


def test_relationship_dynamics_uses_snapshots_around_the_dialog(record):
    (example,) = relationship_dynamics(record)
    assert "Before: colleague, trust 0.60, alignment 0.10" in _user(example)
    answer = json.loads(_answer(example))
    assert answer["trust"] == 0.66 and answer["trust_change"] == 0.06
    assert answer["alignment_change"] == 0.15 and answer["interaction_count"] == 3


def test_without_snapshots_a_single_dialog_goes_from_the_scenario_to_the_final_value():
    state = {**sample_state(), "snapshots": []}
    (example,) = relationship_dynamics(RunRecord.from_state(state, meta=sample_meta()))
    assert "Before: colleague, trust 0.60" in _user(example)
    assert json.loads(_answer(example))["trust"] == 0.66


def test_without_snapshots_an_ambiguous_pair_gives_no_example():
    state = {**sample_state(), "snapshots": []}
    state["dialogs"].append(Dialog(id="dlg-alt.tp-1", timepoint_id="alt.tp-1",
                                   participants=("ada", "ben"),
                                   turns=(DialogTurn(speaker="ben", content="Hurt?"),)))
    record = RunRecord.from_state(state, meta=sample_meta())
    # two dialogs changed the pair and no snapshot says how much each did
    assert relationship_dynamics(record) == []
    assert len(knowledge_flow(record)) == 2


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_formatters_are_deterministic(record, name):
    assert FORMATTERS[name](record) == FORMATTERS[name](record)


def test_writing_twice_gives_identical_bytes(record, tmp_path):
    first = write_training(record, tmp_path / "a")
    second = write_training(record, tmp_path / "b")
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes()


def _with_flagged_material():
    """Ben cites Ada's private report, and is said to have told Ada something he never knew."""
    state = sample_state()
    (dialog,) = state["dialogs"]
    cheat = DialogTurn(speaker="ben", content="Your report says two piles failed.",
                       emotional_tone="dry", knowledge_references=("tp-0-ada-report",))
    state["dialogs"] = [dialog.model_copy(update={"turns": (*dialog.turns, cheat)})]
    tp1 = state["timepoints"][1]
    state["exposures"].append(ExposureEvent(
        id="dlg-tp-1-told-9-ada", entity_id="ada", kind=ExposureKind.TOLD, source="ben",
        information="The tall ships festival will use the east pier in June",
        timepoint_id="tp-1", timestamp=tp1.timestamp, confidence=0.5,
    ))
    return RunRecord.from_state(state, meta=sample_meta())


def test_flagged_turns_and_told_facts_are_never_answers():
    record = _with_flagged_material()
    synthesis = dialog_synthesis(record)
    assert "Your report says two piles failed." not in [_answer(e) for e in synthesis]
    assert len(synthesis) == 3
    (flow,) = knowledge_flow(record)
    told = [item["information"] for item in json.loads(_answer(flow))["exposures"]]
    assert told == ["Two piles failed the load test", "Repairs would cost two million"]
    assert "Your report says two piles failed." in _user(flow)  # what was said stays as context
    ada_tp1 = next(e for e in entity_evolution(record)
                   if "Entity: Ada Moreau" in _user(e) and "[tp-1]" in _user(e))
    learned = [item["information"] for item in json.loads(_answer(ada_tp1))["learned"]]
    assert learned == ["Repairs would cost two million"]


def test_every_dialog_of_a_portal_run_files_its_relationships_and_they_are_exported(tmp_path):
    """M13: a PORTAL run (several dialogs, no hand-made snapshots) writes one snapshot per
    dialog, so each pair's relationship before and after each talk is known and exported."""
    from itertools import combinations

    import daedalus
    from daedalus.domain import relationship_key
    from daedalus.exports import write_exports

    run = daedalus.run("litigation_portal", seed=1, store=tmp_path / "store")
    record = run.record
    assert len(record.dialogs) >= 2
    assert {s.timepoint_id for s in record.snapshots} == {d.timepoint_id for d in record.dialogs}
    pairs = [
        (dialog, relationship_key(a, b))
        for dialog in record.dialogs
        for a, b in combinations(sorted(set(dialog.participants)), 2)
        if relationship_key(a, b) in record.snapshot_at(dialog.timepoint_id).relationships
    ]
    examples = relationship_dynamics(record)
    assert len(examples) == len(pairs) >= 2
    written = write_exports(record, tmp_path / "out", formats=("jsonl",))
    lines = (tmp_path / "out" / "training_relationship_dynamics.jsonl").read_text().splitlines()
    assert len(lines) == len(examples) and written

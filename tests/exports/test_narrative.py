import re

from daedalus.domain import Timepoint
from daedalus.exports.narrative import OFFLINE_NOTICE, render_narrative, write_narrative
from daedalus.store.record import RunRecord
from tests.store.records import sample_meta, sample_state


def _section(text, title):
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, f"no section {title!r}"
    return match.group(1)


def test_sections_come_in_order(record):
    text = render_narrative(record)
    titles = re.findall(r"^## (.+)$", text, flags=re.M)
    assert titles == ["Scenario", "Timeline", "Cast", "Sample dialogs", "Provenance chains",
                      "Branches", "Prophecies", "Validation", "Contradictions", "Costs",
                      "Mechanisms fired"]
    assert text.startswith("# The harbour vote\n")
    assert "A port authority decides whether to close the old east pier." in _section(text, "Scenario")


def test_the_offline_model_is_labelled_and_a_paid_model_is_not(record, priced):
    assert OFFLINE_NOTICE in render_narrative(record)
    assert "OFFLINE MODEL" in OFFLINE_NOTICE
    assert "OFFLINE" not in render_narrative(priced)


def test_the_timeline_runs_in_causal_order_branch_by_branch(record):
    rows = re.findall(r"^\| \d+ \| [^|]+ \| `([^`]+)`", _section(render_narrative(record), "Timeline"), re.M)
    assert rows == ["tp-0", "tp-1", "alt.tp-1"]


def test_the_timeline_follows_a_presentation_order(record):
    told = record.model_copy(update={"presentation_order": ("tp-1", "alt.tp-1", "tp-0")})
    section = _section(render_narrative(told), "Timeline")
    assert re.findall(r"^\| \d+ \| [^|]+ \| `([^`]+)`", section, re.M) == ["tp-1", "alt.tp-1", "tp-0"]
    assert "presentation order" in section


def test_cast_shows_role_traits_and_final_state(record):
    cast = _section(render_narrative(record), "Cast")
    assert "| Ada Moreau | human | Harbour master | stubborn, careful | -0.20 | 0.70 | 96.50 |" in cast


def test_sample_dialogs_quote_the_first_turns(record):
    dialogs = _section(render_narrative(record), "Sample dialogs")
    assert "- **Ada Moreau** *(tense)*: Two piles failed the load test. I want it closed." in dialogs
    assert "- **Ben Osei** *(resigned)*: Then we close it for the winter and look again." in dialogs


def test_provenance_chains_trace_told_knowledge_to_its_origin(record):
    chains = _section(render_narrative(record), "Provenance chains")
    ben = chains.split("### Ben Osei")[1]
    assert "2. at `tp-1`, told from Ada Moreau (confidence 0.76): Two piles failed the load test" in ben
    assert "passed along: Ada Moreau (witnessed, at `tp-0`) -> Ben Osei (told, at `tp-1`)" in ben
    ada = chains.split("### Ada Moreau")[1].split("###")[0]
    assert ada.index("`tp-0`") < ada.index("`tp-1`") < ada.index("`alt.tp-1`")


def test_costs_and_mechanisms(record, priced):
    costs = _section(render_narrative(priced), "Costs")
    assert "4 model calls (1 from the cache), 2510 prompt and 255 completion tokens, $0.001000." in costs
    assert "| meta-llama/llama-3.1-70b-instruct | 4 | 2765 | $0.001000 |" in costs
    assert "ADPRS gate: 1 of 4" in costs
    fired = _section(render_narrative(record), "Mechanisms fired")
    assert "| M3 | exposure events | 4 |" in fired
    assert "| M1 |" not in fired


def test_table_cells_escape_pipes_and_newlines():
    state = sample_state()
    tp = state["timepoints"][0]
    state["timepoints"][0] = Timepoint(**{**dict(tp), "event_description": "Vote | recount\nnow"})
    text = render_narrative(RunRecord.from_state(state, meta=sample_meta()))
    assert "| Vote \\| recount now |" in text


def test_an_empty_run_renders(tmp_path):
    text = render_narrative(RunRecord(run=sample_meta()))
    assert "No timepoint was simulated." in text and "No mechanism counter was recorded." in text


def test_writing_twice_gives_identical_bytes(record, tmp_path):
    assert (write_narrative(record, tmp_path / "a.md").read_bytes()
            == write_narrative(record, tmp_path / "b.md").read_bytes())

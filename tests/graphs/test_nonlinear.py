import asyncio
from datetime import date

import pytest

from daedalus.context import RunContext
from daedalus.graphs._forward import forward_recursion_limit
from daedalus.graphs.nonlinear import PRESENT_NODE, build_nonlinear_graph
from daedalus.kernel.narrative import forward_line
from daedalus.kernel.temporal import TemporalRule, check_nonlinear, check_pearl
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel

OFFLINE = OfflineChatModel(seed=0)


def scenario(presentation: str, steps: int = 4) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "inquest",
            "name": "Inquest",
            "description": "An inquest retraces the night the lighthouse lamp went dark.",
            "mode": "nonlinear",
            "start": date(2031, 10, 2),
            "entities": [
                {"id": "keeper", "name": "Ines Vaal", "role": "lighthouse keeper",
                 "knowledge": ["The lamp's backup cell was never replaced."]},
                {"id": "pilot", "name": "Rui Sato", "role": "harbour pilot",
                 "knowledge": ["The trawler radioed twice before midnight."]},
                {"id": "clerk", "name": "Oda Fenn", "role": "coroner's clerk"},
            ],
            "relationships": [
                {"a": "keeper", "b": "pilot", "trust": 0.6},
                {"a": "pilot", "b": "clerk", "trust": 0.5},
            ],
            "timeline": {"steps": steps, "step": "1 day"},
            "nonlinear": {"presentation": presentation},
        }
    )


def event(text: str, importance: float) -> dict:
    return {"description": text, "entities_present": ["keeper", "pilot", "clerk"],
            "importance": importance}


EVENTS = [
    event("The keeper logs a flicker in the lamp at dusk.", 0.3),
    event("The lamp fails and the trawler runs onto the shoal.", 0.95),
    event("The pilot finds the spent backup cell in the lamp room.", 0.6),
    event("The inquest hears the keeper and the pilot.", 0.5),
]


def hybrid(script) -> ScriptedModel:
    return ScriptedModel(script, default=lambda messages, kwargs: OFFLINE.invoke(messages, **kwargs))


def run(scenario_: Scenario, router, seed: int = 0) -> dict:
    return asyncio.run(
        build_nonlinear_graph().compile().ainvoke(
            {"scenario": scenario_},
            context=RunContext(router=router, seed=seed),
            config={"recursion_limit": forward_recursion_limit(scenario_.timeline.steps)},
        )
    )


def moments_told(out: dict) -> list[str]:
    line = {tp.id for tp in forward_line(out["timepoints"])}
    return [tid for tid in out["presentation"] if tid in line]


def assert_no_unexposed_references(out: dict) -> None:
    prov = Provenance(out["timepoints"], out["exposures"])
    for dialog in out["dialogs"]:
        for turn in dialog.turns:
            assert prov.check_references(
                turn.speaker, dialog.timepoint_id, turn.knowledge_references
            ) == ()


@pytest.mark.parametrize(
    ("kind", "told"),
    [
        ("reverse", ["tp-003", "tp-002", "tp-001", "tp-000"]),
        ("in_medias_res", ["tp-001", "tp-000", "tp-002", "tp-003"]),
        ("interleaved", ["tp-003", "tp-000", "tp-002", "tp-001"]),
    ],
)
def test_simulated_causally_told_otherwise(kind, told):
    out = run(scenario(kind), Router.for_chat_model(hybrid({"next_event": EVENTS})))
    line = forward_line(out["timepoints"])
    causal = [tp.id for tp in line]
    assert causal == ["tp-000", "tp-001", "tp-002", "tp-003"]
    assert [tp.causal_parent for tp in line] == [None, *causal[:-1]]
    assert moments_told(out) == told
    assert out["presentation"] != [tp.id for tp in out["timepoints"]]
    assert sorted(out["presentation"]) == sorted(tp.id for tp in out["timepoints"])
    # each moment's details are told right after it
    for tp in out["timepoints"]:
        if tp.moment_of is not None:
            at = out["presentation"].index(tp.id)
            assert out["presentation"][at - 1] in (tp.moment_of, tp.causal_parent)
    assert out["consistency"].valid
    assert check_nonlinear(out["timepoints"], out["presentation"]).valid
    assert check_pearl(out["timepoints"]).valid  # causality holds in causal order
    assert_no_unexposed_references(out)


def test_shuffled_order_follows_the_run_seed(offline_router):
    first = run(scenario("shuffled", steps=5), offline_router, seed=4)
    again = run(scenario("shuffled", steps=5), offline_router, seed=4)
    causal = [tp.id for tp in forward_line(first["timepoints"])]
    assert moments_told(first) == moments_told(again)
    assert moments_told(first) != causal
    orders = {tuple(moments_told(run(scenario("shuffled", steps=5), offline_router, seed=s)))
              for s in (1, 2, 3)}
    assert len(orders) > 1
    assert first["consistency"].valid
    assert_no_unexposed_references(first)


def test_a_corrupt_presentation_fails_the_check():
    out = run(scenario("reverse"), Router.for_chat_model(hybrid({"next_event": EVENTS})))
    told = out["presentation"]
    dropped = check_nonlinear(out["timepoints"], told[1:])
    assert not dropped.valid and TemporalRule.PRESENTATION_MISSING in dropped.rules()
    doubled = check_nonlinear(out["timepoints"], [*told, told[0]])
    assert not doubled.valid and TemporalRule.PRESENTATION_DUPLICATE in doubled.rules()
    foreign = check_nonlinear(out["timepoints"], [*told, "tp-999"])
    assert TemporalRule.UNKNOWN_TIMEPOINT in foreign.rules()


def test_presentation_is_computed_at_the_end():
    assert PRESENT_NODE in build_nonlinear_graph().nodes

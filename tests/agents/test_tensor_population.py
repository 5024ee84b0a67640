"""Tensor population (M6): scripted scores shape the tensors; compression is fitted; offline runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from daedalus.agents.tensor_population import (
    NODE,
    RECONSTRUCTION_BOUND,
    populate_tensors,
    population_schema,
)
from daedalus.context import RunContext
from daedalus.domain import CognitiveState, Entity, EntityProfile, ExposureEvent, ExposureKind
from daedalus.kernel.roster import build_roster
from daedalus.kernel.tensors import BEHAVIOR_AXES, build_baseline_tensor
from daedalus.llm.router import Router
from daedalus.scenario import Scenario
from daedalus.state import SimState
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel

IDS = ("daniel_reyes", "helen_park", "maya_okonkwo")


def board_state() -> SimState:
    scenario = load_template("board_meeting")
    return SimState(scenario=scenario, **build_roster(scenario, {}).state_update())  # type: ignore[typeddict-item]


def runtime(router: Router) -> Any:
    return SimpleNamespace(context=RunContext(router=router))


def scores(caution: float, *, valence: float = 0.0, arousal: float = 0.5) -> dict[str, float]:
    values = dict.fromkeys(BEHAVIOR_AXES, 0.5)
    values["caution"] = caution
    return {**values, "valence": valence, "arousal": arousal}


def run(router: Router, state: SimState | None = None) -> dict[str, Any]:
    return asyncio.run(populate_tensors(state or board_state(), runtime(router)))


def test_scripted_scores_become_profiles_moods_and_behaviour(
    scripted_router: Callable[..., Router],
) -> None:
    answer = {
        "daniel_reyes": scores(0.95, valence=-0.4, arousal=0.7),
        "helen_park": scores(0.5),
        "maya_okonkwo": scores(0.05, valence=0.6, arousal=0.9),
    }
    model = ScriptedModel({NODE: [answer]})
    update = run(scripted_router(model))
    assert len(model.calls_for(NODE)) == 1
    prompt = model.prompts_for(NODE)[0]
    assert all(entity_id in prompt for entity_id in IDS)
    daniel = update["entities"]["daniel_reyes"]
    assert daniel.profile.trait_scores["caution"] == 0.95
    assert update["cognitive"]["daniel_reyes"].valence == -0.4
    assert update["cognitive"]["maya_okonkwo"].arousal == 0.9
    # the focus derived from traits by the roster is kept
    assert update["cognitive"]["daniel_reyes"].focus == board_state()["cognitive"]["daniel_reyes"].focus
    axes = {key: update["tensors"][key].behavior_axes() for key in IDS}
    assert axes["daniel_reyes"]["caution"] > axes["helen_park"]["caution"] > axes["maya_okonkwo"]["caution"]
    assert update["tensors"]["maya_okonkwo"].biology_feature("arousal") == pytest.approx(0.9)
    assert update["mechanisms"] == {"M6": len(update["compressed"])}


def test_different_scores_give_different_behaviour_blocks(
    scripted_router: Callable[..., Router],
) -> None:
    low = run(scripted_router({NODE: [{key: scores(0.1) for key in IDS}]}))
    high = run(scripted_router({NODE: [{key: scores(0.9) for key in IDS}]}))
    for key in IDS:
        assert low["tensors"][key].context == high["tensors"][key].context
        assert low["tensors"][key].behavior != high["tensors"][key].behavior
        assert low["tensors"][key].behavior_axes()["caution"] < high["tensors"][key].behavior_axes()["caution"]


def test_tensors_are_built_from_prior_knowledge_and_compressed(
    scripted_router: Callable[..., Router],
) -> None:
    state = board_state()
    state["exposures"] = [
        *state["exposures"],
        ExposureEvent(
            id="later", entity_id="helen_park", kind=ExposureKind.TOLD,
            information="Maya plans a bridge round", source="maya_okonkwo", timepoint_id="tp-1",
        ),
    ]
    update = run(scripted_router({NODE: [{key: scores(0.5) for key in IDS}]}), state)
    helen = update["entities"]["helen_park"]
    expected = build_baseline_tensor(
        helen,
        update["cognitive"]["helen_park"],
        state["physical"]["helen_park"],
        ["The board's bylaws require a two-thirds vote to replace the chief executive"],
    )
    assert update["tensors"]["helen_park"] == expected  # knowledge told later is not prior
    fitted = update["compression"]
    assert fitted.behavior.n_samples == 3
    for key in IDS:
        assert update["compressed"][key] == fitted.compress(update["tensors"][key])
        rebuilt = fitted.expand(update["compressed"][key]).as_array()
        assert np.allclose(rebuilt, update["tensors"][key].as_array(), atol=1e-5)
    assert "validation" not in update


def test_profiled_entities_keep_their_scores_and_cost_no_tokens(
    scripted_router: Callable[..., Router],
) -> None:
    state = board_state()
    helen = state["entities"]["helen_park"].model_copy(
        update={"profile": EntityProfile(archetype_id="x", trait_scores={"caution": 0.2})}
    )
    state["entities"] = {**state["entities"], "helen_park": helen}
    model = ScriptedModel({NODE: [{"daniel_reyes": scores(0.9), "maya_okonkwo": scores(0.9)}]})
    update = run(scripted_router(model), state)
    assert "helen_park" not in model.prompts_for(NODE)[0]
    assert "helen_park" not in update["entities"]
    assert update["cognitive"]["helen_park"] == state["cognitive"]["helen_park"]
    assert update["tensors"]["helen_park"].behavior_axes()["caution"] < 0.5
    everyone = {k: e.model_copy(update={"profile": EntityProfile(trait_scores={"caution": 0.5})})
                for k, e in state["entities"].items()}
    silent = ScriptedModel({})
    update = run(scripted_router(silent), {**state, "entities": everyone})  # type: ignore[typeddict-item]
    assert silent.calls == [] and len(update["tensors"]) == 3


def test_offline_population_runs(offline_router: Router) -> None:
    update = run(offline_router)
    assert sorted(update["tensors"]) == sorted(update["compressed"]) == list(IDS)
    for key in IDS:
        profile = update["entities"][key].profile
        assert set(profile.trait_scores) == set(BEHAVIOR_AXES)
        assert all(0.0 <= value <= 1.0 for value in profile.trait_scores.values())


def test_atypical_entities_are_reported_above_the_bound(
    scripted_router: Callable[..., Router],
) -> None:
    scenario = load_template("board_meeting")
    words = ["harbour", "ledger", "engine", "orchard", "violin", "glacier", "saffron", "quartz",
             "lantern", "meadow", "copper", "thunder", "marble", "falcon", "willow", "cobalt"]
    entities = {f"p{i}": Entity(id=f"p{i}", name=f"P{i}", traits=(words[i],)) for i in range(16)}
    exposures = [
        ExposureEvent(id=f"k{i}", entity_id=f"p{i}", kind=ExposureKind.INITIAL,
                      information=f"{words[i]} {words[(i * 7) % 16]} {words[(i * 5 + 3) % 16]}")
        for i in range(16)
    ]
    state = SimState(scenario=scenario, entities=entities, exposures=exposures,
                     cognitive={k: CognitiveState() for k in entities})
    answer = {k: scores(0.05 * i, arousal=0.06 * i) for i, k in enumerate(sorted(entities))}
    update = run(scripted_router({NODE: [answer]}), state)
    fitted = update["compression"]
    errors = {k: fitted.reconstruction_error(t) for k, t in update["tensors"].items()}
    flagged = {record.entity_id for record in update.get("validation", [])}
    assert flagged == {k for k, error in errors.items() if error > RECONSTRUCTION_BOUND}
    assert flagged, "sixteen unrelated entities cannot all fit eight context components"
    record = update["validation"][0]
    assert record.validator == "tensor_reconstruction" and record.action == "recorded"
    assert record.id == f"tensor-reconstruction-{record.entity_id}"


def test_the_schema_bounds_every_score() -> None:
    schema = population_schema(["a"])
    assert schema.model_json_schema()["required"] == ["a"]
    schema.model_validate({"a": scores(0.5)})
    with pytest.raises(ValidationError):
        schema.model_validate({"a": scores(1.5)})
    with pytest.raises(ValidationError):
        schema.model_validate({"a": {**scores(0.5), "valence": -2}})
    with pytest.raises(ValidationError):
        schema.model_validate({"a": {k: v for k, v in scores(0.5).items() if k != "openness"}})


def test_empty_cast_does_nothing(offline_router: Router) -> None:
    scenario: Scenario = load_template("board_meeting")
    assert asyncio.run(populate_tensors(SimState(scenario=scenario), runtime(offline_router))) == {}

import pytest
from pydantic import ValidationError

from daedalus.world import World
from daedalus.world.actors import (
    GOVERNMENT_VERBS,
    ActionProposal,
    RulesProvider,
    observe_government,
)
from tests.world.conftest import small_config


def test_an_observation_is_aggregated_with_verbs_schemas_and_bounds():
    world = World(small_config())
    world.run(3)
    obs = observe_government(world, 1)
    assert obs.actor_id == "government:1" and obs.actor_type == "government" and obs.tick == 3
    assert {"unemployment", "inflation_avg", "debt_to_revenue", "tax_rate"} <= set(obs.state)
    assert 0 < len(obs.top["employers"]) <= 3  # top-K, never the raw rows
    schema = obs.verb("set_tax_rate").json_schema()
    assert schema["properties"]["rate"] == {"type": "number", "minimum": 0.05, "maximum": 0.6}
    assert obs.verb("open_mine") is None


def test_a_proposal_refuses_extra_fields_wrong_types_and_long_rationales():
    good = {"actor_id": "government:0", "verb": "set_tax_rate", "args": {"rate": 0.3},
            "confidence": 0.5, "rationale": "revenue"}
    assert ActionProposal.model_validate(good).args == {"rate": 0.3}
    for bad in ({**good, "extra": 1}, {**good, "args": {"rate": "high"}},
                {**good, "confidence": 2.0}, {**good, "rationale": "x" * 500}):
        with pytest.raises(ValidationError):
            ActionProposal.model_validate(bad)


def test_the_rules_stay_within_the_hard_bounds_and_the_step_limit():
    world = World(small_config())
    world.run(2)
    for region in range(world.tables["regions"].capacity):
        obs = observe_government(world, region)
        for proposal in RulesProvider().decide(obs):
            spec = next(v for v in GOVERNMENT_VERBS if v.verb == proposal.verb)
            value = proposal.args[spec.argument]
            assert spec.minimum <= value <= spec.maximum
            assert abs(value - obs.state[spec.column]) <= spec.max_step

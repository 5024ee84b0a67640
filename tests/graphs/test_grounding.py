import pytest

from daedalus.domain import ExposureKind
from daedalus.graphs.grounding import WORLD_NEWS_NODE, world_news
from daedalus.graphs.timestep import TIMESTEP_NODES, build_timestep_graph
from daedalus.provenance import Provenance
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel
from daedalus.world.grounding import WORLD_SOURCE, WorldSection
from tests.builders import runtime, sim_state
from tests.world.grounding.support import write_small_preset


@pytest.fixture(scope="module")
def small_preset(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_small_preset(tmp_path_factory)


def grounded(preset: str, **world):
    """harbour_vote_downturn on the small test world, the mayor and the councillor away."""
    base = load_template("harbour_vote_downturn")
    section = WorldSection(
        preset=preset, ticks=(2, 8), place={"name": "Port Alder", "region": 1},
        actors={"mayor_ines_toll": "government"}, **world,
    )
    specs = [
        spec.model_copy(update={"location": "Capital"})
        if spec.id in ("mayor_ines_toll", "councillor_amara_vale") else spec
        for spec in base.entities
    ]
    return base.model_copy(update={"world": section, "entities": tuple(specs)})


def news(state, scripted_router):
    return world_news(state, runtime(scripted_router(ScriptedModel({}))))


def test_world_news_runs_first_in_every_timestep():
    assert TIMESTEP_NODES[0] == WORLD_NEWS_NODE
    graph = build_timestep_graph()
    assert ("__start__", WORLD_NEWS_NODE) in graph.edges


def test_an_ungrounded_scenario_gets_no_news(scripted_router):
    assert news(sim_state(timepoints=2), scripted_router) == {}


def test_the_news_of_a_date_are_exposures_of_its_timepoint_for_those_who_would_learn(
    small_preset, scripted_router
):
    state = sim_state(grounded(small_preset), timepoints=3)
    update = news(state, scripted_router)
    cursor = state["timepoints"][-1]
    exposures = update["exposures"]
    assert exposures and update["mechanisms"] == {"M3": len(exposures)}
    for exposure in exposures:
        assert exposure.kind is ExposureKind.LEARNED and exposure.source == WORLD_SOURCE
        assert exposure.timepoint_id == cursor.id and exposure.timestamp == cursor.timestamp
        assert exposure.id.startswith(f"{cursor.id}-world-")
    hearers = {exposure.entity_id for exposure in exposures}
    # the mayor is away but tied to the government; the harbour master is at the place;
    # the councillor is away and tied to nothing
    assert hearers == {"mayor_ines_toll", "harbour_master_oskar_lind"}
    assert any(e.information.startswith("Region 1 government's figures") for e in exposures
               if e.entity_id == "mayor_ines_toll")


def test_no_entity_knows_a_world_fact_before_its_date(small_preset, scripted_router):
    state = sim_state(grounded(small_preset), timepoints=3)
    exposures = list(state["exposures"])
    for index in range(3):  # each moment's world news, as the timestep would add it
        update = news({**state, "cursor": state["timepoints"][index].id}, scripted_router)
        exposures += update.get("exposures", [])
    world = [e for e in exposures if e.source == WORLD_SOURCE]
    assert {e.timepoint_id for e in world} == {tp.id for tp in state["timepoints"]}
    provenance = Provenance(state["timepoints"], exposures)
    for timepoint in state["timepoints"]:
        for entity_id in state["entities"]:
            for known in provenance.knowledge_at(entity_id, timepoint.id):
                if known.source == WORLD_SOURCE:
                    assert known.timestamp <= timepoint.timestamp
    first = state["timepoints"][0].id
    later = [e for e in world if e.timepoint_id != first]
    known_first = {e.id for e in provenance.knowledge_at("harbour_master_oskar_lind", first)}
    assert later and not known_first & {e.id for e in later}

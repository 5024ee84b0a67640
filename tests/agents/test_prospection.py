import asyncio

from daedalus.agents.prospection import prospection
from daedalus.domain import DialogTurn
from daedalus.testing import ScriptedModel
from tests.builders import dialog_input, runtime


def outlook(entity, anxiety):
    return {"entity": entity, "anxiety": anxiety, "contingency": "Call the lead investor",
            "expectations": [{"description": "The round fails", "probability": 0.6, "valence": -0.8},
                             {"description": "A customer signs", "probability": 0.3, "valence": 0.6}]}


def test_one_call_for_every_participant(scripted_router):
    state = {**dialog_input(), "turns": [DialogTurn(speaker="maya_okonkwo", content="We raise now.")]}
    answer = {"outlooks": [outlook("maya_okonkwo", 0.7), outlook("daniel_reyes", 0.2)]}
    model = ScriptedModel({"prospection": [answer]})
    update = asyncio.run(prospection(state, runtime(scripted_router(model))))
    assert len(model.calls) == 1
    maya = update["prospection"]["maya_okonkwo"]
    assert maya.anxiety == 0.7 and len(maya.expectations) == 2
    assert maya.contingency_plans == {"The round fails": ("Call the lead investor",)}
    assert set(update["prospection"]) == {"maya_okonkwo", "daniel_reyes"}

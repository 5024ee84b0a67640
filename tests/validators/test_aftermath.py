from daedalus.domain import Atmosphere, CognitiveState, DialogTurn, PhysicalState
from daedalus.validators import turn_energy_cost
from daedalus.validators.aftermath import energy_spent, settle_dialog


def test_energy_spent_counts_only_the_speakers_turns_and_is_capped():
    turns = [DialogTurn(speaker="a", content="one two three"), DialogTurn(speaker="b", content="x")]
    start = CognitiveState(energy=100, arousal=0.5)
    assert energy_spent(turns, "a", start) == turn_energy_cost(turns[0], 0.5)
    assert energy_spent(turns, "a", CognitiveState(energy=0.5)) == 0.5


def test_settle_dialog_spends_energy_adds_fatigue_and_sets_the_atmosphere():
    turns = [DialogTurn(speaker="a", content="word " * 40), DialogTurn(speaker="b", content="no")]
    base = {"a": CognitiveState(energy=100, valence=0.2), "b": CognitiveState(energy=100)}
    minds, bodies, mood = settle_dialog(
        ["a", "b"], turns, base, base, {"a": PhysicalState()}, Atmosphere(tension=0.3),
        start_tension=0.3, final_tension=0.7,
    )
    assert minds["a"].energy < minds["b"].energy < 100
    assert bodies["a"].fatigue > bodies["b"].fatigue > 0
    assert minds["a"].valence < 0.2  # tension rose
    assert mood.tension == 0.7
    assert minds["a"].arousal == (0.5 + 0.7) / 2

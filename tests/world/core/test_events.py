import numpy as np

from daedalus.world.core import Births, Deaths, EventQueue, Layoffs


def test_events_are_taken_by_kind_and_summarised_in_the_log():
    queue = EventQueue()
    queue.emit(Deaths(np.array([1, 2]), np.array([0, 1]), np.array([5.0, 7.0])))
    queue.emit(Births(np.array([9])))
    queue.emit(Layoffs(np.zeros(0, dtype=np.int64)))  # nothing happened: nothing queued
    (deaths,) = queue.take(Deaths)
    assert deaths.estates.sum() == 12.0
    assert queue.take(Deaths) == []
    summary = queue.end_tick()
    assert summary == {"deaths": {"count": 2.0, "amount": 12.0}, "births": {"count": 1.0}}
    assert queue.end_tick() == {} and queue.pending == {}

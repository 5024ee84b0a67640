"""Worlds that ground temporal runs: a scenario's ``world:`` section, the signals a date's
KPIs and events give (a recession, an outbreak, a policy change), and who learns them.
May import daedalus.errors and daedalus.world only.

The graph node that turns the news into
exposures (M3) is ``daedalus.graphs.grounding.world_news``; prompts render it as ``$world``.
"""

from __future__ import annotations

from daedalus.world.grounding._history import (
    NewsItem,
    WorldHistory,
    load_history,
    news_at,
    tick_for,
)
from daedalus.world.grounding._section import ActorTie, WorldPlace, WorldSection, parse_actor
from daedalus.world.grounding._signals import SIGNAL_KINDS, WINDOW, WorldSignal, derive_signals

__all__ = [
    "SIGNAL_KINDS",
    "WINDOW",
    "WORLD_SOURCE",
    "ActorTie",
    "NewsItem",
    "WorldHistory",
    "WorldPlace",
    "WorldSection",
    "WorldSignal",
    "derive_signals",
    "load_history",
    "news_at",
    "parse_actor",
    "tick_for",
]

WORLD_SOURCE = "world"
"""``source`` of the exposures the world's news leaves in entities."""

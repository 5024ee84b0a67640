"""The world's systems, one module each, as pure column functions (state in, write set out).
May import daedalus.world.core, daedalus.world.invariants and daedalus.errors only.

``SYSTEMS`` is the tick order of the spec: environment, demography, production, the goods and
labour markets, finance, government, trade, energy, media, health, bookkeeping.
"""

from __future__ import annotations

from daedalus.world.core import System
from daedalus.world.systems.bookkeeping import BOOKKEEPING
from daedalus.world.systems.demography import DEMOGRAPHY
from daedalus.world.systems.energy import ENERGY
from daedalus.world.systems.environment import ENVIRONMENT
from daedalus.world.systems.finance import FINANCE
from daedalus.world.systems.goods_market import GOODS_MARKET
from daedalus.world.systems.government import GOVERNMENT
from daedalus.world.systems.health import HEALTH
from daedalus.world.systems.labour import LABOUR
from daedalus.world.systems.media import MEDIA
from daedalus.world.systems.production import PRODUCTION
from daedalus.world.systems.trade import TRADE

__all__ = ["SYSTEMS"]

SYSTEMS: tuple[System, ...] = (
    ENVIRONMENT,
    DEMOGRAPHY,
    PRODUCTION,
    LABOUR,
    GOODS_MARKET,
    FINANCE,
    GOVERNMENT,
    TRADE,
    ENERGY,
    MEDIA,
    HEALTH,
    BOOKKEEPING,
)
"""Every system in tick order; disabled ones (by preset flags) are skipped by the scheduler."""

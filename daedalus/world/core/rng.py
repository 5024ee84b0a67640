"""Counter-based random streams keyed by (master seed, system, purpose, tick), indexed by slot.

Every draw comes from a Philox stream whose key is a BLAKE2 hash of the four parts, and the
draw for slot ``k`` is the stream's ``k``-th value. So the draws of one slot never depend on
how many slots were drawn or which other entities exist (common random numbers): a birth does
not reshuffle anyone else's luck, and a tick can be replayed alone from a snapshot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["FEW_SLOTS", "PHILOX_WORDS", "KeyedRng", "TickRng"]

PHILOX_WORDS = 4
"""64-bit words per Philox-4x64 counter step: ``advance(1)`` skips this many draws."""
FEW_SLOTS = 8
"""Up to this many slots, ``TickRng.at`` jumps to each draw instead of drawing up to the last."""


@dataclass(frozen=True)
class KeyedRng:
    """The random streams of one world, derived from its master seed."""

    master_seed: int

    def philox(self, system: str, purpose: str, tick: int) -> np.random.Philox:
        """The bit generator of one (system, purpose, tick) stream, at its first draw."""
        text = f"{self.master_seed}/{system}/{purpose}/{tick}".encode()
        key = np.frombuffer(hashlib.blake2b(text, digest_size=16).digest(), dtype="<u8")
        return np.random.Philox(key=key.copy())

    def generator(self, system: str, purpose: str, tick: int) -> np.random.Generator:
        """The generator of one (system, purpose, tick) stream, at its first draw."""
        return np.random.Generator(self.philox(system, purpose, tick))

    def uniform(self, system: str, purpose: str, tick: int, n: int) -> NDArray[np.float64]:
        """``n`` draws in [0, 1); draw ``k`` is the same whatever ``n`` (one 64-bit word each)."""
        return self.generator(system, purpose, tick).random(n)

    def normal(self, system: str, purpose: str, tick: int, n: int) -> NDArray[np.float64]:
        """``n`` standard normal draws, slot-indexed (Box-Muller over two uniform streams)."""
        u1 = self.uniform(system, purpose + "#1", tick, n)
        u2 = self.uniform(system, purpose + "#2", tick, n)
        return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)

    def for_tick(self, system: str, tick: int) -> TickRng:
        """The streams one system may use during one tick."""
        return TickRng(self, system, tick)


@dataclass(frozen=True)
class TickRng:
    """A system's view of the keyed streams during one tick: only the purpose varies."""

    keyed: KeyedRng
    system: str
    tick: int

    def uniform(self, purpose: str, n: int) -> NDArray[np.float64]:
        """Slot-indexed uniform draws for ``purpose`` (see ``KeyedRng.uniform``)."""
        return self.keyed.uniform(self.system, purpose, self.tick, n)

    def normal(self, purpose: str, n: int) -> NDArray[np.float64]:
        """Slot-indexed standard normal draws for ``purpose``."""
        return self.keyed.normal(self.system, purpose, self.tick, n)

    def at(self, purpose: str, slots: NDArray[np.int64]) -> NDArray[np.float64]:
        """The uniform draws of ``slots`` only (the same values ``uniform`` gives them). A few
        slots jump the counter straight to their draw; many draw up to the highest slot."""
        if slots.size == 0:
            return np.zeros(0)
        if slots.size > FEW_SLOTS:
            return self.uniform(purpose, int(slots.max()) + 1)[slots]
        draws = np.empty(slots.size)
        for index, slot in enumerate(slots.tolist()):
            philox = self.keyed.philox(self.system, purpose, self.tick)
            block, offset = divmod(slot, PHILOX_WORDS)
            philox.advance(block)
            draws[index] = np.random.Generator(philox).random(offset + 1)[-1]
        return draws

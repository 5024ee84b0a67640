"""Hash-derived choices for the offline model: the same key always rolls the same numbers.

Built on BLAKE2b, never on Python's ``hash()`` (salted per process), so an answer is stable
across processes, machines and Python versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["Dice"]

_UNIT_BITS = 53


class Dice:
    """A deterministic stream of choices derived from a key.

    Each draw advances an internal counter, so the n-th draw of a given key is always the
    same; ``child(label)`` derives an independent stream for a named sub-decision (a field
    path), so adding a field never shifts the choices made for its siblings.
    """

    __slots__ = ("_count", "_key")

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.blake2b(key, digest_size=32).digest()
        self._count = 0

    @classmethod
    def from_parts(cls, *parts: str | bytes | int) -> Dice:
        """A stream keyed by the given parts (order matters)."""
        digest = hashlib.blake2b(digest_size=32)
        for part in parts:
            raw = part if isinstance(part, bytes) else str(part).encode()
            digest.update(len(raw).to_bytes(8, "big"))
            digest.update(raw)
        return cls(digest.digest())

    @property
    def key_hex(self) -> str:
        """The stream key as hex, used for stable ids such as tool call ids."""
        return self._key.hex()

    def child(self, label: str | int) -> Dice:
        """An independent stream for the sub-decision ``label``."""
        return Dice(self._key + b"/" + str(label).encode())

    def _draw(self) -> int:
        self._count += 1
        block = hashlib.blake2b(
            self._count.to_bytes(8, "big"), key=self._key, digest_size=64
        ).digest()
        return int.from_bytes(block, "big")

    def below(self, n: int) -> int:
        """A whole number in ``[0, n)``; the 512-bit draw makes modulo bias negligible."""
        if n <= 0:
            raise ValueError(f"Dice.below needs a positive bound, got {n}")
        return self._draw() % n

    def between(self, low: int, high: int) -> int:
        """A whole number in ``[low, high]`` (both included)."""
        if high < low:
            raise ValueError(f"empty range [{low}, {high}]")
        return low + self.below(high - low + 1)

    def unit(self) -> float:
        """A float in ``[0, 1)``."""
        return (self._draw() >> (512 - _UNIT_BITS)) / float(1 << _UNIT_BITS)

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self.unit() < probability

    def weighted(self, weights: Sequence[float]) -> int:
        """An index drawn in proportion to ``weights`` (all must be >= 0, one > 0)."""
        total = sum(weights)
        if total <= 0:
            raise ValueError("weighted choice needs at least one positive weight")
        point = self.unit() * total
        running = 0.0
        for index, weight in enumerate(weights):
            running += weight
            if point < running:
                return index
        return max(i for i, w in enumerate(weights) if w > 0)

    def sample(self, weights: Sequence[float], count: int) -> list[int]:
        """``count`` distinct indices drawn in proportion to ``weights``, without replacement."""
        remaining = list(weights)
        picked: list[int] = []
        while len(picked) < count and any(w > 0 for w in remaining):
            index = self.weighted(remaining)
            picked.append(index)
            remaining[index] = 0.0
        return picked

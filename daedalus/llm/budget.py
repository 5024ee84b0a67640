"""The budget guard (M18, with the M1+M17 fidelity strategy): a dollar cap on model calls.

Before each request the router reserves the call's worst case (the prompt, estimated from
above, plus a full ``max_tokens`` completion at registry prices) and settles the reservation
with the billed cost afterwards. Three modes:

- ``hard``: a request whose worst case, added to what is spent and what is in flight, would
  cross the cap is refused with ``BudgetExceededError`` before anything is sent;
- ``soft``: nothing is refused; ``pressure`` and ``should_degrade`` tell the fidelity planner to
  spend less;
- ``max``: nothing is refused; spending is only reported.

``BudgetMode`` is the fidelity strategy's own enum, re-exported here. Amounts are summed as
exact decimals, so float rounding can neither let a hard cap slip nor refuse a call that fits.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel

from daedalus.errors import BudgetExceededError, ConfigError
from daedalus.kernel.strategy import BudgetMode
from daedalus.llm._money import exact_dollars
from daedalus.llm._schemas import json_schema

__all__ = ["BudgetGuard", "BudgetMode", "Reservation", "prompt_tokens_upper_bound"]

_TOKENS_PER_MESSAGE = 8  # role markers and separators a chat template adds around each message
_TOKENS_PER_REQUEST = 16


@dataclass(frozen=True)
class Reservation:
    """Dollars set aside for one request until it is settled. ``amount_usd`` is its worst case."""

    id: int
    amount_usd: float


class BudgetGuard:
    """A dollar cap shared by every call of a run; safe across tasks and threads.

    ``limit_usd=None`` means no cap: every mode then only reports. ``spent_usd`` is what the
    run spent before this guard existed (earlier processes of a resumed or branched run), so
    the cap holds over the run's whole life.
    """

    def __init__(
        self,
        limit_usd: float | None = None,
        mode: BudgetMode | str = BudgetMode.HARD,
        *,
        degrade_at: float = 0.8,
        spent_usd: float = 0.0,
    ) -> None:
        if limit_usd is not None and not (math.isfinite(limit_usd) and limit_usd >= 0):
            raise ConfigError(f"budget limit_usd must be a finite amount >= 0, got {limit_usd!r}")
        if not (math.isfinite(spent_usd) and spent_usd >= 0):
            raise ConfigError(f"budget spent_usd must be a finite amount >= 0, got {spent_usd!r}")
        if not 0.0 < degrade_at <= 1.0:
            raise ConfigError(f"budget degrade_at must be in (0, 1], got {degrade_at!r}")
        try:
            self.mode = BudgetMode(mode)
        except ValueError:
            choices = ", ".join(m.value for m in BudgetMode)
            raise ConfigError(f"budget mode must be one of {choices}, got {mode!r}") from None
        self.limit_usd = limit_usd
        self.degrade_at = degrade_at
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._spent = exact_dollars(spent_usd)
        self._open: dict[int, Fraction] = {}

    def reserve(self, worst_case_usd: float | None, *, model: str = "a model") -> Reservation:
        """Set aside ``worst_case_usd`` for one request, or refuse it (hard mode only).

        ``None`` means the worst case is unknown (a model without registry prices): a hard
        budget then lets the request through only while the cap has not been reached.
        """
        if worst_case_usd is not None and not (
            math.isfinite(worst_case_usd) and worst_case_usd >= 0
        ):
            raise ValueError(f"worst_case_usd must be a finite amount >= 0, got {worst_case_usd}")
        amount = exact_dollars(worst_case_usd or 0.0)
        with self._lock:
            if self.mode is BudgetMode.HARD and self.limit_usd is not None:
                committed = self._spent + sum(self._open.values(), Fraction(0))
                limit = exact_dollars(self.limit_usd)
                refused = (
                    committed >= limit if worst_case_usd is None else committed + amount > limit
                )
                if refused:
                    worst = "unknown" if worst_case_usd is None else f"${worst_case_usd:.6f}"
                    raise BudgetExceededError(
                        f"hard budget of ${self.limit_usd:.4f} refuses a call to {model} "
                        f"that could cost up to {worst} (spent ${float(self._spent):.6f}, "
                        f"in flight ${float(committed - self._spent):.6f}); "
                        "raise the limit or resume the run with a larger budget"
                    )
            reservation = Reservation(id=next(self._ids), amount_usd=float(amount))
            self._open[reservation.id] = amount
        return reservation

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        """Replace a reservation with what the request really cost (0 if nothing was billed)."""
        if not (math.isfinite(actual_usd) and actual_usd >= 0):
            raise ValueError(f"actual_usd must be a finite amount >= 0, got {actual_usd}")
        with self._lock:
            if self._open.pop(reservation.id, None) is None:
                raise ValueError(f"reservation {reservation.id} is unknown or already settled")
            self._spent += exact_dollars(actual_usd)

    @property
    def spent_usd(self) -> float:
        """Dollars billed so far."""
        with self._lock:
            return float(self._spent)

    @property
    def in_flight_usd(self) -> float:
        """Dollars reserved by requests that have not been settled yet."""
        with self._lock:
            return float(sum(self._open.values(), Fraction(0)))

    @property
    def remaining_usd(self) -> float | None:
        """Dollars left under the cap (never negative), or ``None`` without a cap."""
        if self.limit_usd is None:
            return None
        with self._lock:
            return float(max(exact_dollars(self.limit_usd) - self._spent, Fraction(0)))

    @property
    def pressure(self) -> float:
        """Spent over limit: 0 with no cap, 1 at the cap (can exceed 1 in soft or max mode)."""
        if self.limit_usd is None:
            return 0.0
        with self._lock:
            spent = self._spent
        if self.limit_usd == 0:
            return 1.0
        return float(spent / exact_dollars(self.limit_usd))

    @property
    def should_degrade(self) -> bool:
        """True when a soft budget's pressure reached ``degrade_at``: plan cheaper fidelity."""
        return self.mode is BudgetMode.SOFT and self.pressure >= self.degrade_at


def prompt_tokens_upper_bound(
    messages: Sequence[BaseMessage], schema: type[BaseModel] | None = None
) -> int:
    """A prompt token count no byte-level tokenizer exceeds: UTF-8 bytes plus template overhead.

    Every token covers at least one byte, so the byte count bounds the tokens from above; the
    output schema counts too, since it is sent with the request.
    """
    total = _TOKENS_PER_REQUEST
    for message in messages:
        content = message.content
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        total += len(text.encode("utf-8")) + _TOKENS_PER_MESSAGE
        if isinstance(message, AIMessage) and message.tool_calls:
            calls = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
            total += len(json.dumps(calls, ensure_ascii=False).encode("utf-8"))
    if schema is not None:
        total += len(json.dumps(json_schema(schema), ensure_ascii=False).encode("utf-8"))
    return total

"""World signals: what a date's KPIs and events mean in words (a recession, an outbreak, ...).

A signal compares the KPIs at a tick with those ``WINDOW`` ticks earlier (or the first tick
recorded, when the history is shorter) and fires when a threshold below is crossed:

==============  ===================================================================
kind            fires when
==============  ===================================================================
recession       GDP fell by ``RECESSION_GDP_DROP`` or more over the window, or
                unemployment rose by ``RECESSION_UNEMPLOYMENT_RISE`` and stands at
                ``HIGH_UNEMPLOYMENT`` or more
recovery        GDP rose by ``RECOVERY_GDP_RISE`` or more and unemployment fell
outbreak        infections reach ``OUTBREAK_PER_100K`` per 100,000 people and at
                least doubled over the window
inflation       yearly inflation at ``HIGH_INFLATION`` or more
policy_change   the policy rate moved by ``POLICY_RATE_MOVE`` or more
unrest          approval fell by ``APPROVAL_DROP`` or more to below ``LOW_APPROVAL``
blackouts       energy reliability below ``LOW_RELIABILITY``
closures        ``CLOSURES`` or more firms closed over the window (event log)
==============  ===================================================================

Pure: plain numbers in, ``WorldSignal`` values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "APPROVAL_DROP",
    "CLOSURES",
    "HIGH_INFLATION",
    "HIGH_UNEMPLOYMENT",
    "LOW_APPROVAL",
    "LOW_RELIABILITY",
    "OUTBREAK_PER_100K",
    "POLICY_RATE_MOVE",
    "RECESSION_GDP_DROP",
    "RECESSION_UNEMPLOYMENT_RISE",
    "RECOVERY_GDP_RISE",
    "SIGNAL_KINDS",
    "WINDOW",
    "WorldSignal",
    "derive_signals",
]

WINDOW = 30
"""Ticks (days) a signal looks back over."""
RECESSION_GDP_DROP = 0.05
RECESSION_UNEMPLOYMENT_RISE = 0.03
HIGH_UNEMPLOYMENT = 0.08
RECOVERY_GDP_RISE = 0.05
OUTBREAK_PER_100K = 5.0
HIGH_INFLATION = 0.06
POLICY_RATE_MOVE = 0.005
APPROVAL_DROP = 0.05
LOW_APPROVAL = 0.4
LOW_RELIABILITY = 0.95
CLOSURES = 10

SIGNAL_KINDS = (
    "recession", "recovery", "outbreak", "inflation", "policy_change", "unrest", "blackouts",
    "closures",
)
"""Every signal kind, in the order a date lists them."""


@dataclass(frozen=True)
class WorldSignal:
    """One thing the world's figures say at a tick: its kind and a sentence with the numbers."""

    kind: str
    tick: int
    text: str


def _change(now: float, before: float) -> float:
    return (now - before) / abs(before) if before else 0.0


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def derive_signals(
    kpis: Mapping[int, Mapping[str, float]],
    tick: int,
    closures: Sequence[float] = (),
    *,
    window: int = WINDOW,
) -> tuple[WorldSignal, ...]:
    """The signals at ``tick`` from ``kpis`` (tick -> KPI row) and the firms closed per tick
    over the window (``closures``); empty when ``tick`` has no KPIs."""
    now = kpis.get(tick)
    if now is None:
        return ()
    start = max(min(kpis), tick - window)
    before = kpis[start]
    days = tick - start
    found: list[tuple[str, str]] = []
    gdp = _change(now["gdp"], before["gdp"])
    jobless, jobless_rise = now["unemployment"], now["unemployment"] - before["unemployment"]
    if -gdp >= RECESSION_GDP_DROP or (
        jobless_rise >= RECESSION_UNEMPLOYMENT_RISE and jobless >= HIGH_UNEMPLOYMENT
    ):
        found.append((
            "recession",
            f"The economy is in a downturn: output {'fell' if gdp < 0 else 'moved'} "
            f"{_pct(abs(gdp))} over {days} days and unemployment stands at {_pct(jobless)} "
            f"(was {_pct(before['unemployment'])}).",
        ))
    elif gdp >= RECOVERY_GDP_RISE and jobless_rise < 0:
        found.append((
            "recovery",
            f"The economy is recovering: output rose {_pct(gdp)} over {days} days and "
            f"unemployment fell to {_pct(jobless)}.",
        ))
    people = max(now["population"], 1.0)
    per_100k = 1e5 * now["infections"] / people
    if per_100k >= OUTBREAK_PER_100K and now["infections"] >= 2.0 * before["infections"]:
        found.append((
            "outbreak",
            f"An epidemic is spreading: {per_100k:.0f} infections per 100,000 people, "
            f"{now['infections'] / max(before['infections'], 1e-9):.0f} times as many as "
            f"{days} days ago.",
        ))
    if now["inflation"] >= HIGH_INFLATION:
        found.append((
            "inflation",
            f"Prices are rising fast: inflation runs at {_pct(now['inflation'])} a year.",
        ))
    rate_move = now["policy_rate"] - before["policy_rate"]
    if abs(rate_move) >= POLICY_RATE_MOVE:
        found.append((
            "policy_change",
            f"The central bank {'raised' if rate_move > 0 else 'cut'} its policy rate from "
            f"{_pct(before['policy_rate'])} to {_pct(now['policy_rate'])}.",
        ))
    if before["approval"] - now["approval"] >= APPROVAL_DROP and now["approval"] < LOW_APPROVAL:
        found.append((
            "unrest",
            f"Discontent is growing: approval of the government fell to {_pct(now['approval'])} "
            f"(was {_pct(before['approval'])}).",
        ))
    if now["energy_reliability"] < LOW_RELIABILITY:
        found.append((
            "blackouts",
            f"Power cuts: the grid serves only {_pct(now['energy_reliability'])} of demand.",
        ))
    closed = sum(closures)
    if closed >= CLOSURES:
        found.append(("closures", f"{closed:.0f} firms closed over the last {days} days."))
    return tuple(WorldSignal(kind, tick, text) for kind, text in found)

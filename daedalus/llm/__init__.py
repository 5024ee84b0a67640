"""The model layer (M18): registry, selection, router, offline model, ledger, budget, cache."""

from daedalus.llm.actions import ActionType, Capability

__all__ = ["ActionType", "Capability"]

"""The model layer (M18): registry, selection, router, offline model, ledger, budget, cache.
May import the kernel, state, validators, portal and below; never agents, graphs or runs.

Every node reaches a model through one ``Router``; see ``daedalus.llm.router``.
"""

from daedalus.llm.actions import ActionType, Capability
from daedalus.llm.budget import BudgetGuard
from daedalus.llm.cache import InMemoryResponseCache, ResponseCache, SQLiteResponseCache
from daedalus.llm.ledger import CallRecord, Ledger, UsageTotals
from daedalus.llm.offline import OFFLINE_MODEL_NAME, OfflineChatModel
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import (
    ModelProfile,
    ModelRegistry,
    StructuredOutputMethod,
    load_registry,
)
from daedalus.llm.router import Router
from daedalus.llm.selection import (
    ACTION_REQUIREMENTS,
    ActionRequirements,
    Preference,
    fallback_chain,
    select_model,
)

__all__ = [
    "ACTION_REQUIREMENTS",
    "OFFLINE_MODEL_NAME",
    "ActionRequirements",
    "ActionType",
    "BudgetGuard",
    "CallRecord",
    "Capability",
    "InMemoryResponseCache",
    "Ledger",
    "ModelProfile",
    "ModelRegistry",
    "OfflineChatModel",
    "Preference",
    "ResponseCache",
    "Router",
    "SQLiteResponseCache",
    "SamplingParams",
    "StructuredOutputMethod",
    "UsageTotals",
    "fallback_chain",
    "load_registry",
    "select_model",
]

"""Test kit: scripted models, a loopback OpenRouter stand-in, the network guard and pytest
fixtures for node tests.
May import llm and below; never agents, graphs or runs.

Names load lazily so that the pytest plugin (registered for every session where Daedalus is
installed) does not import LangChain until a test asks for a scripted model.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daedalus.testing.network import block_network, is_local_host, network_blocked
    from daedalus.testing.openrouter import LoopbackOpenRouter
    from daedalus.testing.scripted import Answer, ScriptedCall, ScriptedModel

__all__ = [
    "Answer",
    "LoopbackOpenRouter",
    "ScriptedCall",
    "ScriptedModel",
    "block_network",
    "is_local_host",
    "network_blocked",
]

_HOMES = {
    "Answer": "daedalus.testing.scripted",
    "LoopbackOpenRouter": "daedalus.testing.openrouter",
    "ScriptedCall": "daedalus.testing.scripted",
    "ScriptedModel": "daedalus.testing.scripted",
    "block_network": "daedalus.testing.network",
    "is_local_host": "daedalus.testing.network",
    "network_blocked": "daedalus.testing.network",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'daedalus.testing' has no attribute {name!r}")
    return getattr(import_module(home), name)

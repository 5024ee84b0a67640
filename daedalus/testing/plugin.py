"""pytest plugin for projects that use Daedalus, registered through the ``pytest11`` entry point.

Fixtures (each imports what it needs only when a test asks for it):

- ``offline_model``: an ``OfflineChatModel(seed=0)``;
- ``scripted_model_factory``: builds a ``ScriptedModel(script, default, cycle=...)``;
- ``offline_router``: ``Router.offline(seed=0)``;
- ``scripted_router``: builds ``Router.for_chat_model(ScriptedModel(script, ...))``; pass a
  ``ScriptedModel`` instead of a script to keep a handle on its recorded calls;
- ``block_network``: the network guard for one test.

The network guard for a whole suite is opt-in: set ``daedalus_block_network = true`` in the
pytest ini options, or mark tests ``@pytest.mark.block_network``; ``@pytest.mark.allow_network``
exempts a test. The guard covers fixture setup, the test itself and teardown. Without opting
in, the plugin changes nothing in a test session.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from daedalus.llm.offline import OfflineChatModel
    from daedalus.llm.router import Router
    from daedalus.testing.scripted import Answer, ScriptedModel

    Script = Mapping[str, Sequence[Answer]] | Sequence[Answer]

__all__ = [
    "INI_BLOCK_NETWORK",
    "block_network",
    "offline_model",
    "offline_router",
    "scripted_model_factory",
    "scripted_router",
]

INI_BLOCK_NETWORK = "daedalus_block_network"
"""The ini option that turns the network guard on for every test."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_BLOCK_NETWORK,
        type="bool",
        default=False,
        help="daedalus: make every test fail when it opens a connection to a non-local host",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "block_network: daedalus: fail this test if it connects to a non-local host"
    )
    config.addinivalue_line(
        "markers", "allow_network: daedalus: exempt this test from the network guard"
    )


def _guard_wanted(item: pytest.Item) -> bool:
    if item.get_closest_marker("allow_network") is not None:
        return False
    if item.get_closest_marker("block_network") is not None:
        return True
    return bool(item.config.getini(INI_BLOCK_NETWORK))


def _guarded(item: pytest.Item) -> Generator[None, object, object]:
    if not _guard_wanted(item):
        return (yield)
    from daedalus.testing.network import block_network as guard

    with guard():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))


@pytest.fixture(name="block_network")
def block_network() -> Iterator[None]:
    """Refuse connections to non-local hosts for the duration of the test."""
    from daedalus.testing.network import block_network as guard

    with guard():
        yield


@pytest.fixture
def offline_model() -> OfflineChatModel:
    """The offline model with seed 0: deterministic, schema-valid, no network."""
    from daedalus.llm.offline import OfflineChatModel

    return OfflineChatModel(seed=0)


@pytest.fixture
def scripted_model_factory() -> Callable[..., ScriptedModel]:
    """Builds ``ScriptedModel(script, default, cycle=...)`` for node tests."""
    from daedalus.testing.scripted import ScriptedModel

    def build(script: Script = (), default: Answer | None = None, **kwargs: Any) -> ScriptedModel:
        return ScriptedModel(script, default, **kwargs)

    return build


@pytest.fixture
def offline_router() -> Router:
    """A router whose every action goes to the offline model (seed 0)."""
    from daedalus.llm.router import Router

    return Router.offline(seed=0)


@pytest.fixture
def scripted_router() -> Callable[..., Router]:
    """Builds a router around a scripted model: ``scripted_router(script_or_model,
    default=None, cycle=False, **router_options)``."""
    from daedalus.llm.router import Router
    from daedalus.testing.scripted import ScriptedModel

    def build(
        script: Script | ScriptedModel,
        default: Answer | None = None,
        *,
        cycle: bool = False,
        **router_options: Any,
    ) -> Router:
        if isinstance(script, ScriptedModel):
            model = script
        else:
            model = ScriptedModel(script, default, cycle=cycle)
        return Router.for_chat_model(model, **router_options)

    return build

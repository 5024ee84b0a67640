"""The pytest plugin: fixtures, and a network guard that is off unless a project opts in.

Each test runs a small pytest session in a temporary directory. The suite-wide guard is lifted
for them (``allow_network``) so the inner sessions see only the guard they configure; the inner
tests inspect the guard's state, and the one that connects does so only under the guard.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.allow_network

STATE_CHECKS = """
import pytest
from daedalus.testing.network import network_blocked

@pytest.fixture
def seen_in_setup():
    blocked = network_blocked()
    yield blocked
    assert network_blocked() is blocked  # teardown sees the same guard

def test_state(seen_in_setup):
    print(f"STATE setup={seen_in_setup} call={network_blocked()}")

@pytest.mark.allow_network
def test_exempt():
    print(f"EXEMPT call={network_blocked()}")

@pytest.mark.block_network
def test_marked():
    print(f"MARKED call={network_blocked()}")
"""

FIXTURE_CHECKS = """
import pytest
from daedalus.llm.offline import OfflineChatModel
from daedalus.testing.network import network_blocked
from daedalus.testing.scripted import ScriptedModel

def router_class():
    try:
        from daedalus.llm.router import Router
    except ImportError:
        return None
    return Router if hasattr(Router, "for_chat_model") else None

needs_router = pytest.mark.skipif(
    router_class() is None, reason="daedalus.llm.router.Router is not available yet"
)

def test_offline(offline_model):
    assert isinstance(offline_model, OfflineChatModel) and offline_model.seed == 0
    assert offline_model.invoke("The lamp flickers in the hall.").content

def test_scripted(scripted_model_factory):
    model = scripted_model_factory({"steering": ["go"]}, default="idle")
    assert isinstance(model, ScriptedModel)
    config = {"metadata": {"daedalus_node": "steering"}}
    assert model.invoke("x", config=config).content == "go"
    assert model.invoke("x").content == "idle"

def test_guard_fixture(block_network):
    assert network_blocked()

@needs_router
def test_offline_router(offline_router):
    assert isinstance(offline_router, router_class())

@needs_router
def test_scripted_router(scripted_router):
    assert isinstance(scripted_router({"steering": ["go"]}), router_class())
    assert isinstance(scripted_router(ScriptedModel(default="x")), router_class())
"""


def test_off_by_default_with_markers_and_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_state=STATE_CHECKS, test_fixtures=FIXTURE_CHECKS)
    result = pytester.runpytest("-s", "-rs", "--strict-markers")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0
    assert outcomes["passed"] + outcomes.get("skipped", 0) == 8
    if outcomes.get("skipped"):
        result.stdout.fnmatch_lines(["*Router is not available yet*"])
    output = result.stdout.str()
    assert "STATE setup=False call=False" in output  # no opt-in: the session is unchanged
    assert "EXEMPT call=False" in output
    assert "MARKED call=True" in output


def test_the_ini_option_guards_setup_call_and_teardown(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndaedalus_block_network = true\n")
    pytester.makepyfile(
        test_state=STATE_CHECKS,
        test_connect="""
            import socket
            from daedalus.testing.network import network_blocked

            def test_connects():
                assert network_blocked()  # so the connect below never leaves the machine
                socket.create_connection(("203.0.113.1", 443), timeout=0.01)
        """,
    )
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=3, failed=1)
    output = result.stdout.str()
    assert "STATE setup=True call=True" in output
    assert "EXEMPT call=False" in output
    result.stdout.fnmatch_lines(["*NetworkBlockedError: network access is blocked*"])

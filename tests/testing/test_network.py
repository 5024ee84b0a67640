"""The network guard: connections to other hosts fail at connect, local ones keep working."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest
import respx

from daedalus.errors import NetworkBlockedError
from daedalus.testing.network import block_network, is_local_host, network_blocked

UNROUTABLE = ("203.0.113.1", 443)  # TEST-NET-3: documentation only, never a real host


def test_our_suite_runs_with_the_guard_on() -> None:
    assert network_blocked()


def test_create_connection_fails_before_any_traffic() -> None:
    with pytest.raises(NetworkBlockedError, match=r"203\.0\.113\.1:443"):
        socket.create_connection(UNROUTABLE, timeout=0.01)


def test_socket_connect_and_connect_ex_fail_and_the_socket_stays_unconnected() -> None:
    for family, address in (
        (socket.AF_INET, UNROUTABLE),
        (socket.AF_INET6, ("2001:db8::1", 443, 0, 0)),
    ):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            with pytest.raises(NetworkBlockedError):
                sock.connect(address)
            with pytest.raises(NetworkBlockedError):
                sock.connect_ex(address)
            with pytest.raises(OSError):
                sock.getpeername()  # never connected: nothing was sent


def test_host_names_are_not_even_resolved() -> None:
    with pytest.raises(NetworkBlockedError, match=r"openrouter\.ai"):
        socket.getaddrinfo("openrouter.ai", 443)
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("openrouter.ai", 443), timeout=0.01)


def test_real_http_clients_are_stopped() -> None:
    with pytest.raises(NetworkBlockedError):
        httpx.get("https://203.0.113.1/v1/models", timeout=0.5)


def test_a_real_model_call_fails_with_the_guard_in_its_cause_chain() -> None:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model="x/y",
        api_key="sk-test",
        base_url="https://203.0.113.1/v1",
        max_retries=0,
        timeout=0.5,
    )
    with pytest.raises(Exception) as caught:
        model.invoke("hello")
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, NetworkBlockedError) for e in chain)


def test_respx_mocked_http_keeps_working() -> None:
    with respx.mock:
        respx.get("https://openrouter.ai/api/v1/models").respond(json={"data": []})
        assert httpx.get("https://openrouter.ai/api/v1/models").json() == {"data": []}


def test_loopback_connections_are_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        accepted: list[bytes] = []

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                accepted.append(conn.recv(4))

        worker = threading.Thread(target=accept)
        worker.start()
        with socket.create_connection(("localhost", port), timeout=2) as client:
            client.sendall(b"ping")
        worker.join(timeout=2)
    assert accepted == [b"ping"]


def test_unix_sockets_are_allowed(tmp_path: Path) -> None:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"ok")
        assert right.recv(2) == b"ok"
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(path)
        server.listen()
        client.connect(path)


@pytest.mark.parametrize(
    ("host", "local"),
    [
        *((host, True) for host in ("localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]")),
        *((host, True) for host in ("::ffff:127.0.0.1", "0.0.0.0", b"localhost")),
        *((host, False) for host in ("203.0.113.1", "10.0.0.1", "example.com", 42)),
    ],
)
def test_what_counts_as_local(host: object, local: bool) -> None:
    assert is_local_host(host) is local


@pytest.mark.allow_network
def test_guards_nest_and_restore_the_socket_module() -> None:
    originals = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.create_connection,
        socket.getaddrinfo,
    )
    assert not network_blocked()
    with block_network():
        with block_network():
            assert network_blocked()
        with pytest.raises(NetworkBlockedError):
            socket.create_connection(UNROUTABLE, timeout=0.01)
    assert not network_blocked()
    assert (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.create_connection,
        socket.getaddrinfo,
    ) == originals
    assert "connect" not in vars(socket.socket)

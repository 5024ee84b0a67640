"""A switch that makes tests fail the moment they try to reach a real host.

Inside ``block_network()``, opening a connection to anything but this machine raises
``daedalus.errors.NetworkBlockedError`` before a single packet leaves: ``socket.connect``,
``socket.connect_ex`` and ``socket.create_connection`` refuse non-loopback addresses, and
``socket.getaddrinfo`` refuses to resolve host names other than ``localhost``, so not even a
DNS query goes out. Loopback addresses, unix sockets and local socket pairs keep working, and
so does HTTP mocked with respx (it replaces the transport and never opens a socket).

Clients that retry on connection errors (openai, httpx) wrap the error: look for
``NetworkBlockedError`` in the exception's ``__cause__`` chain.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from daedalus.errors import NetworkBlockedError

__all__ = ["block_network", "is_local_host", "network_blocked"]

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_INET_FAMILIES = (socket.AF_INET, socket.AF_INET6)
_ADVICE = "use OfflineChatModel or ScriptedModel, or mock HTTP with respx"

_lock = threading.Lock()
_depth = 0
_originals: dict[str, Any] = {}
_own_methods: set[str] = set()


def is_local_host(host: object) -> bool:
    """Whether ``host`` (a name or an address) never leaves this machine: ``localhost``,
    a loopback address (127.0.0.0/8, ::1, IPv4-mapped loopback) or an unspecified one."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].rstrip(".").lower()
    if name in _LOCAL_NAMES or name == "":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or address.is_unspecified or bool(mapped and mapped.is_loopback)


def network_blocked() -> bool:
    """Whether a ``block_network()`` guard is active right now."""
    return _depth > 0


@contextmanager
def block_network() -> Iterator[None]:
    """Refuse every connection to a non-local host while the block runs (see module doc).

    Re-entrant and usable from any thread: the socket functions are patched when the first
    guard opens and restored when the last one closes.
    """
    global _depth
    with _lock:
        if _depth == 0:
            _install()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _uninstall()


def _refuse(target: str) -> NetworkBlockedError:
    return NetworkBlockedError(f"network access is blocked in tests: {target}; {_ADVICE}")


def _check_address(family: int, address: Any) -> None:
    if family not in _INET_FAMILIES or not isinstance(address, tuple) or not address:
        return  # unix, netlink and other local families carry no remote host
    host = address[0]
    if not is_local_host(host):
        port = address[1] if len(address) > 1 else "?"
        raise _refuse(f"connection to {host}:{port} refused")


def _install() -> None:
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex
    create_connection = socket.create_connection
    getaddrinfo = socket.getaddrinfo
    _own_methods.clear()
    _own_methods.update(n for n in ("connect", "connect_ex") if n in vars(socket.socket))
    _originals.update(
        connect=connect,
        connect_ex=connect_ex,
        create_connection=create_connection,
        getaddrinfo=getaddrinfo,
    )

    def guarded_connect(self: socket.socket, address: Any) -> None:
        _check_address(self.family, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        _check_address(self.family, address)
        return connect_ex(self, address)

    def guarded_create_connection(address: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        _check_address(socket.AF_INET, address)
        return create_connection(address, *args, **kwargs)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_local_host(host) and not _is_address(host):
            name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
            raise _refuse(f"lookup of host name {name!r} refused")
        return getaddrinfo(host, *args, **kwargs)

    patches: dict[str, Callable[..., Any]] = {
        "connect": guarded_connect,
        "connect_ex": guarded_connect_ex,
    }
    for name, function in patches.items():
        setattr(socket.socket, name, function)
    socket.create_connection = guarded_create_connection
    socket.getaddrinfo = guarded_getaddrinfo


def _uninstall() -> None:
    for name in ("connect", "connect_ex"):
        if name in _own_methods:
            setattr(socket.socket, name, _originals[name])
        else:
            delattr(socket.socket, name)  # the method is inherited from _socket.socket again
    socket.create_connection = _originals["create_connection"]
    socket.getaddrinfo = _originals["getaddrinfo"]
    _originals.clear()


def _is_address(host: object) -> bool:
    """A literal IP address resolves without any query; the connect check still applies."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True

"""An httpx ``AsyncClient`` that keeps one connection pool per event loop.

A pooled connection belongs to the event loop that opened it. langchain-openai caches one
default async client per base URL for the whole process, so the second ``asyncio.run`` of a
process (the second run, a resumed run, a batch after a run) reuses connections of a loop that
is closed, and fails with "Event loop is closed". ``LoopLocalAsyncClient`` sends each request
through a client of the running loop, made on first use in that loop, and closes that client
when the loop shuts down: ``asyncio.run`` (and ``asyncio.Runner``) close every open async
generator before closing the loop, and each client is tied to one such generator. No socket
outlives its loop.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import AsyncGenerator
from typing import Any

import httpx

__all__ = ["LoopLocalAsyncClient"]

_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100, keepalive_expiry=5.0)
_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def _verify() -> ssl.SSLContext:
    """One TLS context for every client (loading the CA bundle is slow)."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = ssl.create_default_context()
        return _ssl_context


async def _closing_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Suspended at its ``yield`` until the loop shuts its async generators down."""
    try:
        yield
    finally:
        await client.aclose()


class _PerLoop:
    __slots__ = ("client", "keeper", "loop")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client: httpx.AsyncClient,
        keeper: AsyncGenerator[None, None],
    ) -> None:
        self.loop, self.client, self.keeper = loop, client, keeper


class LoopLocalAsyncClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` (for the openai SDK) whose requests go through a client of
    the running event loop; ``client_kwargs`` (timeout, limits...) configure each of them."""

    def __init__(self, **client_kwargs: Any) -> None:
        client_kwargs.setdefault("limits", _LIMITS)
        client_kwargs.setdefault("follow_redirects", True)
        client_kwargs.setdefault("verify", _verify())
        super().__init__(**client_kwargs)  # builds requests only; never sends
        self._client_kwargs = client_kwargs
        self._lock = threading.Lock()
        self._loops: dict[int, _PerLoop] = {}

    @property
    def open_loops(self) -> int:
        """How many event loops hold a client of their own right now."""
        with self._lock:
            return len(self._loops)

    async def _current(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self._lock:
            held = self._loops.get(id(loop))
            if held is not None and held.loop is loop:
                return held.client
        client = httpx.AsyncClient(**self._client_kwargs)
        keeper = self._keeper(loop, client)
        await keeper.__anext__()  # now the loop knows it, and closes it at shutdown
        with self._lock:
            for key in [k for k, v in self._loops.items() if v.loop.is_closed()]:
                del self._loops[key]  # closed without shutting down: nothing left to close
            self._loops[id(loop)] = _PerLoop(loop, client, keeper)
        return client

    async def _keeper(
        self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient
    ) -> AsyncGenerator[None, None]:
        try:
            async for _ in _closing_with_loop(client):
                yield
        finally:
            with self._lock:
                held = self._loops.get(id(loop))
                if held is not None and held.loop is loop:
                    del self._loops[id(loop)]

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        client = await self._current()
        return await client.send(request, **kwargs)

    async def aclose(self) -> None:
        """Close the running loop's client now (other loops close theirs at shutdown)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            held = self._loops.get(id(loop))
        if held is not None and held.loop is loop:
            await held.keeper.aclose()
        await super().aclose()

"""A stand-in for OpenRouter's HTTP API on 127.0.0.1, for tests and benches of real-model code.

``LoopbackOpenRouter`` listens on a real socket (a loopback port picked by the system) and
answers ``POST .../chat/completions`` like an OpenAI-compatible provider: the content is what
the offline model would say to the same messages and schema (so a whole run goes through),
shaped as a completion whose ``usage.cost`` is ``cost`` dollars, after ``latency`` seconds.
Requests are served on threads, so parallel clients really overlap. Everything the HTTP path
does runs for real: the openai SDK, httpx connection pools, the router's retries and budget.

    with LoopbackOpenRouter(latency=0.05) as server:
        daedalus.run("board_meeting", model="auto", base_url=server.base_url)

Set ``OPENROUTER_API_KEY`` to anything (the server ignores it). ``requests``, ``billed_usd``
and ``peak_in_flight`` say what the server saw.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["LoopbackOpenRouter"]

_CALL_KWARGS = ("response_format", "tools", "tool_choice", "seed", "max_tokens", "temperature")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackOpenRouter


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests read ``requests`` instead

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"code": 404, "message": f"no route {self.path}"}})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(400, {"error": {"code": 400, "message": "body is not JSON"}})
            return
        status, answer = self.server.owner.answer(body)
        self._send(status, answer)

    def do_GET(self) -> None:
        self._send(404, {"error": {"code": 404, "message": f"no route {self.path}"}})


class LoopbackOpenRouter:
    """An OpenAI-compatible chat-completions server on ``127.0.0.1``, answering as the offline
    model would, each answer after ``latency`` seconds and billed ``cost`` dollars."""

    def __init__(self, *, latency: float = 0.0, cost: float = 0.0001, seed: int = 0) -> None:
        if latency < 0 or cost < 0:
            raise ValueError("latency and cost must be >= 0")
        self.latency, self.cost, self.seed = latency, cost, seed
        self._lock = threading.Lock()
        self._in_flight = 0
        self.requests = 0
        self.billed_usd = 0.0
        self.peak_in_flight = 0
        self.models: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._answers: Any = None

    @property
    def base_url(self) -> str:
        """The URL to pass as ``base_url`` (``http://127.0.0.1:PORT/api/v1``)."""
        if self._server is None:
            raise RuntimeError("the loopback server is not started; use it in a with block")
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v1"

    def start(self) -> LoopbackOpenRouter:
        """Listen on a free loopback port and serve on a background thread."""
        from daedalus.llm.offline import OfflineChatModel

        self._answers = OfflineChatModel(seed=self.seed)
        server = _Server(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="loopback-openrouter", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> LoopbackOpenRouter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON body answering one chat-completions request."""
        from langchain_core.messages import convert_to_messages

        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            model = str(body.get("model", ""))
            messages = convert_to_messages(body.get("messages", []))
            kwargs = {key: body[key] for key in _CALL_KWARGS if key in body}
            reply = self._answers.answer(messages, **kwargs)
        finally:
            with self._lock:
                self._in_flight -= 1
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
                }
                for call in reply.tool_calls
            ]
        usage = reply.usage_metadata or {"input_tokens": 0, "output_tokens": 0}
        with self._lock:
            self.requests += 1
            self.billed_usd += self.cost
            self.models.append(model)
            number = self.requests
        return 200, {
            "id": f"gen-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": usage["input_tokens"],
                "completion_tokens": usage["output_tokens"],
                "total_tokens": usage["input_tokens"] + usage["output_tokens"],
                "cost": self.cost,
            },
        }

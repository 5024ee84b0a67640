"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns is one of these: ``type`` (a URN naming the kind of problem),
``title``, ``status``, ``detail`` (one line a caller can act on) and ``instance`` (the path).
Library errors map to statuses here, in one place: bad input 422, unknown runs 404, a run in
use 409; anything unexpected is a 500 whose detail says nothing of the internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from daedalus.errors import ConfigError, DaedalusError, RunBusyError, RunError

__all__ = ["PROBLEM_JSON", "Problem", "ProblemError", "install_problem_handlers", "problem"]

PROBLEM_JSON = "application/problem+json"

log = structlog.get_logger("daedalus.service")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


class ProblemError(Exception):
    """Raised by the API to answer with a problem document (and optional headers)."""

    def __init__(
        self, status: int, kind: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.headers = dict(headers or {})


def problem(
    status: int, kind: str, detail: str, instance: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body = Problem(
        type=f"urn:daedalus:problem:{kind}", title=_TITLES.get(status, "Error"), status=status,
        detail=detail, instance=instance,
    )
    return JSONResponse(
        body.model_dump(), status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _validation_detail(errors: list[Any]) -> str:
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "request"
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = len(errors) - 1
    return f"{where}: {message}" + (f" [+{more} more]" if more > 0 else "")


def status_of(error: DaedalusError) -> tuple[int, str]:
    """The HTTP status and problem kind of a library error."""
    if isinstance(error, ConfigError):
        return 422, "invalid-input"
    if isinstance(error, RunBusyError):
        return 409, "run-busy"
    if isinstance(error, RunError):
        return (404, "not-found") if "no run" in str(error) else (409, "run-conflict")
    return 409, "conflict"


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem document."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem(exc.status, exc.kind, exc.detail, request.url.path, exc.headers)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = _TITLES.get(exc.status_code, "error").lower().replace(" ", "-")
        detail = exc.detail if isinstance(exc.detail, str) else kind
        return problem(exc.status_code, kind, detail, request.url.path, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        detail = _validation_detail(list(exc.errors()))
        return problem(422, "invalid-input", detail, request.url.path)

    async def on_daedalus(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DaedalusError)
        status, kind = status_of(exc)
        return problem(status, kind, str(exc), request.url.path)

    async def on_anything(request: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", path=request.url.path, error=type(exc).__name__)
        return problem(500, "internal", "the server failed; see its log", request.url.path)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(DaedalusError, on_daedalus)
    app.add_exception_handler(Exception, on_anything)

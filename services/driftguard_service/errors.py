"""The one table mapping errors to HTTP statuses, and the handlers that apply it.

Every error body has the same shape, compatible with the Open Inference Protocol's
``{"error": "<message>"}``::

    {"error": "records[3].age: expected a number, got the string 'abc'",
     "type": "InvalidInputError", "location": "records[3].age"}

Library errors keep their message (it names the field, file or version). Request bodies that
do not parse, or do not fit the route's declared shape, are 422 with the location of the first
problem; bodies over the size limit are 413; management routes without a valid token are 401.

Examples
--------
>>> from driftguard.errors import ConflictError, InvalidInputError
>>> status_of(InvalidInputError("records[0].x", "bad")), status_of(ConflictError("gen"))
(422, 409)
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from driftguard.errors import (
    ClientBlockedError,
    ClientRefusedError,
    ConfigurationError,
    ConflictError,
    DriftguardError,
    EmptyDataError,
    InvalidInputError,
    ModelUnavailableError,
    NoRollbackTargetError,
    RateLimitedError,
    RegistryError,
    SchemaError,
    SerializationError,
    UnknownRequestError,
    VersionNotFoundError,
)
from driftguard_service.responses import SafeJSONResponse as JSONResponse

__all__ = [
    "ERROR_STATUS",
    "PayloadTooLarge",
    "UnauthorizedError",
    "error_body",
    "install_handlers",
    "status_of",
]


class UnauthorizedError(Exception):
    """A management route was called without a valid bearer token."""


class PayloadTooLarge(HTTPException):
    """The request body is over ``DRIFTGUARD_MAX_BODY_BYTES``.

    It is an HTTPException so that FastAPI's body parser lets it through unchanged.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"request body is larger than the limit of {limit} bytes (DRIFTGUARD_MAX_BODY_BYTES)",
        )


# First match wins: subclasses before their bases.
ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (UnauthorizedError, 401),
    (InvalidInputError, 422),
    (SchemaError, 422),
    (EmptyDataError, 422),
    (ConfigurationError, 422),
    (UnknownRequestError, 404),
    (VersionNotFoundError, 404),
    (ConflictError, 409),
    (NoRollbackTargetError, 409),
    (RegistryError, 409),
    (ModelUnavailableError, 503),
    (ClientBlockedError, 403),
    (RateLimitedError, 429),
    (ClientRefusedError, 403),
    (SerializationError, 500),
    (DriftguardError, 500),
)


def status_of(exc: Exception) -> int:
    """The HTTP status of an error (500 for anything not in the table)."""
    for kind, status in ERROR_STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(message: str, kind: str, location: str | None = None) -> dict[str, Any]:
    """The JSON body of every error response."""
    body: dict[str, Any] = {"error": message, "type": kind}
    if location is not None:
        body["location"] = location
    return body


def _location(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(exc, ClientRefusedError) and retry_after is not None:
        headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}
    message = str(exc) or "a valid bearer token is required"
    location = getattr(exc, "location", None)
    return JSONResponse(
        error_body(message, type(exc).__name__, location), status_code=status, headers=headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "invalid request"}
    loc = tuple(first.get("loc", ("body",)))
    if first.get("type") == "json_invalid":  # loc is ("body", <character offset>)
        location = "body"
        ctx = first.get("ctx")
        detail = ctx.get("error", "invalid JSON") if isinstance(ctx, dict) else "invalid JSON"
        offset = loc[1] if len(loc) > 1 else 0
        message = f"body: JSON decode error at character {offset}: {detail}"
    else:
        location = _location(loc)
        message = f"{location}: {first.get('msg', 'invalid value')}"
    return JSONResponse(error_body(message, "RequestValidationError", location), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        error_body(str(exc.detail), type(exc).__name__),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(DriftguardError, _library_error)
    app.add_exception_handler(UnauthorizedError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)

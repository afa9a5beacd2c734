"""Typed errors as JSON with an HTTP status an orchestrator can branch on.

The body is always ``{"error": {"type", "message", "retryable", ...}}``, the same shape the CLI prints;
the status says who should act: 4xx the caller, 429/502/504 the upstream account, 500 us.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from engine.errors import ConnectorError, RateLimited

log = logging.getLogger("ac_connector.service")


class ServiceError(ConnectorError):
    """An error of the service itself (not of the connector or the upstream API)."""

    status = 400


class BadRequest(ServiceError):
    type = "bad_request"


class Unauthorized(ServiceError):
    type = "unauthorized"
    status = 401


class Forbidden(ServiceError):
    type = "forbidden"
    status = 403


class RouteNotFound(ServiceError):
    type = "route_not_found"
    status = 404


class AuthenticationNotFound(ServiceError):
    type = "authentication_not_found"
    status = 404


class Conflict(ServiceError):
    type = "conflict"
    status = 409


class UnsupportedMediaType(ServiceError):
    type = "unsupported_media_type"
    status = 415


class PayloadTooLarge(ServiceError):
    type = "payload_too_large"
    status = 413


# error.type -> HTTP status, for the connector's own errors.
STATUS_BY_TYPE: dict[str, int] = {
    "validation": 422,
    "unknown_operation": 404,
    "authentication_missing": 400,
    "store": 400,
    "not_found": 404,
    "already_exists": 409,
    "upstream_validation": 422,
    "precondition_failed": 409,
    "rate_limited": 429,
    "timeout": 504,
    "authentication": 502,
    "account": 502,
    "upstream": 502,
    "server_error": 502,
    "connection": 502,
    "outcome_unknown": 502,
    "pagination": 502,
    "pagination_overflow": 502,
    "response_too_large": 502,
    "invalid_response": 502,
    "unsupported_encoding": 502,
    "redirect_blocked": 502,
    "credential_scope": 502,
    "spec": 500,
    "run_not_found": 404,
    "workflow_not_found": 404,
    "not_resumable": 409,
}


def status_for(exc: ConnectorError) -> int:
    if isinstance(exc, ServiceError):
        return exc.status
    return STATUS_BY_TYPE.get(exc.type, 502 if exc.retryable else 500)


def status_for_type(type: str) -> int:
    """The status for an error already in its JSON form."""
    return STATUS_BY_TYPE.get(type, 500)


def error_json(exc: ConnectorError) -> JSONResponse:
    headers = {}
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="ac-connector"'
    return JSONResponse({"error": exc.to_dict()}, status_code=status_for(exc), headers=headers)


async def on_connector_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConnectorError)
    return error_json(exc)


async def on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own 404/405 in the same JSON shape."""
    assert isinstance(exc, HTTPException)
    kind = {404: "route_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
    body: dict[str, Any] = {"type": kind, "message": str(exc.detail), "retryable": False}
    return JSONResponse({"error": body}, status_code=exc.status_code, headers=exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug: log the class only (messages may hold data), answer without details."""
    log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(
        {
            "error": {
                "type": "internal",
                "retryable": False,
                "message": f"internal error ({type(exc).__name__}); please report it",
            }
        },
        status_code=500,
    )

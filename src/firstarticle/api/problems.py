"""RFC 9457 problem details with stable codes, for every error the API answers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from firstarticle.domain import errors
from firstarticle.domain.access import AuthenticationError, ForbiddenError, TooManyAttemptsError
from firstarticle.domain.signatures import SeparationOfDutiesError, SignatureRequiredError
from firstarticle.ports import StorageUnavailableError
from firstarticle.services.idempotency import IdempotencyKeyReusedError

log = logging.getLogger("firstarticle.api")

PROBLEM_JSON = "application/problem+json"

STATUS_BY_ERROR: list[tuple[type[errors.DomainError], int]] = [
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (TooManyAttemptsError, 429),
    (SeparationOfDutiesError, 409),
    (SignatureRequiredError, 409),
    (errors.NotFoundError, 404),
    (errors.TransitionNotAllowedError, 409),
    (errors.GuardFailedError, 409),
    (errors.ConflictError, 409),
    (errors.ValidationError, 422),
    (IdempotencyKeyReusedError, 422),
    (StorageUnavailableError, 503),
]


RESERVED = frozenset({"type", "title", "status", "detail", "code", "instance", "request_id"})


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    request: Request | None = None,
    /,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response; ``code`` is stable and meant for programs."""
    body: dict[str, Any] = {
        "type": f"https://firstarticle.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    # Extension members never overwrite the standard ones.
    body.update({(f"x_{k}" if k in RESERVED else k): v for k, v in jsonable_encoder(extra).items()})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _domain_error(request: Request, error: errors.DomainError) -> JSONResponse:
    status = next((s for cls, s in STATUS_BY_ERROR if isinstance(error, cls)), 400)
    title = type(error).__name__.removesuffix("Error")
    response = problem(status, error.code, title, error.message, request, **error.details)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="firstarticle"'
    if status == 429:
        response.headers["Retry-After"] = str(error.details.get("retry_after_seconds", 60))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only one route's).

    Asks each route whether it would fully match the same request under another method,
    through the public ``matches`` of routes and included routers alike.
    """
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install(app: FastAPI, translate: Callable[[Exception], errors.DomainError | None]) -> None:
    """Register the handlers that turn every failure into problem+json."""

    @app.exception_handler(errors.DomainError)
    async def on_domain_error(request: Request, error: errors.DomainError) -> JSONResponse:
        return _domain_error(request, error)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        issues = [
            {
                "location": list(e.get("loc", ())),
                "message": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in error.errors()
        ]
        first = issues[0] if issues else {"location": [], "message": "invalid request"}
        where = ".".join(str(p) for p in first["location"][1:]) or "request"
        return problem(
            422,
            "invalid_request",
            "Invalid request",
            f"{where}: {first['message']}",
            request,
            errors=issues,
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {
            400: "bad_request",
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthenticated",
            403: "forbidden",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }
        code = codes.get(error.status_code, f"http_{error.status_code}")
        response = problem(
            error.status_code, code, code.replace("_", " ").capitalize(), str(error.detail), request
        )
        # Keep what the error carries for the client, e.g. the Allow header of a 405.
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        if error.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        translated = translate(error)
        if translated is not None:
            return _domain_error(request, translated)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        response = problem(
            500,
            "internal_error",
            "Internal error",
            "The server failed to handle the request; it has been logged.",
            request,
        )
        # This handler runs outside the request-id middleware, so it sets the header itself.
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        return response

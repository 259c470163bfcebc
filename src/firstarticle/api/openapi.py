"""The OpenAPI document as the API behaves: every error answer declared with its
problem+json schema, so a client generated from it (and Schemathesis) sees no drift."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from firstarticle.api.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable and meant for programs.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}

WHY = {
    "400": "The request cannot be read.",
    "401": "No valid credentials (a bearer token or a session cookie).",
    "403": "The caller may not do this (role, site, export authorization, CSRF token).",
    "404": "No such record, or one the caller may not know of.",
    "405": "The path does not take this method.",
    "409": "The record's state or a concurrent change refuses it.",
    "413": "The upload is larger than the server accepts.",
    "415": "The upload's media type is not accepted.",
    "422": "A value is invalid; `errors` lists each with its location.",
    "429": "Too many attempts; retry after the seconds in Retry-After.",
    "503": "The database is unavailable or did not answer in time.",
}
# How a caller proves who it is; the interactive documentation's Authorize button uses them.
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`firstarticle token create`, or the token routes).",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "fa_session",
        "description": "A person's session from POST /api/v1/session; changes also need the "
        "session's CSRF token in X-CSRF-Token.",
    },
}
ASSETS = Path(__file__).parent / "static" / "swagger-ui"
CHANGES = frozenset({"post", "put", "patch", "delete"})
OPEN = ("/health", "/ready")
SIGN_IN = frozenset({"/api/v1/session", "/api/v1/auth/oidc/login", "/api/v1/auth/oidc/callback"})


def document(app: FastAPI) -> dict[str, Any]:
    """The application's OpenAPI document, built once, with every error answer declared."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
        schema["security"] = [{"bearer": []}, {"session": []}]
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if path.startswith(OPEN) or path in SIGN_IN:
                    operation["security"] = []  # no credentials needed
                responses = operation.setdefault("responses", {})
                # An error a route declares itself without a body is a problem too.
                bare = [s for s in responses if s[:1] in "45" and not responses[s].get("content")]
                for status in dict.fromkeys([*_errors(path, method, operation), *bare]):
                    declared = responses.get(status, {})
                    if declared.get("content") and status != "422":
                        continue  # the route says what it answers (e.g. /ready's 503 body)
                    responses[status] = {
                        "description": declared.get("description") or WHY[status],
                        "content": {
                            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                        },
                    }
                _declare_page_limit(operation, app)
        _declare_lifetimes(schema, app)
        app.openapi_schema = schema
    return app.openapi_schema


def _declare_page_limit(operation: dict[str, Any], app: FastAPI) -> None:
    """A page holds at most the configured page size: say so where ``limit`` is taken."""
    largest = app.state.application.settings.page_size_max
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == "limit" and parameter.get("in") == "query":
            schema = parameter.setdefault("schema", {})
            for option in schema.get("anyOf", [schema]):
                if option.get("type") == "integer":
                    option["maximum"] = largest


def _declare_lifetimes(schema: dict[str, Any], app: FastAPI) -> None:
    """The token and session lifetimes this server enforces, from its settings."""
    settings = app.state.application.settings
    days = schema["components"]["schemas"].get("TokenIn", {}).get("properties", {}).get("days")
    if days is not None:
        for option in days.get("anyOf", [days]):
            if option.get("type") == "integer":
                option["maximum"] = settings.token_days_max
        days["description"] = (
            f"Lifetime in days, 1 to {settings.token_days_max}; "
            f"{settings.token_days_default} when not given."
        )
    session = schema["components"]["securitySchemes"]["session"]
    session["description"] = (
        SECURITY_SCHEMES["session"]["description"]
        + f" A session ends after {settings.session_idle_minutes} minutes without a request"
        f" and {settings.session_absolute_hours} hours after sign-in."
    )


def _errors(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses this operation can answer."""
    statuses = ["400", "405", "503"]
    if not path.startswith(OPEN):
        statuses += ["401", "403"]
    if "{" in path or method in CHANGES or path.startswith("/api/v1/auth/"):
        statuses.append("404")  # the record in the path or one the body refers to
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.append("422")
    if method in CHANGES:
        statuses += ["409", "429"]
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        statuses += ["413", "415"]
    return statuses


def install_docs(app: FastAPI) -> None:
    """Serve the interactive documentation at /docs with its scripts and styles from
    firstarticle itself: plants holding ITAR data often run without internet access."""
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": False},
        )

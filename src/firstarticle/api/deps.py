"""Dependencies shared by the API's routers: the application and the caller's context.

Every route but sign-in and health needs a caller: a bearer token (systems and scripts) or
a session cookie (people in a browser). Changes made with a cookie also need the session's
CSRF token in ``X-CSRF-Token``, so another site cannot make the browser act.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from firstarticle.access import secrets
from firstarticle.bootstrap import Application
from firstarticle.domain.access import AuthenticationError, ForbiddenError
from firstarticle.services import ServiceContext, identity

SESSION_COOKIE = "fa_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_app_state(request: Request) -> Application:
    application: Application = request.app.state.application
    return application


def anonymous_context(request: Request) -> ServiceContext:
    """A context for sign-in itself, before anyone is known."""
    return get_app_state(request).context("anonymous", request.state.request_id)


def get_context(request: Request) -> ServiceContext:
    """The context of the authenticated caller, or AuthenticationError (401)."""
    base = anonymous_context(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise AuthenticationError("Use 'Authorization: Bearer <token>'.")
        principal = identity.authenticate_token(base, credential.strip())
        request.state.user_id = principal.user_id  # for the request's log line
        return base.as_principal(principal)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal, session = identity.authenticate_session(base, cookie)
        if request.method not in SAFE_METHODS and not secrets.same(
            request.headers.get(CSRF_HEADER, ""), session.csrf_token
        ):
            raise ForbiddenError(
                "A change made from a browser needs the session's CSRF token in X-CSRF-Token.",
                reason="csrf",
            )
        request.state.user_id = principal.user_id
        return base.as_principal(principal)
    raise AuthenticationError("Sign in, or send a bearer token.")


Ctx = Annotated[ServiceContext, Depends(get_context)]
Anonymous = Annotated[ServiceContext, Depends(anonymous_context)]
Limit = Annotated[int | None, Query(ge=1, description="Page size; capped by the server.")]
Offset = Annotated[int | None, Query(ge=0, le=2**31 - 1)]

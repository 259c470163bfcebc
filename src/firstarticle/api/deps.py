"""Dependencies shared by the API's routers: the application and the request's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from firstarticle.bootstrap import Application
from firstarticle.services import ServiceContext


def get_app_state(request: Request) -> Application:
    application: Application = request.app.state.application
    return application


def get_context(request: Request) -> ServiceContext:
    """The service context of this request.

    Until authentication exists the caller names itself in ``X-Actor``; every change is
    still attributed to that name in the audit trail.
    """
    actor = request.headers.get("x-actor", "").strip() or "api"
    return get_app_state(request).context(actor[:100], request.state.request_id)


Ctx = Annotated[ServiceContext, Depends(get_context)]
Limit = Annotated[int | None, Query(ge=1, description="Page size; capped by the server.")]
Offset = Annotated[int | None, Query(ge=0, le=2**31 - 1)]

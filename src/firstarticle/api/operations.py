"""Operations endpoints: liveness, readiness and Prometheus metrics (no caller needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

import firstarticle
from firstarticle.api import observability
from firstarticle.api import schemas as s
from firstarticle.api.deps import get_app_state
from firstarticle.domain.access import ForbiddenError

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=s.HealthOut)
def health() -> Any:
    """Liveness: the process answers. It reads nothing, so a slow database never fails it."""
    return s.HealthOut(status="ok", version=firstarticle.__version__)


@router.get("/ready", response_model=s.ReadyOut, responses={503: {"model": s.ReadyOut}})
def ready(request: Request) -> Any:
    """Readiness: the database answers and its schema is at this package's migration head."""
    application = get_app_state(request)
    try:
        revision, head = application.readiness()
    except Exception as error:  # readiness reports the failure instead of raising it
        body = s.ReadyOut(
            status="unavailable",
            database="unavailable",
            schema_revision=None,
            head_revision=None,
            version=firstarticle.__version__,
            detail=type(error).__name__,
        )
        return JSONResponse(body.model_dump(), status_code=503)
    at_head = revision == head
    body = s.ReadyOut(
        status="ok" if at_head else "unavailable",
        database="ok",
        schema_revision=revision,
        head_revision=head,
        version=firstarticle.__version__,
        detail=None if at_head else "schema_not_at_head",
    )
    return JSONResponse(body.model_dump(), status_code=200 if at_head else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    """Prometheus text format; open to the configured address ranges or the metrics token."""
    application = get_app_state(request)
    settings = application.settings
    if not observability.metrics_allowed(
        request.client.host if request.client else None,
        request.headers.get("authorization", ""),
        settings.metrics_allow_cidrs,
        settings.metrics_token or "",
    ):
        raise ForbiddenError("Metrics are open to the configured address ranges or the token.")
    body, content_type = observability.render_metrics(
        observability.LedgerCollector(application.audit_length)
    )
    return Response(body, media_type=content_type)

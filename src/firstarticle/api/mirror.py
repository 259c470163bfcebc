"""Ways in for mirrored records: one endpoint per kind, honouring Idempotency-Key."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from firstarticle.api.deps import Ctx
from firstarticle.domain.mirror import MirrorOutcome
from firstarticle.integrations import records
from firstarticle.services import idempotency, mirror

router = APIRouter(prefix="/api/v1/mirror", tags=["mirror"])


class MirrorOut(BaseModel):
    kind: str
    external_id: str
    source_version: int
    outcome: MirrorOutcome
    record_id: str | None
    replayed: bool = False


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Retries with the same key replay the answer."),
]


async def _apply(
    request: Request, ctx: Any, kind: str, body: BaseModel, key: str | None
) -> JSONResponse:
    raw = await request.body()
    fingerprint = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + raw)
    record = body.record()  # type: ignore[attr-defined]

    def handler() -> tuple[int, Any]:
        report = mirror.apply(ctx, kind, [record])
        (line,) = report.lines
        status = 201 if line.outcome is MirrorOutcome.CREATED else 200
        return status, MirrorOut(
            kind=kind,
            external_id=line.external_id,
            source_version=line.source_version,
            outcome=line.outcome,
            record_id=line.record_id,
        ).model_dump(mode="json")

    answer = idempotency.run_once(ctx, key, fingerprint.hexdigest(), handler)
    body_out = dict(answer.body)
    body_out["replayed"] = answer.replayed
    return JSONResponse(body_out, status_code=answer.status_code)


@router.post("/part-revisions", response_model=MirrorOut, responses={201: {"model": MirrorOut}})
async def mirror_part_revision(
    request: Request, body: records.PartRevisionIn, ctx: Ctx, key: IdempotencyKey = None
) -> JSONResponse:
    """PLM: upsert a part revision with its drawings and characteristics."""
    return await _apply(request, ctx, "part-revisions", body, key)


@router.post("/customers", response_model=MirrorOut, responses={201: {"model": MirrorOut}})
async def mirror_customer(
    request: Request, body: records.CustomerIn, ctx: Ctx, key: IdempotencyKey = None
) -> JSONResponse:
    """ERP: upsert a customer."""
    return await _apply(request, ctx, "customers", body, key)


@router.post("/work-orders", response_model=MirrorOut, responses={201: {"model": MirrorOut}})
async def mirror_work_order(
    request: Request, body: records.WorkOrderIn, ctx: Ctx, key: IdempotencyKey = None
) -> JSONResponse:
    """ERP: upsert a work order with its routing and serials."""
    return await _apply(request, ctx, "work-orders", body, key)


@router.post("/nonconformances", response_model=MirrorOut, responses={201: {"model": MirrorOut}})
async def mirror_nonconformance(
    request: Request, body: records.NonconformanceIn, ctx: Ctx, key: IdempotencyKey = None
) -> JSONResponse:
    """QMS: upsert a nonconformance linked to an FAI, with its status and disposition."""
    return await _apply(request, ctx, "nonconformances", body, key)

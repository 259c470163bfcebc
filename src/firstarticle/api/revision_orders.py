"""Customer orders that call for a revision the engineering definition no longer allows:
the per-customer exception under which the gate lets product already built to it ship."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from firstarticle.api.deps import Ctx
from firstarticle.api.schemas import Code, In, LongText, Out, RevocationIn
from firstarticle.services import revision_orders

router = APIRouter(prefix="/api/v1", tags=["customers"])


class RevisionOrderIn(In):
    part_revision_id: str = Field(max_length=36)
    purchase_order: Code
    reason: LongText = Field(min_length=1)


class RevisionOrderOut(Out):
    id: str
    customer_id: str
    part_revision_id: str
    purchase_order: str
    reason: str
    granted_by: str
    granted_at: datetime
    withdrawn_by: str | None
    withdrawn_at: datetime | None


@router.post(
    "/customers/{customer_id}/revision-orders", status_code=201, response_model=RevisionOrderOut
)
def grant(customer_id: str, body: RevisionOrderIn, ctx: Ctx) -> Any:
    """Record that the customer's order calls for this (superseded or obsolete) revision."""
    return revision_orders.grant_revision_order(ctx, customer_id=customer_id, **body.model_dump())


@router.get("/customers/{customer_id}/revision-orders", response_model=list[RevisionOrderOut])
def listed(customer_id: str, ctx: Ctx) -> Any:
    """The customer's revision orders, withdrawn ones included."""
    return list(revision_orders.revision_orders(ctx, customer_id))


@router.post("/revision-orders/{order_id}/withdrawal", response_model=RevisionOrderOut)
def withdraw(order_id: str, body: RevocationIn, ctx: Ctx) -> Any:
    """Withdraw the allowance; the gate denies those shipments from the next question on."""
    return revision_orders.withdraw_revision_order(ctx, order_id, body.reason)

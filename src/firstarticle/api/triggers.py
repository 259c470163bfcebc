"""Re-FAI triggers over HTTP: list and read them, record an event, decide an evaluation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import AwareDatetime, Field

from firstarticle.api.deps import Ctx, Limit, Offset
from firstarticle.api.schemas import Code, CustomerOut, In, LongText, Out, PageOut
from firstarticle.domain.triggers import (
    EvaluationOutcome,
    EvaluationStatus,
    EventNature,
    ReFaiTrigger,
)
from firstarticle.services import triggers
from firstarticle.services.triggers import TriggerView

router = APIRouter(prefix="/api/v1", tags=["re-FAI triggers"])


class EvaluationOut(Out):
    id: str
    status: EvaluationStatus
    team: list[str]
    opened_at: datetime
    hold_id: str | None
    outcome: EvaluationOutcome | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    first_article_id: str | None


class TriggerOut(Out):
    id: str
    site_id: str
    kind: ReFaiTrigger
    part_revision_id: str
    customer_id: str | None
    baseline_first_article_id: str | None
    what: str
    before: str | None
    after: str | None
    source_record_type: str
    source_record_id: str
    raised_by: str
    raised_at: datetime
    evaluation: EvaluationOut


class EventIn(In):
    site_id: str = Field(max_length=36)
    part_revision_id: str = Field(max_length=36)
    customer_id: str | None = Field(default=None, max_length=36)
    nature: EventNature
    description: LongText = Field(min_length=1)
    occurred_at: AwareDatetime


class DecisionIn(In):
    outcome: EvaluationOutcome
    reason: LongText = Field(min_length=1)
    work_order_id: str | None = Field(default=None, max_length=36)
    balloons: list[Code] = Field(
        default_factory=list,
        max_length=5000,
        description="For a partial FAI: balloons the team adds to what the change affects.",
    )


def _out(view: TriggerView) -> TriggerOut:
    t = view.trigger
    return TriggerOut(
        id=t.id,
        site_id=t.site_id,
        kind=t.kind,
        part_revision_id=t.part_revision_id,
        customer_id=t.customer_id,
        baseline_first_article_id=t.baseline_first_article_id,
        what=t.what,
        before=t.before,
        after=t.after,
        source_record_type=t.source_record_type,
        source_record_id=t.source_record_id,
        raised_by=t.raised_by,
        raised_at=t.raised_at,
        evaluation=EvaluationOut.model_validate(view.evaluation),
    )


@router.get("/refai-triggers", response_model=PageOut[TriggerOut])
def list_triggers(
    ctx: Ctx,
    site_id: str | None = None,
    status: EvaluationStatus | None = None,
    part_revision_id: str | None = None,
    limit: Limit = None,
    offset: Offset = None,
) -> Any:
    """The triggers the caller may see, newest first; ``status=open`` for the evaluations
    still to decide."""
    page = triggers.list_triggers(
        ctx,
        site_id=site_id,
        status=status,
        part_revision_id=part_revision_id,
        limit=limit,
        offset=offset,
    )
    items = [_out(v) for v in page.items]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.get("/refai-triggers/{trigger_id}", response_model=TriggerOut)
def get_trigger(trigger_id: str, ctx: Ctx) -> Any:
    """One trigger with its evidence and evaluation."""
    return _out(triggers.get_trigger(ctx, trigger_id))


@router.post("/refai-events", status_code=201, response_model=TriggerOut)
def record_event(body: EventIn, ctx: Ctx) -> Any:
    """Record a natural or man-made event that may affect a configuration's process; the
    same event recorded again answers the trigger raised the first time."""
    return _out(triggers.record_event(ctx, **body.model_dump()))


@router.post("/refai-triggers/{trigger_id}/decision", response_model=TriggerOut)
def decide(trigger_id: str, body: DecisionIn, ctx: Ctx) -> Any:
    """Sign the team's decision (none, partial or full) with its reason: the production hold
    is released, and a partial or full FAI is opened in draft."""
    return _out(triggers.decide_evaluation(ctx, trigger_id, **body.model_dump()))


class ReFaiRulesIn(In):
    lapse_months: int | None = Field(
        default=None,
        ge=1,
        le=24,
        description="A production lapse shorter than AS9102's two years; null: two years.",
    )
    reason: LongText = Field(min_length=1)


@router.put("/customers/{customer_id}/refai-rules", response_model=CustomerOut, tags=["customers"])
def set_refai_rules(customer_id: str, body: ReFaiRulesIn, ctx: Ctx) -> Any:
    """Set the customer's re-FAI rules (its contract may ask for an evaluation sooner than
    AS9102's two years without production); audited with the reason."""
    return triggers.set_customer_rules(
        ctx, customer_id, lapse_months=body.lapse_months, reason=body.reason
    )

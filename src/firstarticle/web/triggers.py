"""Re-FAI triggers and their evaluations: what changed, the evidence, the production hold,
and the team's decision (none, partial or full) signed with a reason. The services decide
who may decide; these pages only show and send."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from firstarticle.domain.access import Permission
from firstarticle.domain.errors import DomainError
from firstarticle.domain.triggers import EvaluationOutcome, EvaluationStatus
from firstarticle.services import triggers
from firstarticle.web.forms import choice_of
from firstarticle.web.session import (
    NOTHING_REFUSED,
    CurrentPage,
    Page,
    Refusal,
    error_page,
    posted,
    submit,
)

router = APIRouter(prefix="/triggers", include_in_schema=False)
PAGE_SIZE = 25
DONE = {"decision": "The evaluation is decided; its production hold is released."}


@router.get("")
def trigger_list(
    page: CurrentPage,
    status: EvaluationStatus | None = EvaluationStatus.OPEN,
    number: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Triggers the person may see, newest first; open evaluations by default."""
    try:
        result = triggers.list_triggers(
            page.ctx, status=status, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
    except DomainError as error:
        return error_page(page, error)
    return page.render(
        "triggers.html",
        result=result,
        status=status.value if status else "",
        statuses=list(EvaluationStatus),
        number=number,
        pages=max(1, -(-result.total // PAGE_SIZE)),
    )


def render_trigger(page: Page, trigger_id: str, refusal: Refusal = NOTHING_REFUSED) -> Response:
    try:
        view = triggers.get_trigger(page.ctx, trigger_id)
    except DomainError as error:
        return error_page(page, error)
    return page.render_form(
        "trigger.html",
        refusal,
        DONE,
        t=view.trigger,
        e=view.evaluation,
        outcomes=list(EvaluationOutcome),
        may_decide=page.can(Permission.REFAI_DECIDE),
    )


@router.get("/{trigger_id}")
def trigger_page(page: CurrentPage, trigger_id: str) -> Response:
    return render_trigger(page, trigger_id)


@router.post("/{trigger_id}/decision")
async def decide(request: Request, page: CurrentPage, trigger_id: str) -> Response:
    """Sign the team's decision; for partial or full, the FAI it opens is pre-built."""
    form = await posted(request)
    return submit(
        page,
        form,
        form_name="decision",
        default_field="reason",
        act=lambda: triggers.decide_evaluation(
            page.ctx,
            trigger_id,
            outcome=choice_of(EvaluationOutcome, form.get("outcome", ""), "outcome"),
            reason=form.get("reason", ""),
            work_order_id=form.get("work_order_id", "").strip() or None,
            balloons=form.get("balloons", "").replace(",", " ").split(),
        ),
        again=lambda refusal: render_trigger(page, trigger_id, refusal),
        then=f"/web/triggers/{trigger_id}?done=decision",
    )

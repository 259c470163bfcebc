"""The task inbox for people: the review, rework, resubmission and containment tasks assigned
to the signed-in person or waiting for a role they hold, oldest due first, the re-FAI
evaluations their team is asked to decide, and completing a task
with its checklist answered (stages that need a signature are completed from the command line
or the API, which re-authenticate)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from firstarticle.domain.errors import DomainError
from firstarticle.domain.review_templates import ROLE_HOLDERS
from firstarticle.domain.tasks import Answer, ChecklistAnswer
from firstarticle.services import tasks, triggers
from firstarticle.web.forms import choice_of
from firstarticle.web.session import (
    NOTHING_REFUSED,
    CurrentPage,
    Page,
    Refusal,
    error_page,
    submit_posted,
)

router = APIRouter(include_in_schema=False)
DONE = {"completed": "The task is done; the next stage, if any, is open."}


def _inbox(page: Page, refusal: Refusal = NOTHING_REFUSED) -> Response:
    ctx = page.ctx
    roles = sorted(r for r, holders in ROLE_HOLDERS.items() if holders & set(ctx.principal.roles))
    try:
        mine = tasks.inbox(ctx, mine=True, limit=ctx.page_size_max).items
        waiting = {
            role: list(tasks.inbox(ctx, role=role, limit=ctx.page_size_max).items) for role in roles
        }
        evaluations = triggers.awaiting_my_team(ctx)
    except DomainError as error:
        return error_page(page, error)
    return page.render_form(
        "tasks.html",
        refusal,
        DONE,
        mine=mine,
        waiting=waiting,
        evaluations=evaluations,
        answers=list(Answer),
        now=datetime.now(UTC),
    )


@router.get("/tasks")
def task_inbox(page: CurrentPage) -> Response:
    return _inbox(page)


@router.post("/tasks/{task_id}/completion")
async def complete(request: Request, page: CurrentPage, task_id: str) -> Response:
    """Answer every checklist item (yes, no or n.a., with a comment) and mark the task done."""

    def act(form: dict[str, str]) -> None:
        answers = {
            name.removeprefix("answer-"): ChecklistAnswer(
                choice_of(Answer, value, name),
                form.get("comment-" + name.removeprefix("answer-"), "").strip() or None,
            )
            for name, value in form.items()
            if name.startswith("answer-")
        }
        tasks.complete_task(page.ctx, task_id, answers)

    return await submit_posted(
        request,
        page,
        form_name=f"task-{task_id}",
        default_field="task",
        act=act,
        again=lambda refusal: _inbox(page, refusal),
        then="/web/tasks?done=completed",
    )

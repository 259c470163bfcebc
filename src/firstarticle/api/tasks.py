"""Review tasks over HTTP: inboxes, detail, completion, reassignment and comments; customers'
review templates and sites' role leads.

Completing a task whose stage needs an electronic signature takes the signer's password on a
signing nonce, as a Form 1 signature does; the password is never echoed or logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field, SecretStr, StringConstraints

from firstarticle.api.deps import Ctx, Limit, Offset
from firstarticle.api.schemas import In, LongText, Out, PageOut
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.review_templates import TaskKind
from firstarticle.domain.tasks import Answer, ChecklistAnswer, TaskStatus
from firstarticle.integrations.record_fields import Text
from firstarticle.services import review_admin, tasks
from firstarticle.services.review_admin import TemplateView
from firstarticle.services.tasks import TaskView

router = APIRouter(prefix="/api/v1")

Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]


class ChecklistItemOut(Out):
    key: str
    text: str
    answer: Answer | None = None
    comment: str | None = None


class TaskOut(Out):
    id: str
    site_id: str
    first_article_id: str
    fair_identifier: str
    kind: TaskKind
    name: str
    role: str
    assignee: str | None
    status: TaskStatus
    due_at: datetime
    overdue: bool
    required: bool
    guards: FaiAction | None
    forms: list[int]
    signature_required: bool
    attempt: int
    stage: str | None
    template_version: int
    checklist: list[ChecklistItemOut]
    notes: list[dict[str, Any]]
    escalated_to: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    closed_reason: str | None


def task_out(view: TaskView, now: datetime) -> TaskOut:
    """A task as the API shows it, overdue judged at ``now``."""
    t = view.task
    return TaskOut(
        id=t.id,
        site_id=t.site_id,
        first_article_id=t.first_article_id,
        fair_identifier=view.fair_identifier,
        kind=t.kind,
        name=t.name or t.kind.value,
        role=t.role,
        assignee=t.assignee,
        status=t.status,
        due_at=t.due_at,
        overdue=t.overdue_level(now) > 0,
        required=t.required,
        guards=t.guards,
        forms=sorted(t.forms),
        signature_required=t.signature_required,
        attempt=t.attempt,
        stage=t.stage_key,
        template_version=t.template_version,
        checklist=[
            ChecklistItemOut(
                key=i.key,
                text=i.text,
                answer=t.answers[i.key].answer if i.key in t.answers else None,
                comment=t.answers[i.key].comment if i.key in t.answers else None,
            )
            for i in t.checklist
        ],
        notes=t.notes,
        escalated_to=t.escalated_to,
        created_at=t.created_at,
        closed_at=t.closed_at,
        closed_by=t.closed_by,
        closed_reason=t.closed_reason,
    )


class AnswerIn(In):
    answer: Answer
    comment: LongText | None = None


class CompletionIn(In):
    answers: dict[Key, AnswerIn] = Field(default_factory=dict, max_length=200)
    # Only for a stage that needs an electronic signature (POST /signing-nonces first).
    nonce: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    password: Annotated[SecretStr, Field(min_length=1, max_length=1024)] | None = None
    totp_code: Annotated[str, StringConstraints(max_length=10)] | None = None


class ReassignmentIn(In):
    assignee: Username | None = None
    reason: Text


class CommentIn(In):
    text: Annotated[LongText, StringConstraints(min_length=1)]


class ChecklistItemIn(In):
    key: Key
    text: Text


class StageIn(In):
    key: Key
    name: Text | None = None
    role: Key
    due_hours: int = Field(48, ge=1, le=24 * 365)
    required: bool = True
    signature_required: bool = False
    guards: Literal["approve_internally", "submit"] = "approve_internally"
    forms: list[Literal[1, 2, 3]] = Field(default_factory=lambda: [1, 2, 3], min_length=1)
    checklist: list[ChecklistItemIn] = Field(default_factory=list, max_length=100)


class ResponseIn(In):
    role: Key
    due_hours: int = Field(ge=1, le=24 * 365)


class TemplateIn(In):
    stages: list[StageIn] = Field(min_length=1, max_length=50)
    restart_on_resubmission: bool = False
    responses: dict[Literal["rework", "resubmission", "containment"], ResponseIn] = Field(
        default_factory=dict
    )


class TemplateOut(Out):
    customer_id: str
    customer_code: str
    version: int
    is_default: bool
    created_by: str
    created_at: datetime | None
    document: dict[str, Any]


class LeadIn(In):
    username: Username


def _template(view: TemplateView) -> TemplateOut:
    return TemplateOut(
        customer_id=view.customer.id,
        customer_code=view.customer.code,
        version=view.template.version,
        is_default=view.is_default,
        created_by=view.template.created_by,
        created_at=view.template.created_at,
        document=view.template.document(),
    )


@router.get("/tasks", response_model=PageOut[TaskOut], tags=["tasks"])
def list_tasks(
    ctx: Ctx,
    mine: bool = False,
    role: str | None = None,
    site_id: str | None = None,
    first_article_id: str | None = None,
    status: TaskStatus | None = TaskStatus.OPEN,
    overdue: bool = False,
    limit: Limit = None,
    offset: Offset = None,
) -> Any:
    """The caller's inbox (``mine``), a role's inbox (``role``), or an FAI's tasks; open
    ones due first by default."""
    page = tasks.inbox(
        ctx,
        mine=mine,
        role=role,
        site_id=site_id,
        first_article_id=first_article_id,
        status=status,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    now = ctx.clock.now()
    return PageOut(
        items=[task_out(v, now) for v in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/tasks/{task_id}", response_model=TaskOut, tags=["tasks"])
def get_task(task_id: str, ctx: Ctx) -> Any:
    return task_out(tasks.get_task(ctx, task_id), ctx.clock.now())


@router.post("/tasks/{task_id}/completion", response_model=TaskOut, tags=["tasks"])
def complete_task(task_id: str, body: CompletionIn, ctx: Ctx) -> Any:
    """Answer the checklist and mark the task done (assignee or a holder of its role)."""
    answers = {k: ChecklistAnswer(a.answer, a.comment or None) for k, a in body.answers.items()}
    credentials = None
    if body.nonce is not None and body.password is not None:
        credentials = tasks.Credentials(
            body.nonce, body.password.get_secret_value(), body.totp_code
        )
    view = tasks.complete_task(ctx, task_id, answers, credentials)
    return task_out(view, ctx.clock.now())


@router.post("/tasks/{task_id}/reassignment", response_model=TaskOut, tags=["tasks"])
def reassign_task(task_id: str, body: ReassignmentIn, ctx: Ctx) -> Any:
    """Give the task to someone else (no assignee: back to the role's inbox), with a reason."""
    view = tasks.reassign_task(ctx, task_id, body.assignee, body.reason)
    return task_out(view, ctx.clock.now())


@router.post("/tasks/{task_id}/comments", status_code=201, response_model=TaskOut, tags=["tasks"])
def comment_task(task_id: str, body: CommentIn, ctx: Ctx) -> Any:
    return task_out(tasks.comment_task(ctx, task_id, body.text), ctx.clock.now())


@router.get("/customers/{customer_id}/review-template", response_model=TemplateOut, tags=["tasks"])
def get_review_template(customer_id: str, ctx: Ctx) -> Any:
    """The template new reviews of the customer follow (the built-in default if none)."""
    return _template(review_admin.get_template(ctx, customer_id))


@router.put("/customers/{customer_id}/review-template", response_model=TemplateOut, tags=["tasks"])
def set_review_template(customer_id: str, body: TemplateIn, ctx: Ctx) -> Any:
    """Store the customer's next template version; running reviews keep theirs."""
    document = body.model_dump(exclude_none=True)
    return _template(review_admin.set_template(ctx, customer_id, document))


@router.get("/sites/{site_id}/role-leads", response_model=dict[str, str], tags=["tasks"])
def get_role_leads(site_id: str, ctx: Ctx) -> Any:
    """Role -> the lead its overdue tasks at the site escalate to."""
    return review_admin.role_leads(ctx, site_id)


@router.put("/sites/{site_id}/role-leads/{role}", response_model=dict[str, str], tags=["tasks"])
def set_role_lead(site_id: str, role: str, body: LeadIn, ctx: Ctx) -> Any:
    return review_admin.set_role_lead(ctx, site_id, role, body.username)

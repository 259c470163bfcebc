"""Review tasks as people work them: inboxes, detail, completion, reassignment, comments, and
the escalation of overdue tasks to their role's lead.

A task is seen by whoever may see its FAI (``load_fai``: site, customer, technical data).
It is completed by its assignee or a holder of its role, with every checklist item answered
and, where the stage asks for it, an electronic signature: the signer re-authenticates on a
fresh nonce exactly as for a Form 1 signature (``identity.reauthenticate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from firstarticle.domain.access import Permission
from firstarticle.domain.tasks import ChecklistAnswer, Task, TaskStatus
from firstarticle.ports import Page, TaskFilter, UnitOfWork
from firstarticle.services import ServiceContext, allowed, found, identity, record, visible
from firstarticle.services.fai_record import LoadedFai, load_fai
from firstarticle.services.review_admin import check_worker
from firstarticle.services.review_hook import open_next_stage


@dataclass(frozen=True)
class TaskView:
    """A task with the FAIR identifier of its FAI."""

    task: Task
    fair_identifier: str


@dataclass(frozen=True)
class Credentials:
    """A signer's re-authentication: a signing nonce, the password, a TOTP code if enrolled."""

    nonce: str
    password: str
    totp_code: str | None = None


def inbox(
    ctx: ServiceContext,
    *,
    mine: bool = False,
    role: str | None = None,
    site_id: str | None = None,
    first_article_id: str | None = None,
    status: TaskStatus | None = TaskStatus.OPEN,
    overdue: bool = False,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[TaskView]:
    """The tasks the caller may see, due first: ``mine`` those assigned to the caller,
    ``role`` those of a role; ``overdue`` only those past their due time."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    which = TaskFilter(
        site_id=site_id,
        role=role.strip().lower() if role else None,
        assignee=ctx.actor if mine else None,
        first_article_id=first_article_id,
        status=status,
        due_before=ctx.clock.now() if overdue else None,
    )
    with ctx.uow_factory() as uow:
        page = uow.review.tasks(which, size, start, visible(ctx))
    return Page([TaskView(t, fair) for t, fair in page.items], page.total, size, start)


def _load(uow: UnitOfWork, ctx: ServiceContext, task_id: str) -> tuple[Task, LoadedFai]:
    """The task and its FAI, if the caller may see the FAI; else not found."""
    allowed(ctx, Permission.READ)
    task = found(uow.review.task(task_id), "Task", task_id)
    ctx.principal.require_site(task.site_id, "task")
    loaded = load_fai(uow, ctx, task.first_article_id, Permission.READ)
    own = next((t for t in loaded.context.tasks if t.id == task.id), task)
    return own, loaded


def get_task(ctx: ServiceContext, task_id: str) -> TaskView:
    """One task with its checklist, answers, notes and history."""
    with ctx.uow_factory() as uow:
        task, loaded = _load(uow, ctx, task_id)
        return TaskView(task, loaded.fai.fair_identifier)


def complete_task(
    ctx: ServiceContext,
    task_id: str,
    answers: Mapping[str, ChecklistAnswer],
    credentials: Credentials | None = None,
) -> TaskView:
    """Answer the task's checklist and mark it done; the next review stage opens, if any.

    Raises TaskNotPermittedError (not assignee, role not held), ChecklistItemUnknownError,
    ChecklistIncompleteError, SignatureRequiredError (the stage needs a signature and none
    was given), AuthenticationError (wrong credentials or nonce) and TaskClosedError.
    """
    with ctx.uow_factory() as uow:
        task, loaded = _load(uow, ctx, task_id)
        signed = False
        if task.signature_required and credentials is not None:
            identity.reauthenticate(
                ctx,
                uow,
                nonce=credentials.nonce,
                password=credentials.password,
                totp_code=credentials.totp_code,
            )
            signed = True
        now = ctx.clock.now()
        events = task.complete(ctx.actor, ctx.principal.roles, answers, now, signed=signed)
        uow.review.save_task(task)
        events += open_next_stage(uow, ctx, loaded.fai, loaded.context.tasks)
        record(uow, ctx, events)
        uow.commit()
        return TaskView(task, loaded.fai.fair_identifier)


def reassign_task(ctx: ServiceContext, task_id: str, assignee: str | None, reason: str) -> TaskView:
    """Give the task to ``assignee`` (None: back to its role's inbox), with a reason. The
    assignee, a holder of the role or the role's lead at the site may; the new assignee
    works at the task's site and holds its role."""
    with ctx.uow_factory() as uow:
        task, loaded = _load(uow, ctx, task_id)
        lead = uow.review.leads(task.site_id).get(task.role)
        permitted = task.may_work(ctx.actor, ctx.principal.roles) or ctx.actor == lead
        # Who may reassign is decided before anything is said about the new assignee.
        to = (
            check_worker(uow, task.site_id, task.role, assignee) if assignee and permitted else None
        )
        events = task.reassign(to, reason, ctx.actor, ctx.clock.now(), permitted=permitted)
        uow.review.save_task(task)
        record(uow, ctx, events)
        uow.commit()
        return TaskView(task, loaded.fai.fair_identifier)


def comment_task(ctx: ServiceContext, task_id: str, text: str) -> TaskView:
    """Add a comment to the task (anyone who sees it may, also once it is closed)."""
    with ctx.uow_factory() as uow:
        task, loaded = _load(uow, ctx, task_id)
        events = task.comment(text, ctx.actor, ctx.clock.now())
        uow.review.save_task(task)
        record(uow, ctx, events)
        uow.commit()
        return TaskView(task, loaded.fai.fair_identifier)

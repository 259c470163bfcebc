"""The review workflow inside an FAI's unit of work: tasks follow the lifecycle events.

:func:`follow_lifecycle` is called by ``commit_fai`` (services/fai_record.py) with the
events of the commit, so the tasks they open or close commit in the same transaction as the
change that caused them; :func:`open_next_stage` after a review task is done.
"""

from __future__ import annotations

from collections.abc import Sequence

from firstarticle.domain import model, review_flow
from firstarticle.domain.events import Event
from firstarticle.domain.review_templates import DEFAULT_TEMPLATE as DEFAULT
from firstarticle.domain.review_templates import DEFAULT_TEMPLATE_ID, ReviewTemplate, TaskKind
from firstarticle.domain.tasks import Task
from firstarticle.ports import UnitOfWork
from firstarticle.services import ServiceContext


def template_for(uow: UnitOfWork, fai: model.FirstArticle, tasks: Sequence[Task]) -> ReviewTemplate:
    """The template the FAI's review follows: the version its first review task was opened
    from (fixed for the FAI's life), else the customer's latest, else the built-in default."""
    first = next((t for t in tasks if t.kind is TaskKind.REVIEW), None)
    if first is not None:
        if first.template_id == DEFAULT_TEMPLATE_ID:
            return DEFAULT
        return uow.review.template_by_id(first.template_id) or DEFAULT
    if fai.customer_id is None:
        return DEFAULT
    return uow.review.template(fai.customer_id) or DEFAULT


def subject_of(fai: model.FirstArticle) -> review_flow.ReviewSubject:
    """The FAI as the review workflow sees it."""
    return review_flow.ReviewSubject(fai.site_id, fai.id, fai.status, fai.submission_attempt)


def follow_lifecycle(
    uow: UnitOfWork,
    ctx: ServiceContext,
    fai: model.FirstArticle,
    tasks: list[Task],
    events: Sequence[Event],
) -> list[Event]:
    """Open and close the FAI's tasks as ``events`` ask, in the caller's unit of work;
    ``tasks`` (the FAI's, as loaded) gains the new ones. Returns the task events to record."""
    if not any(
        e.record_id == fai.id
        and ("status" in e.changes or e.action == review_flow.DECISION_RECORDED)
        for e in events
    ):
        return []
    template = template_for(uow, fai, tasks)
    outcome = review_flow.react(
        subject_of(fai), template, tasks, events, actor=ctx.actor, at=ctx.clock.now()
    )
    store(uow, tasks, outcome)
    return outcome.events


def open_next_stage(
    uow: UnitOfWork, ctx: ServiceContext, fai: model.FirstArticle, tasks: list[Task]
) -> list[Event]:
    """After a review task is done: open the next stage of the running review, if any."""
    template = template_for(uow, fai, tasks)
    outcome = review_flow.advance(
        subject_of(fai), template, tasks, actor=ctx.actor, at=ctx.clock.now()
    )
    store(uow, tasks, outcome)
    return outcome.events


def store(uow: UnitOfWork, tasks: list[Task], outcome: review_flow.Outcome) -> None:
    """Write the opened tasks and the changed ones; ``tasks`` gains the opened ones."""
    changed = {e.record_id for e in outcome.events}
    for task in tasks:
        if task.id in changed:
            uow.review.save_task(task)
    for task in outcome.opened:
        uow.review.add_task(task)
    tasks.extend(outcome.opened)

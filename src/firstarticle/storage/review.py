"""Review templates, tasks and role leads in SQL (Core statements, no mapping).

A task is written back with :meth:`SqlReviewStore.save_task`, guarded by its version column:
two people closing the same task at once cannot both commit (the second gets ConflictError).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain.access import Visibility
from firstarticle.domain.errors import ConflictError
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.review_templates import (
    ChecklistItem,
    ReviewTemplate,
    TaskKind,
    template_from_document,
)
from firstarticle.domain.tasks import Answer, ChecklistAnswer, Task, TaskStatus
from firstarticle.ports import Page, TaskFilter
from firstarticle.storage import orm
from firstarticle.storage.identity import revision_label_condition, site_condition

_templates, _tasks, _leads = orm.review_templates, orm.review_tasks, orm.role_leads


def _row(task: Task) -> dict[str, Any]:
    values = {c.name: getattr(task, c.name) for c in _tasks.c}
    values["forms"] = sorted(task.forms)
    values["checklist"] = [{"key": i.key, "text": i.text} for i in task.checklist]
    values["answers"] = {
        k: {"answer": a.answer.value, "comment": a.comment} for k, a in task.answers.items()
    }
    values["notes"] = list(task.notes)
    return values


def _task(row: sa.RowMapping) -> Task:
    values = {c.name: row[c.name] for c in _tasks.c}
    values["kind"] = TaskKind(values["kind"])
    values["status"] = TaskStatus(values["status"])
    values["guards"] = FaiAction(values["guards"]) if values["guards"] else None
    values["forms"] = frozenset(values["forms"])
    values["checklist"] = tuple(ChecklistItem(i["key"], i["text"]) for i in values["checklist"])
    values["answers"] = {
        k: ChecklistAnswer(Answer(a["answer"]), a.get("comment"))
        for k, a in values["answers"].items()
    }
    values["notes"] = list(values["notes"])
    return Task(**values)


def _template(row: sa.RowMapping) -> ReviewTemplate:
    return template_from_document(
        row["document"],
        customer_id=row["customer_id"],
        version=row["version"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        template_id=row["id"],
    )


class SqlReviewStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- templates ---

    def add_template(self, template: ReviewTemplate) -> None:
        self.session.execute(
            sa.insert(_templates).values(
                id=template.id,
                customer_id=template.customer_id,
                version=template.version,
                document=template.document(),
                created_by=template.created_by,
                created_at=template.created_at,
            )
        )

    def template(self, customer_id: str, version: int | None = None) -> ReviewTemplate | None:
        """The customer's template at ``version``, or its latest version."""
        stmt = sa.select(_templates).where(_templates.c.customer_id == customer_id)
        if version is not None:
            stmt = stmt.where(_templates.c.version == version)
        row = self.session.execute(stmt.order_by(_templates.c.version.desc()).limit(1)).first()
        return _template(row._mapping) if row else None

    def template_by_id(self, template_id: str) -> ReviewTemplate | None:
        row = self.session.execute(
            sa.select(_templates).where(_templates.c.id == template_id)
        ).first()
        return _template(row._mapping) if row else None

    # --- tasks ---

    def add_task(self, task: Task) -> None:
        self.session.execute(sa.insert(_tasks).values(**_row(task)))

    def save_task(self, task: Task) -> None:
        values = _row(task)
        values["version"] = task.version + 1
        done = self.session.execute(
            sa.update(_tasks)
            .where(
                _tasks.c.site_id == task.site_id,
                _tasks.c.id == task.id,
                _tasks.c.version == task.version,
            )
            .values(**values)
        )
        if done.rowcount != 1:
            raise ConflictError("The task was changed by someone else; reload and try again.")
        task.version += 1

    def task(self, task_id: str) -> Task | None:
        row = self.session.execute(sa.select(_tasks).where(_tasks.c.id == task_id)).first()
        return _task(row._mapping) if row else None

    def tasks_of(self, site_id: str, first_article_id: str) -> list[Task]:
        stmt = (
            sa.select(_tasks)
            .where(_tasks.c.site_id == site_id, _tasks.c.first_article_id == first_article_id)
            .order_by(_tasks.c.created_at, _tasks.c.id)
        )
        return [_task(row._mapping) for row in self.session.execute(stmt)]

    def tasks(
        self, which: TaskFilter, limit: int, offset: int, visible: Visibility | None = None
    ) -> Page[tuple[Task, str]]:
        t, f = _tasks, orm.first_articles
        stmt = sa.select(t, f.c.fair_identifier).join(
            f, (f.c.site_id == t.c.site_id) & (f.c.id == t.c.first_article_id)
        )
        if visible is not None:
            stmt = stmt.where(
                site_condition(visible, t.c.site_id),
                revision_label_condition(visible, f.c.part_revision_id),
            )
            if visible.customer_ids is not None:
                stmt = stmt.where(f.c.customer_id.in_(sorted(visible.customer_ids)))
        for column, value in (
            (t.c.site_id, which.site_id),
            (t.c.role, which.role),
            (t.c.assignee, which.assignee),
            (t.c.first_article_id, which.first_article_id),
            (t.c.status, which.status),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if which.due_before is not None:
            stmt = stmt.where(t.c.due_at < which.due_before)
        total = self.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
        rows = self.session.execute(
            stmt.order_by(t.c.due_at, t.c.id).limit(limit).offset(offset)
        ).mappings()
        items = [(_task(r), str(r["fair_identifier"])) for r in rows]
        return Page(items, int(total or 0), limit, offset)

    # --- role leads ---

    def set_lead(self, site_id: str, role: str, username: str, by: str, at: datetime) -> None:
        key = (_leads.c.site_id == site_id) & (_leads.c.role == role)
        values = {"username": username, "set_by": by, "set_at": at}
        if self.session.execute(sa.update(_leads).where(key).values(**values)).rowcount == 0:
            self.session.execute(sa.insert(_leads).values(site_id=site_id, role=role, **values))

    def leads(self, site_id: str) -> dict[str, str]:
        rows = self.session.execute(
            sa.select(_leads.c.role, _leads.c.username)
            .where(_leads.c.site_id == site_id)
            .order_by(_leads.c.role)
        )
        return {str(r.role): str(r.username) for r in rows}

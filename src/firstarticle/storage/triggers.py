"""Re-FAI triggers and their evaluations in SQL, and the facts detection reads: the approved
FAIs of a part's other revisions and the last completed production of a configuration."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain import model
from firstarticle.domain.access import Visibility
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.triggers import Evaluation, EvaluationStatus, Trigger
from firstarticle.ports import Page
from firstarticle.storage import orm
from firstarticle.storage.identity import revision_label_condition, site_condition

_t, _e = orm.refai_triggers, orm.refai_evaluations


class SqlTriggerStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, trigger: Trigger, evaluation: Evaluation) -> None:
        self.session.add(trigger)
        self.session.flush()  # the evaluation refers to the trigger and its hold
        self.session.add(evaluation)

    def by_fingerprint(self, site_id: str, fingerprint: str) -> Trigger | None:
        stmt = sa.select(Trigger).where(_t.c.site_id == site_id, _t.c.fingerprint == fingerprint)
        return self.session.scalars(stmt).one_or_none()

    def trigger(self, trigger_id: str) -> Trigger | None:
        return self.session.scalars(sa.select(Trigger).where(_t.c.id == trigger_id)).one_or_none()

    def evaluation(self, evaluation_id: str, *, for_update: bool = False) -> Evaluation | None:
        stmt = sa.select(Evaluation).where(_e.c.id == evaluation_id)
        if for_update:
            stmt = stmt.with_for_update()  # two deciders: the second sees it decided
        return self.session.scalars(stmt).one_or_none()

    def evaluation_of(self, site_id: str, trigger_id: str) -> Evaluation | None:
        stmt = sa.select(Evaluation).where(_e.c.site_id == site_id, _e.c.trigger_id == trigger_id)
        return self.session.scalars(stmt).one_or_none()

    def approved_of_part(self, part_id: str, other_than: str) -> list[model.FirstArticle]:
        """Approved FAIs of the part's revisions other than ``other_than``, oldest first."""
        f, r = orm.first_articles, orm.part_revisions
        stmt = (
            sa.select(model.FirstArticle)
            .join(r, r.c.id == f.c.part_revision_id)
            .where(
                r.c.part_id == part_id,
                r.c.id != other_than,
                f.c.status == FaiStatus.APPROVED,
            )
            .order_by(f.c.created_at, f.c.id)
        )
        return list(self.session.scalars(stmt))

    def changed_at(self, site_id: str, first_article_id: str) -> datetime | None:
        """When the change took effect whose evaluation opened the FAI (None: none did)."""
        stmt = (
            sa.select(_t.c.changed_at)
            .join(_e, (_e.c.site_id == _t.c.site_id) & (_e.c.trigger_id == _t.c.id))
            .where(_e.c.site_id == site_id, _e.c.first_article_id == first_article_id)
        )
        changed: datetime | None = self.session.scalar(stmt)
        return changed

    def work_order_for(
        self, site_id: str, part_revision_id: str, customer_id: str | None
    ) -> model.WorkOrder | None:
        """The configuration's open work order that starts last (then the highest number)."""
        w = orm.work_orders
        stmt = (
            sa.select(model.WorkOrder)
            .where(
                w.c.site_id == site_id,
                w.c.part_revision_id == part_revision_id,
                w.c.status.in_([model.WorkOrderStatus.RELEASED, model.WorkOrderStatus.IN_PROGRESS]),
            )
            .order_by(w.c.starts_at.desc().nulls_last(), w.c.number.desc())
            .limit(1)
        )
        if customer_id is not None:
            stmt = stmt.where(w.c.customer_id == customer_id)
        return self.session.scalars(stmt).first()

    def last_production(
        self, site_id: str, part_revision_id: str, other_than: str
    ) -> datetime | None:
        """When the configuration's last production operation was completed, on any work
        order of it at the site other than ``other_than``; None when never."""
        w, o = orm.work_orders, orm.routing_operations
        stmt = (
            sa.select(sa.func.max(o.c.completed_at))
            .join(w, (w.c.site_id == o.c.site_id) & (w.c.id == o.c.work_order_id))
            .where(
                w.c.site_id == site_id,
                w.c.part_revision_id == part_revision_id,
                w.c.id != other_than,
            )
        )
        # MAX keeps the column's type, so the value comes back aware UTC on every database.
        last: datetime | None = self.session.scalar(stmt)
        return last

    def list(
        self,
        *,
        site_id: str | None,
        status: EvaluationStatus | None,
        part_revision_id: str | None,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
    ) -> Page[tuple[Trigger, Evaluation]]:
        stmt = (
            sa.select(Trigger, Evaluation)
            .join(_e, (_e.c.site_id == _t.c.site_id) & (_e.c.trigger_id == _t.c.id))
            .order_by(_t.c.raised_at.desc(), _t.c.id)
        )
        if visible is not None:
            stmt = stmt.where(
                site_condition(visible, _t.c.site_id),
                revision_label_condition(visible, _t.c.part_revision_id),
            )
            if visible.customer_ids is not None:
                stmt = stmt.where(_t.c.customer_id.in_(sorted(visible.customer_ids)))
        if site_id is not None:
            stmt = stmt.where(_t.c.site_id == site_id)
        if status is not None:
            stmt = stmt.where(_e.c.status == status)
        if part_revision_id is not None:
            stmt = stmt.where(_t.c.part_revision_id == part_revision_id)
        total = self.session.scalar(
            sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
        )
        rows = [(t, e) for t, e in self.session.execute(stmt.limit(limit).offset(offset))]
        return Page(items=list(rows), total=int(total or 0), limit=limit, offset=offset)

"""SQLAlchemy implementations of the repository ports."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, raiseload, selectinload

from firstarticle.audit.ledger import FIELDS as LEDGER_FIELDS
from firstarticle.audit.ledger import GENESIS, changes_text, entry_hash
from firstarticle.domain import model
from firstarticle.domain.access import Visibility
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.events import Event
from firstarticle.domain.holds import Hold, HoldOverride, HoldStatus, RevisionOrder
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.readiness import CharacteristicFacts
from firstarticle.ports import FaiFilter, FaiSort, Page, StatusCount
from firstarticle.storage import orm, readiness_reader
from firstarticle.storage.identity import (
    label_condition,
    revision_label_condition,
    site_condition,
)
from firstarticle.storage.types import UtcDateTime

T = TypeVar("T")


def _page(session: Session, stmt: sa.Select[tuple[T]], limit: int, offset: int) -> Page[T]:
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(limit).offset(offset)).all()
    return Page(items=list(items), total=int(total or 0), limit=limit, offset=offset)


class SqlSiteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, site: model.Site) -> None:
        self.session.add(site)

    def get(self, site_id: str) -> model.Site | None:
        return self.session.get(model.Site, site_id)

    def by_code(self, code: str) -> model.Site | None:
        return self.session.scalars(sa.select(model.Site).filter_by(code=code)).one_or_none()

    def list(
        self, limit: int, offset: int, site_ids: frozenset[str] | None = None
    ) -> Page[model.Site]:
        stmt = sa.select(model.Site).order_by(orm.sites.c.code)
        if site_ids is not None:
            stmt = stmt.where(orm.sites.c.id.in_(sorted(site_ids)))
        return _page(self.session, stmt, limit, offset)


class SqlCustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, customer: model.Customer) -> None:
        self.session.add(customer)

    def get(self, customer_id: str) -> model.Customer | None:
        return self.session.get(model.Customer, customer_id)

    def by_code(self, code: str) -> model.Customer | None:
        stmt = sa.select(model.Customer).filter_by(code=code)
        return self.session.scalars(stmt).one_or_none()

    def by_provenance(self, source: str, external_id: str) -> model.Customer | None:
        t = orm.customers
        stmt = sa.select(model.Customer).where(
            t.c.mirror_source == source, t.c.mirror_external_id == external_id
        )
        return self.session.scalars(stmt).one_or_none()

    def list(self, limit: int, offset: int) -> Page[model.Customer]:
        stmt = sa.select(model.Customer).order_by(orm.customers.c.code)
        return _page(self.session, stmt, limit, offset)


def _revisions_with_drawings() -> Any:
    return selectinload(model.Part.revisions).selectinload(model.PartRevision.drawings)  # type: ignore[arg-type]


class SqlPartRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, part: model.Part) -> None:
        self.session.add(part)

    def _tree(self) -> Any:
        return _revisions_with_drawings().selectinload(model.Drawing.characteristics)  # type: ignore[arg-type]

    def get(self, part_id: str) -> model.Part | None:
        return self.session.get(model.Part, part_id, options=[self._tree()])

    def header(self, part_id: str) -> model.Part | None:
        return self.session.get(
            model.Part,
            part_id,
            options=[selectinload(model.Part.revisions)],  # type: ignore[arg-type]
        )

    def by_number(self, number: str) -> model.Part | None:
        stmt = sa.select(model.Part).filter_by(number=number).options(self._tree())
        return self.session.scalars(stmt).one_or_none()

    def list(self, limit: int, offset: int, visible: Visibility | None = None) -> Page[model.Part]:
        p = orm.parts
        stmt = sa.select(model.Part).order_by(p.c.number).options(_revisions_with_drawings())
        if visible is not None:
            r = orm.part_revisions
            # As a part is read whole, a revision with a stricter label hides the part.
            hidden_revision = sa.exists(
                sa.select(r.c.id).where(
                    r.c.part_id == p.c.id,
                    r.c.export_regime.is_not(None),
                    sa.not_(label_condition(visible, r.c.export_regime, r.c.export_category)),
                )
            )
            stmt = stmt.where(
                label_condition(visible, p.c.export_regime, p.c.export_category),
                sa.not_(hidden_revision),
            )
        return _page(self.session, stmt, limit, offset)

    def revision(
        self, revision_id: str, *, characteristics: bool = True
    ) -> model.PartRevision | None:
        """The revision with its drawings and BOM; ``characteristics=False`` leaves the
        drawings' characteristics unread (reading them raises), under the same terms as an
        FAI read without its lines."""
        drawings = selectinload(model.PartRevision.drawings)  # type: ignore[arg-type]
        return self.session.get(
            model.PartRevision,
            revision_id,
            options=[
                drawings.selectinload(model.Drawing.characteristics)  # type: ignore[arg-type]
                if characteristics
                else drawings.raiseload(model.Drawing.characteristics),  # type: ignore[arg-type]
                selectinload(model.PartRevision.bill_of_materials),  # type: ignore[arg-type]
            ],
        )

    def revision_by_number(self, part_number: str, revision: str) -> model.PartRevision | None:
        stmt = (
            sa.select(model.PartRevision)
            .join(orm.parts, orm.parts.c.id == orm.part_revisions.c.part_id)
            .where(orm.parts.c.number == part_number, orm.part_revisions.c.revision == revision)
        )
        return self.session.scalars(stmt).one_or_none()

    def revision_by_provenance(self, source: str, external_id: str) -> model.PartRevision | None:
        t = orm.part_revisions
        stmt = (
            sa.select(model.PartRevision)
            .where(t.c.mirror_source == source, t.c.mirror_external_id == external_id)
            .options(
                selectinload(model.PartRevision.drawings).selectinload(  # type: ignore[arg-type]
                    model.Drawing.characteristics
                ),  # type: ignore[arg-type]
                selectinload(model.PartRevision.bill_of_materials),  # type: ignore[arg-type]
            )
        )
        return self.session.scalars(stmt).one_or_none()

    def revision_labels(self, revision_id: str) -> list[ExportClassification]:
        """The part's label and the revision's own, if any, in one statement."""
        r, p = orm.part_revisions, orm.parts
        row = self.session.execute(
            sa.select(
                p.c.export_regime, p.c.export_category, r.c.export_regime, r.c.export_category
            )
            .join(p, p.c.id == r.c.part_id)
            .where(r.c.id == revision_id)
        ).one_or_none()
        if row is None:
            return []
        labels = [ExportClassification(row[0], row[1])]
        if row[2] is not None:
            labels.append(ExportClassification(row[2], row[3]))
        return labels

    def characteristic_in_use(self, characteristic_id: str) -> bool:
        f, r = orm.form3_rows, orm.inspection_results
        stmt = sa.select(
            sa.or_(
                sa.exists(sa.select(f.c.id).where(f.c.characteristic_id == characteristic_id)),
                sa.exists(sa.select(r.c.id).where(r.c.characteristic_id == characteristic_id)),
            )
        )
        return bool(self.session.scalar(stmt))

    def characteristics(self, ids: Sequence[str]) -> dict[str, model.Characteristic]:
        if not ids:
            return {}
        stmt = sa.select(model.Characteristic).where(orm.characteristics.c.id.in_(set(ids)))
        return {c.id: c for c in self.session.scalars(stmt)}


class SqlWorkOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, work_order: model.WorkOrder) -> None:
        self.session.add(work_order)

    def _options(self) -> list[Any]:
        return [
            selectinload(model.WorkOrder.operations),  # type: ignore[arg-type]
            selectinload(model.WorkOrder.serials),
        ]  # type: ignore[arg-type]

    def get(self, work_order_id: str) -> model.WorkOrder | None:
        stmt = sa.select(model.WorkOrder).where(orm.work_orders.c.id == work_order_id)
        return self.session.scalars(stmt.options(*self._options())).one_or_none()

    def by_number(self, site_id: str, number: str) -> model.WorkOrder | None:
        stmt = sa.select(model.WorkOrder).filter_by(site_id=site_id, number=number)
        return self.session.scalars(stmt.options(*self._options())).one_or_none()

    def by_provenance(self, site_id: str, source: str, external_id: str) -> model.WorkOrder | None:
        t = orm.work_orders
        stmt = sa.select(model.WorkOrder).where(
            t.c.site_id == site_id,
            t.c.mirror_source == source,
            t.c.mirror_external_id == external_id,
        )
        return self.session.scalars(stmt.options(*self._options())).one_or_none()

    def lot_known(self, site_id: str, part_revision_id: str, lot: str) -> bool:
        """True when a work order or serial of this revision at the site carries the lot."""
        s, w = orm.serial_numbers, orm.work_orders
        by_wo = sa.select(w.c.id).where(
            w.c.site_id == site_id, w.c.part_revision_id == part_revision_id, w.c.lot == lot
        )
        by_serial = (
            sa.select(s.c.id)
            .join(w, (w.c.site_id == s.c.site_id) & (w.c.id == s.c.work_order_id))
            .where(s.c.site_id == site_id, w.c.part_revision_id == part_revision_id, s.c.lot == lot)
        )
        stmt = sa.select(sa.or_(sa.exists(by_wo), sa.exists(by_serial)))
        return bool(self.session.scalar(stmt))

    def list(
        self, site_id: str | None, limit: int, offset: int, visible: Visibility | None = None
    ) -> Page[model.WorkOrder]:
        w = orm.work_orders
        stmt = sa.select(model.WorkOrder).order_by(w.c.number)
        if site_id is not None:
            stmt = stmt.where(w.c.site_id == site_id)
        if visible is not None:
            stmt = stmt.where(
                site_condition(visible, w.c.site_id),
                revision_label_condition(visible, w.c.part_revision_id),
            )
            if visible.customer_ids is not None:
                stmt = stmt.where(w.c.customer_id.in_(sorted(visible.customer_ids)))
        return _page(self.session, stmt.options(*self._options()), limit, offset)


@dataclass(frozen=True)
class SerialRecord:
    """A serial as the gate needs it."""

    number: str
    lot: str | None
    work_order_id: str
    work_order_number: str
    part_revision_id: str
    router: str | None = None
    purchase_order: str | None = None


_FAI_CHILDREN = (
    "index",
    "form2",
    "form3",
    "units",
    "results",
    "nonconformances",
    "evidence",
    "decisions",
    "form2_statements",
    "omissions",
)


class SqlFirstArticleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, fai: model.FirstArticle) -> None:
        self.session.add(fai)

    def _full(self) -> list[Any]:
        return [selectinload(getattr(model.FirstArticle, name)) for name in _FAI_CHILDREN]

    def get(self, fai_id: str, *, lines: bool = True) -> model.FirstArticle | None:
        """The FAI with its children; ``lines=False`` leaves Form 3 and the results unread
        (reading them raises), for readiness read by the database: its unit of work must not
        need them."""
        stmt = sa.select(model.FirstArticle).where(orm.first_articles.c.id == fai_id)
        options = self._full()
        if not lines:
            options = [
                selectinload(getattr(model.FirstArticle, name))
                for name in _FAI_CHILDREN
                if name not in {"form3", "results"}
            ] + [raiseload(model.FirstArticle.form3), raiseload(model.FirstArticle.results)]  # type: ignore[arg-type]
        return self.session.scalars(stmt.options(*options)).one_or_none()

    def scope_of(self, fai_id: str) -> model.FaiScope | None:
        """Full or partial, without loading the FAI."""
        t = orm.first_articles
        scope = self.session.scalar(sa.select(t.c.scope).where(t.c.id == fai_id))
        return model.FaiScope(scope) if scope is not None else None

    def characteristic_facts(
        self, fai: model.FirstArticle, revision: model.PartRevision
    ) -> CharacteristicFacts:
        return readiness_reader.characteristic_facts(self.session, fai, revision)

    def by_fair_identifier(self, fair_identifier: str) -> model.FirstArticle | None:
        stmt = sa.select(model.FirstArticle).where(
            orm.first_articles.c.fair_identifier == fair_identifier
        )
        return self.session.scalars(stmt.options(*self._full())).one_or_none()

    def _filtered(
        self, stmt: sa.Select[Any], which: FaiFilter, visible: Visibility | None
    ) -> sa.Select[Any]:
        t = orm.first_articles
        if visible is not None:
            stmt = stmt.where(
                site_condition(visible, t.c.site_id),
                revision_label_condition(visible, t.c.part_revision_id),
            )
            if visible.customer_ids is not None:
                stmt = stmt.where(t.c.customer_id.in_(sorted(visible.customer_ids)))
        for column, value in (
            (t.c.site_id, which.site_id),
            (t.c.status, which.status),
            (t.c.part_revision_id, which.part_revision_id),
            (t.c.customer_id, which.customer_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if which.part_id is not None:
            r = orm.part_revisions
            stmt = stmt.where(
                t.c.part_revision_id.in_(sa.select(r.c.id).where(r.c.part_id == which.part_id))
            )
        if which.program is not None:
            w = orm.work_orders
            # Work order ids are unique across sites, so the id alone names the order.
            stmt = stmt.where(
                t.c.work_order_id.in_(sa.select(w.c.id).where(w.c.program == which.program))
            )
        return stmt

    def list(
        self,
        which: FaiFilter,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
        sort: FaiSort = FaiSort.CREATED,
        descending: bool = True,
    ) -> Page[model.FirstArticle]:
        t = orm.first_articles
        column = t.c[sort.value]
        # The id breaks ties in the same direction, so a page boundary never repeats a row.
        order = (column.desc(), t.c.id.desc()) if descending else (column.asc(), t.c.id.asc())
        stmt = self._filtered(sa.select(model.FirstArticle), which, visible).order_by(*order)
        return _page(self.session, stmt, limit, offset)

    def status_counts(
        self, which: FaiFilter, visible: Visibility | None = None
    ) -> list[StatusCount]:
        t = orm.first_articles
        stmt = self._filtered(
            sa.select(t.c.status, sa.func.count(), sa.func.min(t.c.created_at, type_=UtcDateTime)),
            which,
            visible,
        ).group_by(t.c.status)
        return [
            StatusCount(FaiStatus(status), int(n), oldest)
            for status, n, oldest in self.session.execute(stmt)
        ]

    def by_nonconformance_provenance(
        self, site_id: str, source: str, external_id: str
    ) -> model.FirstArticle | None:
        n = orm.nonconformance_links
        fai_id = self.session.scalar(
            sa.select(n.c.first_article_id).where(
                n.c.site_id == site_id,
                n.c.mirror_source == source,
                n.c.mirror_external_id == external_id,
            )
        )
        return self.get(fai_id) if fai_id else None

    def statuses(self, fair_identifiers: Sequence[str]) -> dict[str, FaiStatus]:
        if not fair_identifiers:
            return {}
        t = orm.first_articles
        rows = self.session.execute(
            sa.select(t.c.fair_identifier, t.c.status).where(
                t.c.fair_identifier.in_(set(fair_identifiers))
            )
        )
        return {fair: FaiStatus(status) for fair, status in rows}

    def covering(
        self, site_id: str, part_revision_id: str, customer_id: str | None
    ) -> list[model.FirstArticle]:
        """Live FAIs (not cancelled or superseded) of a configuration, with their NC links."""
        t = orm.first_articles
        stmt = (
            sa.select(model.FirstArticle)
            .where(
                t.c.site_id == site_id,
                t.c.part_revision_id == part_revision_id,
                t.c.status.not_in([FaiStatus.CANCELLED, FaiStatus.SUPERSEDED]),
            )
            .options(selectinload(model.FirstArticle.nonconformances))  # type: ignore[arg-type]
            .order_by(t.c.created_at)
        )
        if customer_id is not None:
            stmt = stmt.where(t.c.customer_id == customer_id)
        return list(self.session.scalars(stmt))

    def next_fair_number(self, site_id: str, year: int) -> int:
        t = orm.fair_sequences
        where = (t.c.site_id == site_id) & (t.c.year == year)
        # The row lock serialises concurrent creators on PostgreSQL; SQLite has one writer.
        last = self.session.execute(
            sa.select(t.c.last_number).where(where).with_for_update()
        ).scalar_one_or_none()
        if last is None:
            self.session.execute(sa.insert(t).values(site_id=site_id, year=year, last_number=1))
            return 1
        self.session.execute(sa.update(t).where(where).values(last_number=last + 1))
        return last + 1


class SqlHoldRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, hold: Hold) -> None:
        self.session.add(hold)

    def get(self, hold_id: str, *, for_update: bool = False) -> Hold | None:
        stmt = sa.select(Hold).where(orm.holds.c.id == hold_id)
        if for_update:
            # Serialises concurrent signatures and releases of the same hold (C1).
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def active_for(self, site_id: str, part_revision_id: str) -> list[Hold]:
        h = orm.holds
        stmt = (
            sa.select(Hold)
            .where(
                h.c.site_id == site_id,
                h.c.part_revision_id == part_revision_id,
                h.c.status == HoldStatus.ACTIVE,
            )
            .order_by(h.c.id)
        )
        return list(self.session.scalars(stmt))

    def override(self, override_id: str) -> HoldOverride | None:
        stmt = sa.select(HoldOverride).where(orm.hold_overrides.c.id == override_id)
        return self.session.scalars(stmt).one_or_none()

    def add_revision_order(self, order: RevisionOrder) -> None:
        self.session.add(order)

    def revision_order(self, order_id: str) -> RevisionOrder | None:
        return self.session.get(RevisionOrder, order_id)

    def revision_orders_for(
        self, customer_id: str, part_revision_id: str | None = None
    ) -> list[RevisionOrder]:
        r = orm.revision_orders
        stmt = sa.select(RevisionOrder).where(r.c.customer_id == customer_id)
        if part_revision_id is not None:
            stmt = stmt.where(r.c.part_revision_id == part_revision_id)
        return list(self.session.scalars(stmt.order_by(r.c.granted_at, r.c.id)))

    def list(
        self,
        *,
        site_id: str | None,
        status: HoldStatus | None,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
    ) -> Page[Hold]:
        h = orm.holds
        stmt = sa.select(Hold).order_by(h.c.placed_at.desc(), h.c.id)
        if visible is not None:
            stmt = stmt.where(
                site_condition(visible, h.c.site_id),
                revision_label_condition(visible, h.c.part_revision_id),
            )
            if visible.customer_ids is not None:
                stmt = stmt.where(h.c.customer_id.in_(sorted(visible.customer_ids)))
        if site_id is not None:
            stmt = stmt.where(h.c.site_id == site_id)
        if status is not None:
            stmt = stmt.where(h.c.status == status)
        return _page(self.session, stmt, limit, offset)


_GATE_DECISION_INSERT = orm.gate_decisions.insert()


class SqlGateLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, record: dict[str, Any]) -> None:
        # The distribution column cannot be NULL: an unknown site is stored as ''.
        row = {**record, "site_id": record.get("site_id") or ""}
        # One prepared insert on the session's connection: building ``insert().values()``
        # per decision cost more than the round trip (profile of W1).
        self.session.connection().execute(_GATE_DECISION_INSERT, row)

    def list(
        self,
        *,
        site_id: str | None,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
    ) -> Page[dict[str, Any]]:
        g = orm.gate_decisions
        stmt = sa.select(g).order_by(g.c.at.desc(), g.c.id.desc())
        if visible is not None:
            stmt = stmt.where(
                site_condition(visible, g.c.site_id),
                sa.or_(
                    g.c.part_revision_id.is_(None),
                    revision_label_condition(visible, g.c.part_revision_id),
                ),
            )
        if site_id is not None:
            stmt = stmt.where(g.c.site_id == site_id)
        total = self.session.scalar(
            sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
        )
        rows = self.session.execute(stmt.limit(limit).offset(offset)).mappings().all()
        return Page(
            items=[{**r, "site_id": r["site_id"] or None} for r in rows],
            total=int(total or 0),
            limit=limit,
            offset=offset,
        )


class SqlIdempotencyStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, caller: str, key: str) -> dict[str, Any] | None:
        t = orm.idempotency_keys
        row = (
            self.session.execute(sa.select(t).where(t.c.caller == caller, t.c.key == key))
            .mappings()
            .one_or_none()
        )
        return dict(row) if row else None

    def put(
        self, caller: str, key: str, fingerprint: str, status_code: int, body: Any, at: Any
    ) -> None:
        self.session.execute(
            sa.insert(orm.idempotency_keys).values(
                caller=caller,
                key=key,
                fingerprint=fingerprint,
                status_code=status_code,
                body=body,
                created_at=at,
            )
        )

    def purge_before(self, at: Any) -> int:
        t = orm.idempotency_keys
        result = self.session.execute(sa.delete(t).where(t.c.created_at < at))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SqlSyncCursors:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, source: str, kind: str) -> str | None:
        t = orm.sync_cursors
        return self.session.scalar(
            sa.select(t.c.cursor).where(t.c.source == source, t.c.kind == kind)
        )

    def put(self, source: str, kind: str, cursor: str, at: Any) -> None:
        t = orm.sync_cursors
        where = (t.c.source == source) & (t.c.kind == kind)
        if (
            self.session.execute(
                sa.update(t).where(where).values(cursor=cursor, updated_at=at)
            ).rowcount
            == 0
        ):  # type: ignore[attr-defined]
            self.session.execute(
                sa.insert(t).values(source=source, kind=kind, cursor=cursor, updated_at=at)
            )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _head(self) -> tuple[int, str]:
        h = orm.audit_head
        if self.session.get_bind().dialect.name == "sqlite":
            # Take SQLite's write lock before reading the head, so no other writer can
            # slip in between the read and the write.
            self.session.execute(sa.update(h).where(h.c.id == 1).values(position=h.c.position))
        row = self.session.execute(
            sa.select(h.c.position, h.c.entry_hash).where(h.c.id == 1).with_for_update()
        ).one_or_none()
        if row is None:
            self.session.execute(sa.insert(h).values(id=1, position=0, entry_hash=GENESIS))
            return 0, GENESIS
        return int(row.position), str(row.entry_hash)

    def append(self, event: Event, request_id: str | None) -> None:
        position, prev = self._head()
        changes = changes_text(
            {k: [_jsonable(old), _jsonable(new)] for k, (old, new) in event.changes.items()}
        )
        entry = {
            "position": position + 1,
            "at": event.at,
            "site_id": event.site_id,
            "actor": event.actor,
            "action": event.action,
            "record_type": event.record_type,
            "record_id": event.record_id,
            "changes": changes,
            "reason": event.reason,
            "request_id": request_id,
            "prev_hash": prev,
        }
        digest = entry_hash(entry)
        self.session.execute(sa.insert(orm.audit_entries).values(**entry, entry_hash=digest))
        self.session.execute(
            sa.update(orm.audit_head)
            .where(orm.audit_head.c.id == 1)
            .values(position=position + 1, entry_hash=digest)
        )

    def for_record(self, record_type: str, record_id: str) -> list[dict[str, Any]]:
        t = orm.audit_entries
        rows = self.session.execute(
            sa.select(t)
            .where(t.c.record_type == record_type, t.c.record_id == record_id)
            .order_by(t.c.position)
        ).mappings()
        return [{**row, "changes": json.loads(row["changes"])} for row in rows]

    def page_for_record(
        self, record_type: str, record_id: str, limit: int, offset: int
    ) -> Page[dict[str, Any]]:
        """One page of a record's entries in chain order, with the total."""
        t = orm.audit_entries
        which = (t.c.record_type == record_type) & (t.c.record_id == record_id)
        total = self.session.execute(sa.select(sa.func.count()).where(which)).scalar_one()
        rows = self.session.execute(
            sa.select(t).where(which).order_by(t.c.position).limit(limit).offset(offset)
        ).mappings()
        items = [{**row, "changes": json.loads(row["changes"])} for row in rows]
        return Page(items=items, total=int(total), limit=limit, offset=offset)

    def length(self) -> int:
        """How many entries the chain holds, as its head records (no lock taken)."""
        h = orm.audit_head
        position = self.session.execute(sa.select(h.c.position).where(h.c.id == 1)).scalar()
        return int(position or 0)

    def stream(self, batch: int = 10_000) -> Iterator[dict[str, Any]]:
        """Entries in position order, ``changes`` as stored text, fetched in batches."""
        t = orm.audit_entries
        columns = [t.c[name] for name in (*LEDGER_FIELDS, "entry_hash")]
        result = self.session.execute(
            sa.select(*columns).order_by(t.c.position).execution_options(yield_per=batch)
        )
        names = (*LEDGER_FIELDS, "entry_hash")
        for row in result:
            yield dict(zip(names, row, strict=True))

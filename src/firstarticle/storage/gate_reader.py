"""The gate's read path: a few plain SQL statements instead of loading aggregates.

The gate answers ERP on every shipment, so it reads exactly the facts it needs: the
configuration's ids in one statement, the covering FAIs with their open NCs in one, and the
active holds with their overrides in one.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain import model
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.holds import (
    BuildRecord,
    CoveringFai,
    DefinitionState,
    Hold,
    HoldKind,
    HoldOverride,
    HoldSource,
    OpenNonconformance,
)
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.storage import orm


@dataclass(frozen=True)
class Configuration:
    """The ids behind the caller's site, customer, part number and revision (None: unknown),
    with what PLM says of the revision and its export labels, read in the same statement."""

    site_id: str | None
    customer_id: str | None
    requires_fai: bool
    ships_on_conditional_acceptance: bool
    part_revision_id: str | None
    revision_status: str | None = None
    superseded: bool = False
    labels: tuple[ExportClassification, ...] = ()

    @property
    def definition(self) -> DefinitionState:
        """What PLM says of the revision now (meaningful when the revision is known)."""
        return _definition(self.revision_status, self.superseded)


def _definition(status: str | None, superseded: bool) -> DefinitionState:
    revision_status = model.RevisionStatus(status)
    if revision_status is model.RevisionStatus.OBSOLETE:
        return DefinitionState.OBSOLETE
    if revision_status is not model.RevisionStatus.RELEASED:
        return DefinitionState.NOT_RELEASED
    return DefinitionState.SUPERSEDED if superseded else DefinitionState.CURRENT


def _superseded(r: sa.FromClause) -> sa.ColumnElement[bool]:
    """True when a revision of the same part was released after ``r``."""
    later = orm.part_revisions.alias("later")
    return (
        sa.exists()
        .where(
            later.c.part_id == r.c.part_id,
            later.c.id != r.c.id,
            later.c.status == model.RevisionStatus.RELEASED,
            later.c.released_at > r.c.released_at,
        )
        .label("superseded")
    )


class SqlGateReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def definition(self, part_revision_id: str) -> DefinitionState:
        """What PLM says of the revision now, in one statement: its status, and whether a
        revision of the same part was released after it."""
        r = orm.part_revisions
        row = self.session.execute(
            sa.select(r.c.status, _superseded(r)).where(r.c.id == part_revision_id)
        ).one()
        return _definition(row.status, bool(row.superseded))

    def configuration(
        self, site_code: str, customer_code: str, part_number: str, revision: str
    ) -> Configuration:
        """Everything the gate reads of the configuration itself, in one statement: the
        site, the customer and its rules, the revision with its status, whether a later
        one was released, and the export labels of the part and the revision."""
        row = self.session.execute(
            _configuration_statement(),
            {
                "site_code": site_code,
                "customer_code": customer_code,
                "part_number": part_number,
                "revision": revision,
            },
        ).one()
        labels: tuple[ExportClassification, ...] = ()
        if row.revision_id is not None:
            labels = (ExportClassification(row.part_regime, row.part_category),)
            if row.revision_regime is not None:
                labels += (ExportClassification(row.revision_regime, row.revision_category),)
        return Configuration(
            row.site_id,
            row.id,
            bool(row.requires_fai),
            bool(row.ships_on_conditional_acceptance),
            row.revision_id,
            row.revision_status,
            bool(row.superseded),
            labels,
        )

    def covering(
        self, site_id: str, part_revision_id: str, customer_id: str
    ) -> list[tuple[CoveringFai, int]]:
        rows = self.session.execute(
            _covering_statement(),
            {"site_id": site_id, "part_revision_id": part_revision_id, "customer_id": customer_id},
        ).all()
        by_id: dict[str, tuple[CoveringFai, int, list[str]]] = {}
        for fai_id, fair, status, version, router, ok, nc, scope, base, base_status, why in rows:
            if fai_id not in by_id:
                partial = scope == model.FaiScope.PARTIAL
                fai = CoveringFai(
                    fai_id,
                    fair,
                    FaiStatus(status),
                    (),
                    router,
                    bool(ok),
                    (base or "(none named)") if partial else None,
                    FaiStatus(base_status) if base_status is not None else None,
                    str(why) if why is not None else None,
                )
                by_id[fai_id] = (fai, version, [])
            if nc is not None:
                by_id[fai_id][2].append(nc)
        return [
            (dataclasses.replace(fai, open_nonconformances=tuple(ncs)), version)
            for fai, version, ncs in by_id.values()
        ]

    def built_on(
        self,
        site_id: str,
        part_revision_id: str,
        serial_numbers: Sequence[str],
        lot: str | None,
    ) -> list[BuildRecord]:
        """The work orders the asked serials, and the lot, were built on (one statement each)."""
        s, w = orm.serial_numbers, orm.work_orders
        records: list[BuildRecord] = []
        if serial_numbers:
            rows = self.session.execute(
                sa.select(s.c.number, w.c.id, w.c.number, w.c.router, w.c.purchase_order)
                .join(w, (w.c.site_id == s.c.site_id) & (w.c.id == s.c.work_order_id))
                .where(
                    s.c.site_id == site_id,
                    s.c.number.in_(set(serial_numbers)),
                    w.c.part_revision_id == part_revision_id,
                )
                .order_by(s.c.number)
            ).all()
            records += [BuildRecord(f"serial {r[0]}", *r[1:]) for r in rows]
        if lot is not None:
            by_serial = (
                sa.select(w.c.id)
                .join(s, (s.c.site_id == w.c.site_id) & (s.c.work_order_id == w.c.id))
                .where(s.c.site_id == site_id, s.c.lot == lot)
            )
            rows = self.session.execute(
                sa.select(w.c.id, w.c.number, w.c.router, w.c.purchase_order)
                .where(
                    w.c.site_id == site_id,
                    w.c.part_revision_id == part_revision_id,
                    sa.or_(w.c.lot == lot, w.c.id.in_(by_serial)),
                )
                .order_by(w.c.number)
            ).all()
            records += [BuildRecord(f"lot {lot}", *r) for r in rows]
        return records

    def revision_orders(self, customer_id: str, part_revision_id: str) -> frozenset[str]:
        """The purchase orders the customer recorded as calling for this revision, in force."""
        r = orm.revision_orders
        return frozenset(
            self.session.scalars(
                sa.select(r.c.purchase_order).where(
                    r.c.customer_id == customer_id,
                    r.c.part_revision_id == part_revision_id,
                    r.c.withdrawn_at.is_(None),
                )
            )
        )

    def nonconformance_coverage(
        self, site_id: str, nc_holders: Sequence[str], partials: Sequence[str]
    ) -> tuple[list[OpenNonconformance], dict[str, frozenset[str]]]:
        """The open NCs of ``nc_holders`` with their characteristics, and the Form 3
        characteristic ids of ``partials`` (two statements; asked only when a corrective-action
        partial could clear something)."""
        n, f3 = orm.nonconformance_links, orm.form3_rows
        ncs = [
            OpenNonconformance(fai_id, number, frozenset(ids or ()))
            for fai_id, number, ids in self.session.execute(
                sa.select(n.c.first_article_id, n.c.number, n.c.characteristic_ids).where(
                    n.c.site_id == site_id,
                    n.c.first_article_id.in_(nc_holders),
                    n.c.status == "open",
                )
            )
        ]
        form3: dict[str, set[str]] = {fai_id: set() for fai_id in partials}
        for fai_id, characteristic_id in self.session.execute(
            sa.select(f3.c.first_article_id, f3.c.characteristic_id).where(
                f3.c.site_id == site_id, f3.c.first_article_id.in_(partials)
            )
        ):
            form3[fai_id].add(characteristic_id)
        return ncs, {k: frozenset(v) for k, v in form3.items()}

    def active_holds(self, site_id: str, part_revision_id: str) -> list[Hold]:
        rows = (
            self.session.execute(
                _active_holds_statement(),
                {"site_id": site_id, "part_revision_id": part_revision_id},
            )
            .mappings()
            .all()
        )
        holds: dict[str, Hold] = {}
        for row in rows:
            hold = holds.get(row["id"])
            if hold is None:
                hold = Hold(
                    site_id=row["site_id"],
                    kind=HoldKind(row["kind"]),
                    source=HoldSource(row["source"]),
                    part_revision_id=row["part_revision_id"],
                    reason=row["reason"],
                    placed_by=row["placed_by"],
                    placed_at=row["placed_at"],
                    customer_id=row["customer_id"],
                    work_order_id=row["work_order_id"],
                    serial_numbers=list(row["serial_numbers"]),
                    lots=list(row["lots"]),
                    first_article_id=row["first_article_id"],
                    id=row["id"],
                )
                holds[hold.id] = hold
            if row["o_id"] is not None:
                hold.overrides.append(
                    HoldOverride(
                        site_id=row["site_id"],
                        hold_id=hold.id,
                        reason=row["o_reason"],
                        expires_at=row["o_expires_at"],
                        requested_by=row["o_requested_by"],
                        requested_at=row["o_requested_at"],
                        serial_numbers=list(row["o_serial_numbers"]),
                        lots=list(row["o_lots"]),
                        second_signer=row["o_second_signer"],
                        second_signed_at=row["o_second_signed_at"],
                        revoked_by=row["o_revoked_by"],
                        revoked_at=row["o_revoked_at"],
                        id=row["o_id"],
                    )
                )
        return list(holds.values())


# The gate's statements are built once and executed with parameters: building a statement
# with its subqueries and aliases cost more than running it (profile of W1).
@functools.cache
def _configuration_statement() -> sa.Select[Any]:
    s, c, p, r = orm.sites, orm.customers, orm.parts, orm.part_revisions
    site_id = sa.select(s.c.id).where(s.c.code == sa.bindparam("site_code")).scalar_subquery()
    revision = (
        sa.select(
            r.c.id.label("revision_id"),
            r.c.status.label("revision_status"),
            _superseded(r),
            p.c.export_regime.label("part_regime"),
            p.c.export_category.label("part_category"),
            r.c.export_regime.label("revision_regime"),
            r.c.export_category.label("revision_category"),
        )
        .join(p, p.c.id == r.c.part_id)
        .where(p.c.number == sa.bindparam("part_number"), r.c.revision == sa.bindparam("revision"))
        .subquery()
    )
    customer = (
        sa.select(c.c.id, c.c.requires_fai, c.c.ships_on_conditional_acceptance)
        .where(c.c.code == sa.bindparam("customer_code"))
        .subquery()
    )
    return sa.select(
        site_id.label("site_id"),
        revision,
        customer.c.id,
        customer.c.requires_fai,
        customer.c.ships_on_conditional_acceptance,
    ).select_from(
        sa.select(sa.literal(1).label("one"))
        .subquery()
        .outerjoin(customer, sa.true())
        .outerjoin(revision, sa.true())
    )


@functools.cache
def _covering_statement() -> sa.Select[Any]:
    f, n, w, d = (
        orm.first_articles,
        orm.nonconformance_links,
        orm.work_orders,
        orm.customer_decisions,
    )
    approved = (
        sa.exists()
        .where(
            d.c.site_id == f.c.site_id,
            d.c.first_article_id == f.c.id,
            d.c.attempt == f.c.submission_attempt,
            d.c.outcome.in_(
                [model.DecisionOutcome.APPROVED, model.DecisionOutcome.CONDITIONALLY_ACCEPTED]
            ),
        )
        .label("customer_approved")
    )
    b = f.alias("baseline")
    return (
        sa.select(
            f.c.id,
            f.c.fair_identifier,
            f.c.status,
            f.c.version,
            w.c.router,
            approved,
            n.c.number,
            f.c.scope,
            f.c.baseline_fair_identifier,
            b.c.status,
            f.c.refai_trigger,
        )
        .join(w, (w.c.site_id == f.c.site_id) & (w.c.id == f.c.work_order_id))
        # A partial FAI's baseline, at the same site (unique there by FAIR identifier).
        .outerjoin(
            b,
            (f.c.scope == model.FaiScope.PARTIAL)
            & (b.c.site_id == f.c.site_id)
            & (b.c.fair_identifier == f.c.baseline_fair_identifier),
        )
        .outerjoin(
            n,
            (n.c.site_id == f.c.site_id)
            & (n.c.first_article_id == f.c.id)
            & (n.c.status == "open"),
        )
        .where(
            f.c.site_id == sa.bindparam("site_id"),
            f.c.part_revision_id == sa.bindparam("part_revision_id"),
            f.c.customer_id == sa.bindparam("customer_id"),
            f.c.status.not_in([FaiStatus.CANCELLED, FaiStatus.SUPERSEDED]),
        )
        .order_by(f.c.created_at, f.c.id)
    )


@functools.cache
def _active_holds_statement() -> sa.Select[Any]:
    h, o = orm.holds, orm.hold_overrides
    return (
        sa.select(
            h,
            o.c.id.label("o_id"),
            o.c.reason.label("o_reason"),
            o.c.expires_at.label("o_expires_at"),
            o.c.requested_by.label("o_requested_by"),
            o.c.requested_at.label("o_requested_at"),
            o.c.serial_numbers.label("o_serial_numbers"),
            o.c.lots.label("o_lots"),
            o.c.second_signer.label("o_second_signer"),
            o.c.second_signed_at.label("o_second_signed_at"),
            o.c.revoked_by.label("o_revoked_by"),
            o.c.revoked_at.label("o_revoked_at"),
        )
        .outerjoin(o, (o.c.site_id == h.c.site_id) & (o.c.hold_id == h.c.id))
        .where(
            h.c.site_id == sa.bindparam("site_id"),
            h.c.part_revision_id == sa.bindparam("part_revision_id"),
            h.c.status == "active",
        )
        .order_by(h.c.id, o.c.id)
    )

"""The gate's SQL, built once and run with bound parameters.

Building a statement with its subqueries and aliases cost more than running it (profile of
W1), so each is built once. Every select is also written over expressions for its keys, so the
one-statement form (:func:`facts_statement`) can feed them the ids its configuration part
found, instead of a round trip per part.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.storage import orm

Key = sa.ColumnElement[Any]


def superseded(r: sa.FromClause) -> sa.ColumnElement[bool]:
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


@functools.cache
def configuration_statement() -> sa.Select[Any]:
    """One row: the site's id, the customer with its rules, the revision with its status,
    whether a later one was released, and the export labels (NULLs where unknown)."""
    s, c, p, r = orm.sites, orm.customers, orm.parts, orm.part_revisions
    site_id = sa.select(s.c.id).where(s.c.code == sa.bindparam("site_code")).scalar_subquery()
    revision = (
        sa.select(
            r.c.id.label("revision_id"),
            r.c.status.label("revision_status"),
            superseded(r),
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


def covering_select(site_id: Key, revision_id: Key, customer_id: Key) -> sa.Select[Any]:
    """The FAIs that could cover the configuration, one row per open NC (or one without),
    oldest first, with the customer's approval of the current attempt and, for a partial,
    its baseline's status."""
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
            n.c.number.label("nc_number"),
            f.c.scope,
            f.c.baseline_fair_identifier,
            b.c.status.label("baseline_status"),
            f.c.refai_trigger,
            f.c.created_at,
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
            f.c.site_id == site_id,
            f.c.part_revision_id == revision_id,
            f.c.customer_id == customer_id,
            f.c.status.not_in([FaiStatus.CANCELLED, FaiStatus.SUPERSEDED]),
        )
        .order_by(f.c.created_at, f.c.id, n.c.number)
    )


def holds_select(site_id: Key, revision_id: Key) -> sa.Select[Any]:
    """The revision's active holds at the site, one row per override (or one without)."""
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
            h.c.site_id == site_id,
            h.c.part_revision_id == revision_id,
            h.c.status == "active",
        )
        .order_by(h.c.id, o.c.id)
    )


def serials_select(site_id: Key, numbers: Key) -> sa.Select[Any]:
    """Serials by number at a site, each with the work order it was built on."""
    s, w = orm.serial_numbers, orm.work_orders
    return (
        sa.select(
            s.c.number,
            s.c.lot,
            w.c.id.label("work_order_id"),
            w.c.number.label("work_order_number"),
            w.c.part_revision_id,
            w.c.router,
            w.c.purchase_order,
        )
        .join(w, (w.c.site_id == s.c.site_id) & (w.c.id == s.c.work_order_id))
        .where(s.c.site_id == site_id, s.c.number.in_(numbers))
        .order_by(s.c.number)
    )


@functools.cache
def covering_statement() -> sa.Select[Any]:
    return covering_select(
        sa.bindparam("site_id"), sa.bindparam("part_revision_id"), sa.bindparam("customer_id")
    )


@functools.cache
def active_holds_statement() -> sa.Select[Any]:
    return holds_select(sa.bindparam("site_id"), sa.bindparam("part_revision_id"))


@functools.cache
def serials_statement() -> sa.Select[Any]:
    return serials_select(sa.bindparam("site_id"), sa.bindparam("numbers", expanding=True))


def _as_json(select: sa.Select[Any], *order: str) -> sa.ScalarSelect[Any]:
    """The select's rows as one JSON array of objects keyed by column label, in ``order``."""
    rows = select.order_by(None).subquery()
    ordered = postgresql.aggregate_order_by(rows.table_valued(), *(rows.c[name] for name in order))
    return sa.select(
        sa.func.coalesce(sa.func.json_agg(ordered), sa.literal_column("'[]'::json"))
    ).scalar_subquery()


@functools.cache
def facts_statement() -> sa.Select[Any]:
    """PostgreSQL: everything the gate reads in one statement and one round trip. The
    configuration's columns, then the asked serials, the covering FAIs and the active holds,
    each as a JSON array whose objects carry the labels of the selects above."""
    config = configuration_statement().cte("config")
    site_id = sa.select(config.c.site_id).scalar_subquery()
    revision_id = sa.select(config.c.revision_id).scalar_subquery()
    customer_id = sa.select(config.c.id).scalar_subquery()
    numbers = sa.bindparam("numbers", expanding=True)
    return sa.select(
        config,
        _as_json(serials_select(site_id, numbers), "number").label("serials"),
        _as_json(
            covering_select(site_id, revision_id, customer_id), "created_at", "id", "nc_number"
        ).label("covering"),
        _as_json(holds_select(site_id, revision_id), "id", "o_id").label("holds"),
    )

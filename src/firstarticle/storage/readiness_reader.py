"""The characteristic rules' facts read by the database (W3): aggregates over the FAI's
Form 3 rows and results that name only the characteristics that can have a finding.

A characteristic is left out only when every serial of the FAI has a result for it and none
of its results is suspect: an attribute verdict, a manual entry not yet verified, a stated
FAIL not yet resolved, units other than the requirement's, no limits to judge against, or a
value that the database, comparing in floating point, does not find inside the limits with a
margin. The margin (a millionth of a millionth of the limit's size and more) is far above
floating point's error, so a value left out is inside its limits exactly; the ones kept are
judged by the domain in exact decimals, as for an FAI read whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain import model
from firstarticle.domain.readiness import CharacteristicFacts
from firstarticle.storage import orm

# Relative margin of the floating-point prefilter (see the module docstring).
_MARGIN = 1e-9


def characteristic_facts(
    session: Session, fai: model.FirstArticle, revision: model.PartRevision
) -> CharacteristicFacts:
    """The facts :func:`firstarticle.domain.readiness.evaluate` needs for ``fai``, in four
    statements whatever the number of characteristics."""
    f, c, r = orm.form3_rows, orm.characteristics, orm.inspection_results
    drawings = [d.id for d in revision.drawings]
    on_fai = (f.c.site_id == fai.site_id) & (f.c.first_article_id == fai.id)
    in_revision = c.c.drawing_id.in_(drawings)
    has_form3 = bool(session.scalar(sa.select(sa.exists().where(on_fai))))

    not_accounted: list[model.Characteristic] = []
    if fai.scope is model.FaiScope.FULL:
        listed = sa.select(f.c.characteristic_id).where(on_fai)
        stmt = (
            sa.select(model.Characteristic)
            .where(in_revision, c.c.id.not_in(listed))
            .order_by(c.c.drawing_id, c.c.id)
        )
        not_accounted = _in_revision_order(revision, list(session.scalars(stmt)))

    named = sa.union(
        sa.select(f.c.characteristic_id.label("id")).where(on_fai),
        sa.select(r.c.characteristic_id.label("id")).where(
            r.c.site_id == fai.site_id, r.c.first_article_id == fai.id
        ),
    ).subquery()
    foreign = {
        char_id: f"balloon {balloon}" if balloon is not None else char_id
        for char_id, balloon in session.execute(
            sa.select(named.c.id, c.c.balloon)
            .outerjoin(c, c.c.id == named.c.id)
            .where(sa.or_(c.c.id.is_(None), c.c.drawing_id.not_in(drawings)))
        )
    }

    suspect_ids = list(session.scalars(_suspects(fai, drawings)))
    characteristics = {
        ch.id: ch
        for ch in session.scalars(sa.select(model.Characteristic).where(c.c.id.in_(suspect_ids)))
    }
    results: dict[str, list[model.InspectionResult]] = {i: [] for i in suspect_ids}
    for result in session.scalars(
        sa.select(model.InspectionResult)
        .where(
            r.c.site_id == fai.site_id,
            r.c.first_article_id == fai.id,
            r.c.characteristic_id.in_(suspect_ids),
        )
        .order_by(r.c.recorded_at)
    ):
        results[result.characteristic_id].append(result)
    checked = [(characteristics[i], results[i]) for i in suspect_ids]
    return CharacteristicFacts(has_form3, not_accounted, foreign, checked)


def _suspects(fai: model.FirstArticle, drawings: Sequence[str]) -> sa.Select[Any]:
    """Ids of the Form 3 characteristics of the revision that may have a finding, in Form 3
    order (one aggregate over the FAI's rows)."""
    f, c, r = orm.form3_rows, orm.characteristics, orm.inspection_results
    value = sa.cast(r.c.value, sa.Float)
    lower = sa.cast(c.c.lower_limit, sa.Float)
    upper = sa.cast(c.c.upper_limit, sa.Float)
    suspect = r.c.id.is_not(None) & sa.or_(
        r.c.attribute.is_not(None),
        (r.c.source == model.ResultSource.MANUAL_ENTRY.value) & r.c.verified_by.is_(None),
        (r.c.stated_status == "FAIL") & r.c.disagreement_reason.is_(None),
        r.c.units.is_distinct_from(c.c.units),
        c.c.lower_limit.is_(None) & c.c.upper_limit.is_(None),
        value < lower + _MARGIN * (sa.func.abs(lower) + 1),
        value > upper - _MARGIN * (sa.func.abs(upper) + 1),
    )
    # A serial without a result: no row of this characteristic for it (max over the rows).
    serials: list[str | None] = [u.serial_id for u in fai.units] or [None]
    missing = sa.or_(
        *(
            sa.func.max(
                sa.case(
                    (
                        r.c.id.is_not(None)
                        & (r.c.serial_id.is_(None) if s is None else r.c.serial_id == s),
                        1,
                    ),
                    else_=0,
                )
            )
            == 0
            for s in serials
        )
    )
    inspected = sa.or_(
        c.c.designator.is_(None),
        c.c.designator.not_in([d.value for d in model.NOT_INSPECTED]),
    )
    return (
        sa.select(f.c.characteristic_id)
        .join(c, c.c.id == f.c.characteristic_id)
        .outerjoin(
            r,
            (r.c.site_id == f.c.site_id)
            & (r.c.first_article_id == f.c.first_article_id)
            & (r.c.characteristic_id == f.c.characteristic_id),
        )
        .where(
            f.c.site_id == fai.site_id,
            f.c.first_article_id == fai.id,
            c.c.drawing_id.in_(drawings),
        )
        .group_by(f.c.id, f.c.characteristic_id, c.c.designator)
        .having(
            sa.or_(
                sa.func.max(sa.case((suspect, 1), else_=0)) == 1,
                inspected & missing,
            )
        )
        .order_by(f.c.id)
    )


def _in_revision_order(
    revision: model.PartRevision, found: list[model.Characteristic]
) -> list[model.Characteristic]:
    """``found`` in the order of the revision's drawings (as the aggregate lists them)."""
    rank = {d.id: n for n, d in enumerate(revision.drawings)}
    return sorted(found, key=lambda ch: rank.get(ch.drawing_id, len(rank)))

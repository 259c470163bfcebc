"""Submission packages in SQL: appended, never updated (Core statements, no mapping)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain import model
from firstarticle.domain.packages import SubmissionPackage
from firstarticle.storage import orm

_t = orm.submission_packages
_HEAD = [c for c in _t.c if c.name != "content"]


class SqlSubmissionPackages:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, package: SubmissionPackage) -> None:
        values = {c.name: getattr(package, c.name) for c in _t.c}
        self.session.execute(sa.insert(_t).values(**values))

    def last_attempt(self, site_id: str, first_article_id: str) -> int:
        stmt = sa.select(sa.func.coalesce(sa.func.max(_t.c.attempt), 0)).where(
            _t.c.site_id == site_id, _t.c.first_article_id == first_article_id
        )
        return int(self.session.scalar(stmt) or 0)

    def for_first_article(self, site_id: str, first_article_id: str) -> list[SubmissionPackage]:
        """Every package of the FAI, oldest attempt first, without the zip bytes (b"")."""
        stmt = (
            sa.select(*_HEAD)
            .where(_t.c.site_id == site_id, _t.c.first_article_id == first_article_id)
            .order_by(_t.c.attempt)
        )
        return [_package(row._mapping, b"") for row in self.session.execute(stmt)]

    def get(self, site_id: str, first_article_id: str, attempt: int) -> SubmissionPackage | None:
        stmt = sa.select(_t).where(
            _t.c.site_id == site_id,
            _t.c.first_article_id == first_article_id,
            _t.c.attempt == attempt,
        )
        row = self.session.execute(stmt).one_or_none()
        return _package(row._mapping, bytes(row.content)) if row else None


def _package(row: sa.RowMapping, content: bytes) -> SubmissionPackage:
    values = {k: v for k, v in row.items() if k != "content"}
    values["form_revision"] = model.FormRevision(values["form_revision"])
    return SubmissionPackage(**values, content=content)

"""Bulk writes of imported inspection results: COPY on PostgreSQL, executemany elsewhere.

The rows go through the session's own connection, so they belong to the unit of work's
transaction (or savepoint) and vanish with it on rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, raiseload, selectinload

from firstarticle.domain import model
from firstarticle.storage import orm

# Column order of the COPY and of the executemany rows.
_COLUMNS = (
    "site_id",
    "id",
    "first_article_id",
    "characteristic_id",
    "serial_id",
    "value",
    "units",
    "attribute",
    "source",
    "source_reference",
    "operator",
    "device",
    "measured_at",
    "recorded_by",
    "recorded_at",
    "verified_by",
    "verified_at",
)
_CONTENT = ("index", "form2", "form3", "units", "nonconformances", "evidence", "decisions")


def _row(r: model.InspectionResult) -> tuple[Any, ...]:
    return (
        r.site_id,
        r.id,
        r.first_article_id,
        r.characteristic_id,
        r.serial_id,
        r.value,
        r.units,
        r.attribute.value if r.attribute is not None else None,
        r.source.value,
        r.source_reference,
        r.operator,
        r.device,
        r.measured_at.astimezone(UTC),
        r.recorded_by,
        r.recorded_at.astimezone(UTC),
        r.verified_by,
        r.verified_at.astimezone(UTC) if r.verified_at is not None else None,
    )


class SqlResultImportStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_article(self, fai_id: str) -> model.FirstArticle | None:
        # Results are never loaded: an FAI may hold millions, and the import only adds.
        # raiseload makes any accidental read of them fail loudly instead of loading them.
        options: list[Any] = [selectinload(getattr(model.FirstArticle, n)) for n in _CONTENT]
        options.append(raiseload(model.FirstArticle.results))  # type: ignore[arg-type]
        stmt = sa.select(model.FirstArticle).where(orm.first_articles.c.id == fai_id)
        return self.session.scalars(stmt.options(*options)).one_or_none()

    def add_results(self, results: Sequence[model.InspectionResult]) -> None:
        if not results:
            return
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            self._copy(connection, results)
            return
        table = orm.inspection_results
        self.session.execute(
            sa.insert(table),
            [dict(zip(_COLUMNS, _row(r), strict=True)) for r in results],
        )

    @staticmethod
    def _copy(connection: sa.Connection, results: Sequence[model.InspectionResult]) -> None:
        driver = connection.connection.driver_connection
        if driver is None:  # pragma: no cover - a pooled connection always has one
            raise RuntimeError("no database connection for COPY")
        statement = f"COPY inspection_results ({', '.join(_COLUMNS)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for r in results:
                copy.write_row(_row(r))

    def file_imported(self, site_id: str, first_article_id: str, sha256: str) -> bool:
        t = orm.inspection_results
        marker = f"%sha256:{sha256}%"
        stmt = sa.select(
            sa.exists().where(
                t.c.site_id == site_id,
                t.c.first_article_id == first_article_id,
                t.c.source_reference.like(marker),
            )
        )
        return bool(self.session.scalar(stmt))

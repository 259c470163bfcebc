"""Bulk writes of imported inspection results: COPY on PostgreSQL, executemany elsewhere.

The rows go through the session's own connection, so they belong to the unit of work's
transaction (or savepoint) and vanish with it on rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, raiseload, selectinload

from firstarticle.domain import model
from firstarticle.ports import ResultRow
from firstarticle.storage import orm

_CONTENT = (
    "index",
    "form2",
    "form3",
    "units",
    "nonconformances",
    "evidence",
    "decisions",
    "form2_statements",
    "omissions",
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

    def add_results(self, rows: Sequence[ResultRow]) -> None:
        if not rows:
            return
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            self._copy(connection, rows)
            return
        self._executemany(connection, rows)

    @staticmethod
    def _executemany(connection: sa.Connection, rows: Sequence[ResultRow]) -> None:
        """One prepared INSERT run over every row, values bound as the column types bind them.

        Going around SQLAlchemy's per-row parameter handling halves the cost; the column
        types' own bind processors (exact decimals as text, UTC times) still do the binding,
        once per distinct time.
        """
        table = orm.inspection_results
        dialect = connection.dialect
        bind_value = table.c.value.type.bind_processor(dialect)
        bind_time = table.c.measured_at.type.bind_processor(dialect)
        times: dict[Any, Any] = {}

        def when(value: Any) -> Any:
            if bind_time is None:
                return value
            bound = times.get(value)
            if bound is None:
                bound = times[value] = bind_time(value)
            return bound

        values = [
            (
                *r[:5],
                bind_value(r.value) if bind_value is not None else r.value,
                *r[6:12],
                when(r.measured_at),
                r.recorded_by,
                when(r.recorded_at),
                r.nonconformance_number,
                r.stated_status,
            )
            for r in rows
        ]
        columns = ", ".join(ResultRow._fields)
        marks = ", ".join("?" for _ in ResultRow._fields)
        connection.exec_driver_sql(
            f"INSERT INTO inspection_results ({columns}) VALUES ({marks})", values
        )

    @staticmethod
    def _copy(connection: sa.Connection, rows: Sequence[ResultRow]) -> None:
        driver = connection.connection.driver_connection
        if driver is None:  # pragma: no cover - a pooled connection always has one
            raise RuntimeError("no database connection for COPY")
        statement = f"COPY inspection_results ({', '.join(ResultRow._fields)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

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

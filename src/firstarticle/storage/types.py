"""Column types that keep Decimal exact and times timezone-aware on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from firstarticle.domain.access import AuthorizationKind, ExportAuthorization
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.tolerancing import DesignTolerance


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL; text on SQLite, whose NUMERIC affinity would round through float."""

    impl = sa.String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.Numeric(asdecimal=True))
        return dialect.type_descriptor(sa.String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal takes Decimal, not {type(value).__name__}")
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC; naive datetimes are refused, SQLite's come back as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; firstarticle stores timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column_type(enum: type[StrEnum]) -> sa.Enum:
    """A portable VARCHAR enum storing the members' values, checked by the database."""
    return sa.Enum(
        enum,
        name=enum.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum) + 8,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class StrSet(TypeDecorator[frozenset[str]]):
    """A set of strings as a sorted JSON array; NULL stays None (meaning 'no limit')."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value: frozenset[str] | None, dialect: Dialect) -> Any:
        return None if value is None else sorted(str(v) for v in value)

    def process_result_value(self, value: Any, dialect: Dialect) -> frozenset[str] | None:
        return None if value is None else frozenset(value)


class EnumSet(TypeDecorator[frozenset[StrEnum]]):
    """A set of StrEnum members as a sorted JSON array of their values."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: frozenset[StrEnum] | None, dialect: Dialect) -> Any:
        return None if value is None else sorted(self.enum(v).value for v in value)

    def process_result_value(self, value: Any, dialect: Dialect) -> frozenset[StrEnum] | None:
        return None if value is None else frozenset(self.enum(v) for v in value)


class Authorizations(TypeDecorator[tuple[ExportAuthorization, ...]]):
    """A person's export authorizations as a JSON array (they change with the person)."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(
        self, value: tuple[ExportAuthorization, ...] | None, dialect: Dialect
    ) -> Any:
        return [
            {
                "id": a.id,
                "kind": a.kind.value,
                "regime": a.regime.value if a.regime else None,
                "categories": sorted(a.categories),
                "reference": a.reference,
                "expires_on": a.expires_on.isoformat() if a.expires_on else None,
                "revoked": a.revoked,
            }
            for a in value or ()
        ]

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[ExportAuthorization, ...]:
        return tuple(
            ExportAuthorization(
                kind=AuthorizationKind(a["kind"]),
                regime=ExportRegime(a["regime"]) if a["regime"] else None,
                categories=frozenset(a["categories"]),
                reference=a["reference"],
                expires_on=date.fromisoformat(a["expires_on"]) if a["expires_on"] else None,
                revoked=a["revoked"],
                id=a["id"],
            )
            for a in value or ()
        )


class DesignToleranceJson(TypeDecorator[DesignTolerance]):
    """A characteristic's tolerance as its QIF file typed it, as JSON; NULL stays None."""

    impl = sa.JSON(none_as_null=True)
    cache_ok = True

    def process_bind_param(self, value: DesignTolerance | None, dialect: Dialect) -> Any:
        return None if value is None else value.as_json()

    def process_result_value(self, value: Any, dialect: Dialect) -> DesignTolerance | None:
        return None if value is None else DesignTolerance.from_json(value)

"""Facts about the database that plant IT and validation engineers need to see.

Read-only: durability settings, schema revision against the packaged migrations' head,
server time and time zone, and the audit chain's length. The verdicts live in
``domain/operations.py``; this module only reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from firstarticle.domain.operations import DatabaseFacts

MIGRATIONS = Path(__file__).parent / "migrations"
_POSTGRES_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes", "TimeZone")


def head_revision() -> str | None:
    """The newest migration this package ships."""
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()


def schema_revision(connection: sa.Connection) -> str | None:
    """The migration the database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def database_facts(engine: sa.Engine) -> DatabaseFacts:
    """Read every fact in one short connection; raises what the driver raises when away."""
    with engine.connect() as connection:
        dialect = connection.dialect.name
        settings: dict[str, str] = {}
        if dialect == "postgresql":
            for name in _POSTGRES_SETTINGS:
                settings[name] = str(connection.exec_driver_sql(f"SHOW {name}").scalar())
            version = str(connection.exec_driver_sql("SHOW server_version").scalar())
            now = connection.exec_driver_sql("SELECT now()").scalar()
        else:
            version = str(connection.exec_driver_sql("SELECT sqlite_version()").scalar())
            settings["journal_mode"] = str(
                connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            ).lower()
            level = int(connection.exec_driver_sql("PRAGMA synchronous").scalar() or 0)
            settings["synchronous"] = {0: "off", 1: "normal", 2: "full", 3: "extra"}.get(
                level, str(level)
            )
            settings["foreign_keys"] = (
                "on" if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() else "off"
            )
            now = None  # SQLite runs in this process: its clock is ours
        revision = schema_revision(connection)
        length = connection.exec_driver_sql(
            "SELECT COALESCE(MAX(position), 0) FROM audit_entries"
        ).scalar()
        connection.rollback()
    return DatabaseFacts(
        dialect=dialect,
        server_version=version,
        settings=settings,
        schema_revision=revision,
        head_revision=head_revision(),
        server_time=now.astimezone(UTC) if isinstance(now, datetime) else None,
        audit_length=int(length or 0),
    )

"""The Alembic migrations build exactly the schema the code maps."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from firstarticle.storage.orm import metadata


def test_the_migrated_schema_matches_the_mapped_tables(engine):
    """Autogenerate finds nothing to change after upgrading to head."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_running_the_upgrade_again_changes_nothing(database_url, engine):
    """``db upgrade`` is idempotent."""
    from firstarticle.bootstrap import upgrade_database

    upgrade_database(database_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []

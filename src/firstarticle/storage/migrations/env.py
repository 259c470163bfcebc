"""Alembic environment: runs the packaged migrations against the configured URL."""

from __future__ import annotations

from alembic import context

from firstarticle.storage.db import make_engine
from firstarticle.storage.orm import metadata

config = context.config


def run_migrations_online() -> None:
    """Run migrations in one transaction (SQLite and PostgreSQL both have transactional DDL)."""
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

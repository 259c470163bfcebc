"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from firstarticle.storage.orm import start_mappers


def make_engine(url: str, *, timeout_seconds: float = 5.0, **kwargs: Any) -> sa.Engine:
    """An engine with the durability settings each database needs.

    SQLite runs in WAL with ``synchronous=FULL`` and enforced foreign keys; PostgreSQL
    connections carry a statement timeout so that a slow database cannot hang a request.
    """
    start_mappers()
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": timeout_seconds}, **kwargs
        )
        _configure_sqlite(engine, timeout_seconds)
        return engine
    connect_args = {
        "connect_timeout": max(1, int(timeout_seconds)),
        "options": f"-c statement_timeout={int(timeout_seconds * 1000)}",
    }
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: sa.Engine, timeout_seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL;
        # we take over and emit BEGIN ourselves (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_seconds * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: sa.Engine | sa.Connection, **kwargs: Any) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (views are built from them)."""
    return sessionmaker(bind=engine, expire_on_commit=False, **kwargs)

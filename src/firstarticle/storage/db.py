"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from firstarticle.storage.orm import start_mappers


@dataclass(frozen=True)
class PoolLimits:
    """How many connections one process may hold, and how long a request waits for one.

    ``size + overflow`` is a hard ceiling: a request that finds every connection busy waits
    at most ``checkout_seconds`` and then fails as unavailable, instead of opening more.
    """

    size: int = 5
    overflow: int = 10
    checkout_seconds: float = 2.0
    recycle_seconds: int = 1800
    ping_after_idle_seconds: float = 1.0


def make_engine(
    url: str,
    *,
    timeout_seconds: float = 5.0,
    pool: PoolLimits | None = None,
    **kwargs: Any,
) -> sa.Engine:
    """An engine with the durability settings each database needs and bounded resources.

    SQLite runs in WAL with ``synchronous=FULL`` and enforced foreign keys. PostgreSQL
    connections carry a connect timeout, a statement timeout, TCP keepalives and a TCP user
    timeout, so that a slow or vanished database cannot hang a request or leave sockets open;
    the pool never holds more than its limits.
    """
    start_mappers()
    limits = pool or PoolLimits()
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": timeout_seconds}, **kwargs
        )
        _configure_sqlite(engine, timeout_seconds)
        return engine
    millis = int(timeout_seconds * 1000)
    connect_args = {
        "connect_timeout": max(1, int(timeout_seconds)),
        "options": f"-c statement_timeout={millis} -c idle_in_transaction_session_timeout="
        f"{max(millis * 2, 10_000)}",
        # A database that stops answering is noticed by the kernel, not only at checkout.
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "tcp_user_timeout": millis,
    }
    options: dict[str, Any] = {
        "pool_size": limits.size,
        "max_overflow": limits.overflow,
        "pool_timeout": limits.checkout_seconds,
        "pool_recycle": limits.recycle_seconds,
    }
    options.update(kwargs)
    engine = sa.create_engine(url, connect_args=connect_args, **options)
    if not options.get("pool_pre_ping"):
        _ping_when_idle(engine, limits.ping_after_idle_seconds)
    return engine


def _ping_when_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout when it sat idle for ``idle_seconds`` or more.

    A connection that came back to the pool a moment ago was working a moment ago; pinging
    it on every checkout (``pool_pre_ping``) cost the gate one round trip in five (profile of
    W1). One that sat idle may have outlived a database restart or failover, and is pinged;
    if the ping fails, the pool replaces it, so the request still succeeds. A restart inside
    the idle window is noticed by the first statement instead: that request fails (the gate
    denies) and SQLAlchemy invalidates the whole pool, so the next ones reconnect.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool retries with a fresh connection
            raise sa.exc.DisconnectionError(str(error)) from error


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

"""Pooled connections that outlived their server process (a database restart or failover):
one that sat idle is pinged and replaced at checkout, so the request succeeds; one that was
in use a moment ago is not pinged (the gate's round trips, W1)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from firstarticle.storage.db import PoolLimits, make_engine

pytestmark = [pytest.mark.postgres_only, pytest.mark.requirement("G5")]


def _backend_of(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(database_url: str, pid: int) -> None:
    killer = make_engine(database_url)
    with killer.begin() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


@pytest.fixture
def postgres_url(database_url: str, is_postgres: bool) -> str:
    if not is_postgres:
        pytest.skip("server-side connection loss needs PostgreSQL")
    return database_url


def test_an_idle_connection_the_database_dropped_is_replaced_before_use(postgres_url):
    engine = make_engine(
        postgres_url, pool=PoolLimits(size=1, overflow=0, ping_after_idle_seconds=0)
    )
    try:
        dropped = _backend_of(engine)
        _terminate(postgres_url, dropped)
        replacement = _backend_of(engine)  # no error: the ping found it dead
        assert replacement != dropped
    finally:
        engine.dispose()


@pytest.mark.parametrize(("idle_seconds", "pinged"), [(1.0, 0), (0.0, 1)])
def test_a_connection_back_from_use_a_moment_ago_is_not_pinged(postgres_url, idle_seconds, pinged):
    """Two uses in a row: the second checkout pings only when the idle window is zero."""
    engine = make_engine(
        postgres_url, pool=PoolLimits(size=1, overflow=0, ping_after_idle_seconds=idle_seconds)
    )
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        assert _backend_of(engine) == _backend_of(engine)
        assert len(pings) == pinged
    finally:
        engine.dispose()


def test_a_drop_inside_the_idle_window_fails_one_request_and_the_next_reconnects(postgres_url):
    engine = make_engine(postgres_url, pool=PoolLimits(size=1, overflow=0))
    try:
        dropped = _backend_of(engine)
        _terminate(postgres_url, dropped)
        with pytest.raises(sa.exc.OperationalError) as failure:
            _backend_of(engine)
        assert failure.value.connection_invalidated
        assert _backend_of(engine) != dropped
    finally:
        engine.dispose()

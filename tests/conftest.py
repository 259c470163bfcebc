"""Shared fixtures: one database per run (SQLite file, or PostgreSQL when configured), each
test inside a transaction that is rolled back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import plant
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from firstarticle import bootstrap
from firstarticle.api.app import create_app
from firstarticle.config import Settings
from firstarticle.services import ServiceContext
from firstarticle.storage import orm
from firstarticle.storage.db import make_engine

pytest_plugins = ["requirement_trace"]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


class FixedClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def pytest_report_header() -> str:
    return f"firstarticle test database: {_safe(database_url_for_tests(None))}"


def _safe(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


def database_url_for_tests(tmp: Path | None) -> str:
    url = os.environ.get("FIRSTARTICLE_TEST_DATABASE_URL", "").strip()
    if url:
        return Settings(database_url=url).database_url
    return f"sqlite:///{(tmp or Path('.')) / 'firstarticle-test.db'}"


def test_settings(database_url: str) -> Settings:
    """Settings for tests: Argon2id with small costs, so creating users stays fast."""
    return Settings(
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        cookie_secure=False,
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database URL, with the schema freshly migrated to head."""
    url = database_url_for_tests(tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    with engine.begin() as conn:
        orm.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    bootstrap.upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def is_postgres(engine: sa.Engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture
def connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 20, 14, 0, tzinfo=UTC))


@pytest.fixture
def application(
    connection: sa.Connection, database_url: str, clock: FixedClock
) -> bootstrap.Application:
    """The application wired onto the test transaction; commits become savepoints."""
    return bootstrap.build(test_settings(database_url), bind=connection, clock=clock)


@pytest.fixture
def ctx(application: bootstrap.Application) -> ServiceContext:
    return application.context("q.engineer")


@pytest.fixture
def client(application: bootstrap.Application) -> Iterator[TestClient]:
    """An API client whose caller is trusted and named by ``X-Actor`` (default q.engineer).

    For tests of what the API does; tests of who may do it use ``authed_client`` and real
    credentials.
    """
    app = plant.trusting(create_app(application), application)
    # The callers the tests name exist before they start, so a refused request writes nothing.
    for name in ("q.engineer", "q.manager", "inspector.a", "inspector.b"):
        plant.person(application.context("test-admin"), name)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def authed_client(application: bootstrap.Application) -> Iterator[TestClient]:
    """An API client with the real authentication: no credentials, no access."""
    with TestClient(create_app(application), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (CI has it beside the checkout)")
    return SHARED_DATA

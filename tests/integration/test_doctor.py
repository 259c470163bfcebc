"""``firstarticle doctor`` against real databases: passes a sound one, flags a dangerous one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from firstarticle import bootstrap, cli
from firstarticle.config import Settings, get_settings


@pytest.fixture
def doctor(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], tuple[int, dict[str, str]]]:
    """Run ``firstarticle doctor --json`` against a database URL; (exit code, checks)."""

    def run(url: str) -> tuple[int, dict[str, str]]:
        monkeypatch.setenv("FIRSTARTICLE_DATABASE_URL", url)
        monkeypatch.setenv("COLUMNS", "200")
        get_settings.cache_clear()
        cli.common.reset()
        try:
            result = CliRunner().invoke(cli.app, ["doctor", "--json"])
        finally:
            cli.common.reset()
            get_settings.cache_clear()
        stdout = result.stdout
        checks = json.loads(stdout[stdout.index("[") :]) if "[" in stdout else []
        return result.exit_code, {c["id"]: c["status"] for c in checks}

    return run


def test_doctor_passes_a_fresh_sqlite_database(doctor, tmp_path: Path) -> None:
    """WAL, synchronous=FULL, foreign keys, schema at head, chain verified: exit 0."""
    url = f"sqlite:///{tmp_path / 'sound.db'}"
    bootstrap.upgrade_database(url)
    code, checks = doctor(url)
    assert code == 0
    assert checks["sqlite.synchronous"] == "ok"
    assert checks["schema.revision"] == "ok"
    assert checks["audit.chain"] == "ok"


def test_doctor_fails_a_database_behind_the_package(doctor, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    bootstrap.upgrade_database(url, "0001")
    code, checks = doctor(url)
    assert code == 1
    assert checks["schema.revision"] == "fail"


@pytest.fixture
def postgres_database(engine: sa.Engine) -> Iterator[tuple[sa.Engine, str]]:
    """A database of its own on the test server, dropped afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: durability settings are the server's")
    name = f"{engine.url.database}_doctor_{os.getpid()}"
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    bootstrap.upgrade_database(Settings(database_url=url).database_url)
    try:
        yield admin, url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.mark.postgres_only
def test_doctor_flags_synchronous_commit_off_and_passes_when_restored(
    doctor, postgres_database: tuple[sa.Engine, str]
) -> None:
    """``ALTER DATABASE ... SET synchronous_commit = off`` is caught; reset, it passes."""
    admin, url = postgres_database
    name = sa.engine.make_url(url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    code, checks = doctor(url)
    assert code == 1
    assert checks["postgresql.synchronous_commit"] == "fail"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET synchronous_commit')
    code, checks = doctor(url)
    assert checks["postgresql.synchronous_commit"] == "ok"
    assert code == 0, checks

"""A7: a logical backup restores every record and a valid audit chain, on SQLite, on
PostgreSQL and across them; damaged archives and occupied databases are refused, all or
nothing.

The suite's shared fixtures roll back one connection per test, which does not suit a backup
that opens its own transactions: these tests build their own databases (SQLite files, and
throw-away PostgreSQL databases when FIRSTARTICLE_TEST_DATABASE_URL names PostgreSQL).
"""

from __future__ import annotations

import json
import os
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from firstarticle import bootstrap, cli
from firstarticle.audit.ledger import GENESIS, Verdict
from firstarticle.config import Settings, get_settings
from firstarticle.demo import loader
from firstarticle.services import audit
from firstarticle.storage import backup as backups
from firstarticle.storage import orm
from firstarticle.storage.db import make_engine
from firstarticle.storage.diagnostics import head_revision

pytestmark = pytest.mark.requirement("A7")


def _settings(url: str) -> Settings:
    # Argon2id with small costs: the demo plant creates eighteen people.
    return Settings(
        database_url=url, argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1
    )


def _postgres_server() -> sa.URL | None:
    url = os.environ.get("FIRSTARTICLE_TEST_DATABASE_URL", "").strip()
    if not url:
        return None
    parsed = sa.make_url(Settings(database_url=url).database_url)
    return parsed if parsed.get_backend_name() == "postgresql" else None


POSTGRES = _postgres_server()


class Databases:
    """Creates migrated databases for one test and removes them afterwards."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder = kind, folder
        self.made: list[tuple[sa.Engine, str | None]] = []

    def new(self, revision: str | None = "head") -> sa.Engine:
        """A fresh database, migrated to ``revision`` (None: not migrated)."""
        dropped: str | None = None
        if self.kind == "sqlite":
            url = f"sqlite:///{self.folder / f'db{len(self.made)}.db'}"
        else:
            assert POSTGRES is not None
            dropped = f"firstarticle_backup_{uuid.uuid4().hex[:12]}"
            with _postgres_admin() as admin:
                try:
                    # A linguistic default collation, as production servers often have, so
                    # the archive's byte order of text keys is really put to the test.
                    admin.exec_driver_sql(
                        f'CREATE DATABASE "{dropped}" TEMPLATE template0 '
                        "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
                    )
                except sa.exc.DBAPIError:
                    admin.exec_driver_sql(f'CREATE DATABASE "{dropped}"')
            url = POSTGRES.set(database=dropped).render_as_string(hide_password=False)
        if revision:
            bootstrap.upgrade_database(url, revision)
        engine = make_engine(url)
        self.made.append((engine, dropped))
        return engine

    def close(self) -> None:
        for engine, dropped in self.made:
            engine.dispose()
            if dropped:
                with _postgres_admin() as admin:
                    admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


@contextmanager
def _postgres_admin() -> Iterator[sa.Connection]:
    """A connection to the server's ``postgres`` database, outside any transaction."""
    assert POSTGRES is not None
    admin = sa.create_engine(POSTGRES.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """The demo plant in a SQLite file, plus rows in the tables the demo leaves empty."""
    url = f"sqlite:///{tmp_path_factory.mktemp('backup') / 'source.db'}"
    bootstrap.upgrade_database(url)
    application = bootstrap.build(_settings(url))
    started = time.monotonic()
    loader.load(application.context("demo"))
    _add_awkward_rows(application.engine)
    print(f"\nsource: demo plant loaded in {time.monotonic() - started:.1f} s")
    yield application.engine
    application.engine.dispose()


def _add_awkward_rows(engine: sa.Engine) -> None:
    """Values that a careless copy would change: JSON null against SQL NULL, unicode,
    nested JSON, floats, keys whose order differs between collations, serial keys."""
    at = datetime(2026, 11, 25, 8, 30, 0, 123456, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(orm.auth_failures),
            [
                {"username": f"guess{i}", "kind": "login", "at": at + timedelta(seconds=i)}
                for i in range(3)
            ],
        )
        conn.execute(
            sa.insert(orm.sync_cursors),
            [
                {"source": "plm", "kind": kind, "cursor": f"{kind}-7", "updated_at": at}
                for kind in ("parts", "Parts", "_parts", "Ωparts", "parts-2", "parts_2")
            ],
        )
        conn.execute(
            sa.insert(orm.idempotency_keys),
            {
                "caller": "erp",
                "key": "K-⌀12,70",
                "fingerprint": "f" * 64,
                "status_code": 201,
                "body": {"b": [1, 0.1, None, {"z": "é", "a": True}], "a": "±0,05"},
                "created_at": at,
            },
        )
        conn.execute(
            sa.insert(orm.gate_decisions),
            {
                "id": str(uuid.uuid4()),
                "site_id": "",  # a decision about an unknown site
                "part_revision_id": None,
                "at": at,
                "kind": "shipment",
                "decision": "deny",
                "caller": "erp",
                "request": {"serials": ["SN1", "SN2"], "nested": {"deep": [[]]}},
                "reasons": [],
                "data_version": {"v": 12345678901234567890},
            },
        )


@pytest.fixture(scope="module")
def archive(source: sa.Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The source backed up once for the module."""
    path = tmp_path_factory.mktemp("archive") / "plant.zip"
    report = backups.backup(source, path)
    print(
        f"\nbackup: {report.rows} rows in {len(report.tables)} tables, "
        f"{report.size_bytes} bytes, {report.seconds:.2f} s"
    )
    assert report.audit_ok
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Fresh target databases of each kind (PostgreSQL when the test URL names it)."""
    if request.param == "postgresql" and POSTGRES is None:
        pytest.skip("FIRSTARTICLE_TEST_DATABASE_URL does not name PostgreSQL")
    made = Databases(request.param, tmp_path)
    yield made
    made.close()


def snapshot(engine: sa.Engine) -> dict[str, list[str]]:
    """Every table's canonical rows, in primary-key order."""
    with engine.connect() as conn:
        return {t.name: list(backups.canonical_lines(conn, t)) for t in orm.metadata.sorted_tables}


def domain_rows(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as the application reads them (Decimal, aware datetimes, sets)."""
    result = {}
    with engine.connect() as conn:
        for table in orm.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            rows = conn.execute(sa.select(table)).all()
            rows.sort(key=lambda row: tuple(str(row._mapping[k]) for k in keys))
            result[table.name] = [tuple(row) for row in rows]
    return result


def chain(engine: sa.Engine) -> Verdict:
    """``audit verify`` through the service, as an administrator runs it."""
    application = bootstrap.build(_settings(engine.url.render_as_string(hide_password=False)))
    try:
        return audit.verify_chain(application.context("auditor"))
    finally:
        application.engine.dispose()


def empty(engine: sa.Engine) -> bool:
    """Nothing but the seeded genesis head, as a fresh migration leaves it."""
    tables = snapshot(engine)
    head = tables.pop("audit_head")
    return not any(tables.values()) and head == [json.dumps([1, 0, GENESIS]).replace(" ", "")]


def tampered(
    archive: Path,
    out: Path,
    table: str,
    change: Callable[[list[Any]], None],
    recompute_hash: bool = False,
) -> Path:
    """A copy of ``archive`` with one row of ``table`` changed by ``change``."""
    member = f"tables/{table}.jsonl"
    with zipfile.ZipFile(archive) as original, zipfile.ZipFile(out, "w") as copy:
        lines = original.read(member).splitlines(keepends=True)
        row = json.loads(lines[len(lines) // 2])
        change(row)
        lines[len(lines) // 2] = (
            json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        )
        manifest = json.loads(original.read(backups.MANIFEST))
        if recompute_hash:
            entry = next(t for t in manifest["tables"] if t["name"] == table)
            entry["sha256"] = backups.table_sha256(orm.metadata.tables[table], lines)
        for name in original.namelist():
            if name == member:
                copy.writestr(name, b"".join(lines))
            elif name == backups.MANIFEST:
                copy.writestr(name, json.dumps(manifest))
            else:
                copy.writestr(name, original.read(name))
    return out


def test_a_restored_copy_has_every_row_of_every_table(source, archive, databases):
    """Backup, restore into a fresh database: every table's rows are equal, value for value."""
    target = databases.new()
    report = backups.restore(target, archive)
    print(
        f"\nrestore into {databases.kind}: {report.rows} rows in {len(report.tables)} tables, "
        f"{report.seconds:.2f} s"
    )
    assert snapshot(target) == snapshot(source)
    assert domain_rows(target) == domain_rows(source)
    assert report.rows == sum(len(rows) for rows in snapshot(source).values())
    assert len(report.tables) == len(orm.metadata.tables)


def test_the_restored_audit_chain_verifies_with_the_same_length_and_head(
    source, archive, databases
):
    """`audit verify` of the restored copy is ok, with the source's length and head hash."""
    target = databases.new()
    backups.restore(target, archive)
    before, after = chain(source), chain(target)
    print(f"\naudit chain: {after.length} entries verified on {databases.kind}")
    assert after.ok
    assert (after.length, after.head_hash) == (before.length, before.head_hash)
    assert after.length > 500


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
    archive, databases
):
    """One site in the target is enough to refuse; that site stays and nothing is added."""
    target = databases.new()
    with target.begin() as conn:
        conn.execute(
            sa.insert(orm.sites).values(id=str(uuid.uuid4()), code="X", name="X", timezone="UTC")
        )
    before = snapshot(target)
    with pytest.raises(backups.RestoreRefusedError, match=r"not empty: sites \(1\)"):
        backups.restore(target, archive)
    assert snapshot(target) == before


def test_a_second_restore_over_a_restored_copy_is_refused(archive, databases):
    """Restoring the same archive twice is refused the second time; the copy is unchanged."""
    target = databases.new()
    backups.restore(target, archive)
    before = snapshot(target)
    with pytest.raises(backups.RestoreRefusedError, match="not empty"):
        backups.restore(target, archive)
    assert snapshot(target) == before


def test_an_archive_with_one_changed_value_is_refused_and_leaves_the_target_empty(
    archive, databases, tmp_path
):
    """A measured value changed in the archive fails its table's hash; nothing is restored."""
    value = orm.inspection_results.c.keys().index("value")

    def change(row: list[Any]) -> None:
        row[value] = str(Decimal(row[value] or "0") + Decimal("0.001"))

    damaged = tampered(archive, tmp_path / "damaged.zip", "inspection_results", change)
    target = databases.new()
    with pytest.raises(backups.RestoreRefusedError, match="inspection_results does not match"):
        backups.restore(target, damaged)
    assert empty(target)


def test_an_audit_entry_changed_with_its_hash_recomputed_fails_the_chain_and_rolls_back(
    archive, databases, tmp_path
):
    """A forger who also fixes the table hash is stopped by the chain; nothing is restored."""
    actor = orm.audit_entries.c.keys().index("actor")

    def change(row: list[Any]) -> None:
        row[actor] = "someone.else"

    forged = tampered(archive, tmp_path / "forged.zip", "audit_entries", change, True)
    target = databases.new()
    with pytest.raises(backups.RestoreRefusedError, match="audit chain does not verify"):
        backups.restore(target, forged)
    assert empty(target)


def test_a_target_at_another_revision_or_not_migrated_is_refused(archive, databases):
    """The schema must be at the archive's revision; the message says how to get there."""
    older = databases.new(revision="0003")
    with pytest.raises(backups.RestoreRefusedError, match="at revision 0003"):
        backups.restore(older, archive)
    bare = databases.new(revision=None)
    with pytest.raises(backups.RestoreRefusedError, match=f"db upgrade {head_revision()}"):
        backups.restore(bare, archive)


def test_a_file_that_is_not_a_backup_is_refused(databases, tmp_path):
    """A text file, or a zip without a manifest, is not taken for a backup."""
    target = databases.new()
    text = tmp_path / "notes.zip"
    text.write_text("not a zip")
    with pytest.raises(backups.RestoreRefusedError, match="Not a firstarticle backup"):
        backups.restore(target, text)
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as other:
        other.writestr("readme.txt", "hello")
    with pytest.raises(backups.RestoreRefusedError, match="no manifest"):
        backups.restore(target, tmp_path / "other.zip")
    assert empty(target)


def _add_site(engine: sa.Engine, code: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(orm.sites).values(id=str(uuid.uuid4()), code=code, name=code, timezone="UTC")
        )


def test_a_write_committed_while_the_backup_runs_is_not_in_the_archive(
    databases, tmp_path, monkeypatch
):
    """The backup reads one snapshot: a site committed halfway through is in none of it."""
    db = databases.new()
    _add_site(db, "A")
    read_table = backups._TableCodec.lines
    interrupted: list[str] = []

    def lines_after_a_commit(codec: Any, conn: sa.Connection, batch: int) -> Iterator[bytes]:
        if not interrupted:  # the first table: another connection commits a site meanwhile
            interrupted.append(codec.name)
            _add_site(db, "B")
        yield from read_table(codec, conn, batch)

    monkeypatch.setattr(backups._TableCodec, "lines", lines_after_a_commit)
    report = backups.backup(db, tmp_path / "during.zip")
    assert interrupted
    assert "sites" not in interrupted
    assert {t.name: t.rows for t in report.tables}["sites"] == 1
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orm.sites)).scalar_one() == 2


def test_a_sqlite_backup_restores_into_postgresql_and_back(source, archive, tmp_path):
    """SQLite -> PostgreSQL -> SQLite keeps every row and the chain; PostgreSQL's serial
    keys carry on after the restored ones."""
    if POSTGRES is None:
        pytest.skip("FIRSTARTICLE_TEST_DATABASE_URL does not name PostgreSQL")
    postgres, sqlite = Databases("postgresql", tmp_path), Databases("sqlite", tmp_path)
    try:
        pg = postgres.new()
        there = backups.restore(pg, archive)
        assert snapshot(pg) == snapshot(source)
        second = tmp_path / "from-postgres.zip"
        back = backups.backup(pg, second)
        assert back.audit_ok
        assert [(t.name, t.rows, t.sha256) for t in back.tables] == [
            (t.name, t.rows, t.sha256) for t in there.tables
        ]
        copy = sqlite.new()
        home = backups.restore(copy, second)
        assert snapshot(copy) == snapshot(source)
        assert domain_rows(copy) == domain_rows(source)
        assert chain(copy).head_hash == chain(source).head_hash
        print(
            f"\nsqlite -> postgresql: {there.rows} rows, {there.seconds:.2f} s; "
            f"postgresql backup {back.seconds:.2f} s; postgresql -> sqlite {home.seconds:.2f} s"
        )
        with pg.begin() as conn:
            new_id = conn.execute(
                sa.insert(orm.auth_failures)
                .values(username="later", kind="login", at=datetime.now(UTC))
                .returning(orm.auth_failures.c.id)
            ).scalar_one()
            highest = conn.execute(
                sa.select(sa.func.max(orm.auth_failures.c.id)).where(
                    orm.auth_failures.c.id != new_id
                )
            ).scalar_one()
        assert new_id == highest + 1
    finally:
        postgres.close()
        sqlite.close()


def _cli(url: str, *args: str) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIRSTARTICLE_DATABASE_URL", url)
        mp.setenv("COLUMNS", "200")
        get_settings.cache_clear()
        cli.common.reset()
        try:
            return CliRunner().invoke(cli.app, list(args))
        finally:
            cli.common.reset()
            get_settings.cache_clear()


def test_the_cli_backs_up_restores_and_refuses_with_exit_1(source, tmp_path):
    """`db backup --out` and `db restore` work from the shell; a refusal exits 1 and says why."""
    path = tmp_path / "cli.zip"
    source_url = source.url.render_as_string(hide_password=False)
    made = _cli(source_url, "db", "backup", "--out", str(path))
    assert made.exit_code == 0, made.output
    assert f"rows in {len(orm.metadata.tables)} tables" in made.output
    assert _cli(source_url, "db", "backup", "--out", str(path)).exit_code == 2
    target = f"sqlite:///{tmp_path / 'cli-target.db'}"
    bootstrap.upgrade_database(target)
    restored = _cli(target, "db", "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert "audit chain ok" in restored.output
    again = _cli(target, "db", "restore", str(path))
    assert again.exit_code == 1
    assert "error (restore_refused): The target database is not empty" in again.output


def test_a_bare_sqlite_engine_is_refused_rather_than_read_table_by_table(tmp_path):
    """Without make_engine's BEGIN each table would be read at another moment: refused,
    and no archive is left behind."""
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    bootstrap.upgrade_database(url)
    bare = sa.create_engine(url)
    try:
        with pytest.raises(backups.BackupError, match="make_engine"):
            backups.backup(bare, tmp_path / "bare.zip")
    finally:
        bare.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.db"]

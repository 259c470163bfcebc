"""Portable logical backup and restore of every table, on SQLite and PostgreSQL alike (A7).

The archive is one zip file:

* ``tables/<name>.jsonl`` for every table of :data:`orm.metadata`, in dependency order: one
  JSON array per row, columns in table order, rows in primary-key order (byte order for
  text, so SQLite and PostgreSQL agree). Values are written so that they round-trip exactly
  and across databases: Decimal as its plain decimal string, timestamps as ISO 8601 UTC with
  microseconds, JSON columns as their canonical JSON text (sorted keys, compact; ``null``
  for SQL NULL, ``"null"`` for a stored JSON null), bytes as base64.
* ``manifest.json``: format and version, the Alembic revision of the source, the time of the
  backup (UTC), each table's columns, row count and SHA-256 of its canonical rows, and the
  head of the audit chain (length and head hash) as recorded in ``audit_head``.

The backup reads every table inside one snapshot (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite), streaming in batches. The restore refuses a database that is not at
the archive's revision or not empty, inserts everything in one transaction, then checks each
table's count and hash again as the target database gives the rows back, and verifies the
audit chain against the manifest: any difference rolls the whole restore back.

The hashes detect damage and careless edits, not a forger who recomputes them; the audit
chain's checkpoints kept outside the database (R6) are what detect a rewritten history.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, BinaryIO

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from firstarticle.audit.ledger import GENESIS, verify
from firstarticle.domain.errors import DomainError
from firstarticle.ports import Progress
from firstarticle.storage import orm
from firstarticle.storage.diagnostics import head_revision
from firstarticle.storage.repositories import SqlAuditLog
from firstarticle.storage.types import ExactDecimal, UtcDateTime

FORMAT = "firstarticle-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
MANIFEST_MAX_BYTES = 10 * 1024 * 1024


class BackupError(DomainError):
    """A backup cannot be written, or an archive is not a backup this version can read."""

    code = "backup_failed"


class RestoreRefusedError(BackupError):
    """The restore was refused or rolled back; the target database is as it was."""

    code = "restore_refused"


@dataclass(frozen=True)
class TableFigure:
    """One table of an archive: its row count and the SHA-256 of its canonical rows."""

    name: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote; ``audit_ok`` says whether the chain verified as it was read."""

    revision: str
    created_at: str
    tables: tuple[TableFigure, ...]
    audit_length: int
    audit_head_hash: str
    audit_ok: bool
    audit_problem: str | None
    seconds: float
    size_bytes: int | None

    @property
    def rows(self) -> int:
        """Rows over all tables."""
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True)
class RestoreReport:
    """What a restore inserted, all of it checked against the manifest."""

    revision: str
    created_at: str
    source_dialect: str
    tables: tuple[TableFigure, ...]
    audit_length: int
    audit_head_hash: str
    seconds: float

    @property
    def rows(self) -> int:
        """Rows over all tables."""
        return sum(t.rows for t in self.tables)


# --- columns and their portable encoding ----------------------------------------------------


def _kind(column: sa.Column[Any]) -> str:
    """How a column's values are written to the archive."""
    t = column.type
    if isinstance(t, ExactDecimal):
        return "decimal"
    if isinstance(t, UtcDateTime):
        return "datetime"
    if isinstance(t, sa.JSON) or (
        isinstance(t, TypeDecorator) and isinstance(t.impl_instance, sa.JSON)
    ):
        return "json"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.String):  # Text and (non-native) Enum included: their stored text
        return "text"
    if isinstance(t, sa.LargeBinary):
        return "bytes"
    if isinstance(t, sa.DateTime):
        raise BackupError(f"Column {column.table.name}.{column.name}: use UtcDateTime.")
    if isinstance(t, sa.Date):
        return "date"
    raise BackupError(
        f"Column {column.table.name}.{column.name} has type {t!r}, which the backup format "
        "does not know; teach storage/backup.py how to write it exactly."
    )


# The types the values are read and written through: the stored form, not the domain's.
_RAW_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "decimal": ExactDecimal,
    "datetime": UtcDateTime,
    "json": lambda: sa.JSON(none_as_null=True),
    "bool": sa.Boolean,
    "int": sa.BigInteger,
    "text": sa.Text,
    "bytes": sa.LargeBinary,
    "date": sa.Date,
}


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _encode(kind: str, value: Any) -> Any:
    """A stored value as it is written to the archive (and hashed)."""
    if value is None:
        return None
    if kind == "text" and isinstance(value, str):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "bool" and isinstance(value, bool | int):
        return bool(value)
    if kind == "decimal" and isinstance(value, Decimal):
        return format(value, "f")
    if kind == "datetime" and isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if kind == "json" and isinstance(value, str):
        return _canonical_json(json.loads(value))
    if kind == "bytes" and isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    raise BackupError(f"A {kind} column holds {type(value).__name__} {value!r}.")


_PLAIN: dict[str, type] = {"text": str, "int": int, "bool": bool}


def _decode(kind: str, value: Any) -> Any:
    """An archive value as the parameter that stores it again."""
    if value is None:
        return None
    plain = _PLAIN.get(kind)
    if plain is not None:
        if isinstance(value, plain) and (kind == "bool" or not isinstance(value, bool)):
            return value
    elif isinstance(value, str):
        if kind == "decimal":
            return Decimal(value)
        if kind == "datetime":
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError(f"timestamp without zone: {value}")
            return moment
        if kind == "json":
            parsed = json.loads(value)
            return sa.JSON.NULL if parsed is None else parsed
        if kind == "bytes":
            return base64.b64decode(value, validate=True)
        if kind == "date":
            return date.fromisoformat(value)
    raise ValueError(f"a {kind} column cannot take {value!r}")


class _TableCodec:
    """Reads and writes one table through its stored types, in a portable row order."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self.name = table.name
        self.columns = [c.name for c in table.columns]
        self.kinds = [_kind(c) for c in table.columns]
        self.raw = sa.Table(
            table.name,
            sa.MetaData(),
            *(
                sa.Column(c.name, _RAW_TYPES[kind](), primary_key=c.primary_key)
                for c, kind in zip(table.columns, self.kinds, strict=True)
            ),
        )

    def select(self, dialect: str) -> sa.Select[Any]:
        """Every row, JSON as its stored text, in primary-key (byte) order."""
        columns = [
            sa.cast(self.raw.c[name], sa.Text).label(name) if kind == "json" else self.raw.c[name]
            for name, kind in zip(self.columns, self.kinds, strict=True)
        ]
        keys = [c.name for c in self.table.primary_key.columns] or self.columns
        order: list[sa.ColumnElement[Any]] = []
        for name in keys:
            column = self.raw.c[name]
            text = self.kinds[self.columns.index(name)] == "text"
            order.append(sa.collate(column, "C") if text and dialect == "postgresql" else column)
        return sa.select(*columns).order_by(*order)

    def hasher(self) -> Any:
        header = _canonical_json({"table": self.name, "columns": self.columns, "kinds": self.kinds})
        return hashlib.sha256(header.encode("utf-8") + b"\n")

    def line(self, row: sa.Row[Any]) -> bytes:
        values = [_encode(kind, value) for kind, value in zip(self.kinds, row, strict=True)]
        return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"

    def params(self, line: bytes) -> dict[str, Any]:
        values = json.loads(line)
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise ValueError(f"a row of {self.name} does not have {len(self.columns)} values")
        return {
            name: _decode(kind, value)
            for name, kind, value in zip(self.columns, self.kinds, values, strict=True)
        }

    def lines(self, conn: sa.Connection, batch: int) -> Iterator[bytes]:
        """The table's canonical lines as the database gives them, fetched in batches."""
        statement = self.select(conn.dialect.name).execution_options(yield_per=batch)
        for row in conn.execute(statement):
            yield self.line(row)


def _codecs() -> list[_TableCodec]:
    return [_TableCodec(t) for t in orm.metadata.sorted_tables]


# --- database state -------------------------------------------------------------------------


def _revision(conn: sa.Connection) -> str | None:
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def code_revision() -> str:
    """The Alembic head this version of firstarticle maps."""
    head = head_revision()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise BackupError("No migrations found.")
    return head


@contextmanager
def _transaction(engine: sa.Engine, *, read_only: bool) -> Iterator[sa.Connection]:
    """One transaction: a snapshot for reading (REPEATABLE READ on PostgreSQL), or the
    all-or-nothing transaction of a restore; without the statement timeout of requests."""
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        if postgres:
            conn.execution_options(
                isolation_level="REPEATABLE READ" if read_only else "READ COMMITTED",
                postgresql_readonly=read_only,
            )
        with conn.begin():
            if postgres:
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            yield conn


def _check_sqlite_transaction(conn: sa.Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is None or not getattr(dbapi, "in_transaction", False):
        raise BackupError(
            "This SQLite engine does not open real transactions; build it with "
            "firstarticle.storage.db.make_engine so the backup reads one snapshot."
        )


def _audit_head(conn: sa.Connection) -> tuple[int, str] | None:
    h = orm.audit_head
    row = conn.execute(sa.select(h.c.position, h.c.entry_hash).where(h.c.id == 1)).one_or_none()
    return None if row is None else (int(row.position), str(row.entry_hash))


def _verify_chain(conn: sa.Connection) -> tuple[bool, int, str, str | None]:
    """The existing verifier over the stored entries, on this connection's transaction."""
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        verdict = verify(SqlAuditLog(session).stream())
    finally:
        session.close()
    problem = None
    if not verdict.ok:
        problem = f"entry {verdict.first_bad_position}: {verdict.problem}"
    return verdict.ok, verdict.length, verdict.head_hash, problem


# --- backup ---------------------------------------------------------------------------------


def backup(
    engine: sa.Engine,
    out: BinaryIO | Path | str,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> BackupReport:
    """Write every table to one archive, read from one consistent snapshot.

    A path is written beside itself first and renamed when complete, so a failed backup
    never leaves a truncated archive under the name. ``progress`` hears of each table.
    """
    if not isinstance(out, Path | str):
        return _write(engine, out, batch, progress or _silent)
    path = Path(out)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as handle:
            report = _write(engine, handle, batch, progress or _silent)
            handle.flush()
            os.fsync(handle.fileno())
        size = partial.stat().st_size
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return replace(report, size_bytes=size)


def _silent(stage: str, done: int, total: int) -> None:
    """The progress callback of a caller who does not watch."""


def _write(engine: sa.Engine, out: IO[bytes], batch: int, progress: Progress) -> BackupReport:
    started = time.monotonic()
    codecs = _codecs()
    figures: list[TableFigure] = []
    with _transaction(engine, read_only=True) as conn:
        revision = _revision(conn)
        _check_sqlite_transaction(conn)
        expected = code_revision()
        if revision != expected:
            raise BackupError(
                f"The database is at revision {revision or 'none'}, this firstarticle maps "
                f"{expected}; run 'firstarticle db upgrade' before the backup."
            )
        head = _audit_head(conn) or (0, GENESIS)
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, codec in enumerate(codecs):
                progress(codec.name, index, len(codecs))
                digest, rows = codec.hasher(), 0
                with archive.open(f"tables/{codec.name}.jsonl", "w", force_zip64=True) as member:
                    chunk: list[bytes] = []
                    for line in codec.lines(conn, batch):
                        digest.update(line)
                        chunk.append(line)
                        rows += 1
                        if len(chunk) >= batch:
                            member.write(b"".join(chunk))
                            chunk.clear()
                    member.write(b"".join(chunk))
                figures.append(TableFigure(codec.name, rows, digest.hexdigest()))
            progress("verifying the audit chain", len(codecs), len(codecs))
            ok, length, head_hash, problem = _verify_chain(conn)
            if ok and (length, head_hash) != head:
                ok, problem = (
                    False,
                    (
                        f"the chain has {length} entries ending {head_hash}, but audit_head "
                        f"records {head[0]} ending {head[1]}"
                    ),
                )
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "alembic_revision": revision,
                "created_at": created_at,
                "source_dialect": conn.dialect.name,
                "tables": [
                    {
                        "name": codec.name,
                        "columns": codec.columns,
                        "kinds": codec.kinds,
                        "rows": figure.rows,
                        "sha256": figure.sha256,
                    }
                    for codec, figure in zip(codecs, figures, strict=True)
                ],
                "audit": {"length": head[0], "head_hash": head[1], "verified": ok},
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
    return BackupReport(
        revision=revision,
        created_at=created_at,
        tables=tuple(figures),
        audit_length=head[0],
        audit_head_hash=head[1],
        audit_ok=ok,
        audit_problem=problem,
        seconds=time.monotonic() - started,
        size_bytes=None,
    )


# --- restore --------------------------------------------------------------------------------


def read_manifest(archive: BinaryIO | Path | str) -> dict[str, Any]:
    """The manifest of an archive, checked against the tables this version maps."""
    with _open(archive) as zf:
        return _manifest(zf, _codecs())


@contextmanager
def _open(archive: BinaryIO | Path | str) -> Iterator[zipfile.ZipFile]:
    try:
        with zipfile.ZipFile(archive) as zf:
            yield zf
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise RestoreRefusedError(f"Not a firstarticle backup: {error}.") from None


def _manifest(zf: zipfile.ZipFile, codecs: list[_TableCodec]) -> dict[str, Any]:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise RestoreRefusedError("Not a firstarticle backup: it has no manifest.") from None
    if info.file_size > MANIFEST_MAX_BYTES:
        raise RestoreRefusedError("The archive's manifest is implausibly large.")
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except ValueError as error:
        raise RestoreRefusedError(f"The archive's manifest is not JSON ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreRefusedError("Not a firstarticle backup (the manifest names no format).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RestoreRefusedError(
            f"Backup format version {manifest.get('format_version')} is not one this "
            f"firstarticle reads ({FORMAT_VERSION})."
        )
    if not isinstance(manifest.get("alembic_revision"), str):
        raise RestoreRefusedError("The archive's manifest names no schema revision.")
    tables = manifest.get("tables")
    wanted = [(c.name, c.columns, c.kinds) for c in codecs]
    found = [
        (t.get("name"), t.get("columns"), t.get("kinds"))
        for t in tables or []
        if isinstance(t, dict)
    ]
    if found != wanted:
        raise RestoreRefusedError(
            "The archive's tables and columns differ from the ones this firstarticle maps "
            f"(archive revision {manifest.get('alembic_revision')}, code {code_revision()})."
        )
    audit = manifest.get("audit")
    if not (isinstance(audit, dict) and isinstance(audit.get("length"), int)):
        raise RestoreRefusedError("The archive's manifest has no audit chain head.")
    return manifest


def restore(
    engine: sa.Engine,
    archive: BinaryIO | Path | str,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> RestoreReport:
    """Load an archive into an empty database at the archive's revision, all or nothing.

    ``progress`` hears of the rows loaded, then of each table read back and checked.
    """
    started = time.monotonic()
    codecs = _codecs()
    with _open(archive) as zf:
        manifest = _manifest(zf, codecs)
        try:
            with _transaction(engine, read_only=False) as conn:
                _check_target(conn, manifest["alembic_revision"])
                figures = _load(conn, zf, codecs, manifest, batch, progress or _silent)
                _check_loaded(conn, codecs, manifest, batch, progress or _silent)
        except sa.exc.DBAPIError as error:
            raise RestoreRefusedError(
                f"The database refused the archive's rows ({error.orig}); nothing was restored."
            ) from None
    audit = manifest["audit"]
    return RestoreReport(
        revision=manifest["alembic_revision"],
        created_at=str(manifest.get("created_at")),
        source_dialect=str(manifest.get("source_dialect")),
        tables=tuple(figures),
        audit_length=int(audit["length"]),
        audit_head_hash=str(audit["head_hash"]),
        seconds=time.monotonic() - started,
    )


def _check_target(conn: sa.Connection, wanted: str) -> None:
    revision = _revision(conn)
    if revision != wanted:
        raise RestoreRefusedError(
            f"The target database is at revision {revision or 'none (not migrated)'}, the "
            f"archive at {wanted}; restore into a fresh database after "
            f"'firstarticle db upgrade {wanted}'."
        )
    h = orm.audit_head
    if conn.dialect.name == "postgresql":
        # Appenders lock the head too: no audited write can slip in during the restore.
        conn.execute(sa.select(h.c.id).with_for_update())
    occupied = []
    for table in orm.metadata.sorted_tables:
        count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if table is h:
            if count == 1 and _audit_head(conn) == (0, GENESIS):
                continue
            if count == 0:
                continue
        if count:
            occupied.append(f"{table.name} ({count})")
    if occupied:
        raise RestoreRefusedError(
            "The target database is not empty: "
            + ", ".join(occupied)
            + "; restore only into a freshly migrated database."
        )


def _load(
    conn: sa.Connection,
    zf: zipfile.ZipFile,
    codecs: list[_TableCodec],
    manifest: dict[str, Any],
    batch: int,
    progress: Progress,
) -> list[TableFigure]:
    figures = []
    total = sum(int(entry["rows"]) for entry in manifest["tables"])
    loaded = 0
    for codec, entry in zip(codecs, manifest["tables"], strict=True):
        progress(codec.name, loaded, total)
        digest, rows = codec.hasher(), 0
        member_name = f"tables/{codec.name}.jsonl"
        try:
            member = zf.open(member_name)
        except KeyError:
            raise RestoreRefusedError(f"The archive has no {member_name}.") from None
        with member:
            chunk: list[dict[str, Any]] = []
            for line in member:
                digest.update(line)
                rows += 1
                try:
                    chunk.append(codec.params(line))
                except (ValueError, TypeError, InvalidOperation) as error:
                    raise RestoreRefusedError(
                        f"Row {rows} of {codec.name} in the archive is damaged ({error})."
                    ) from None
                if len(chunk) >= batch:
                    _insert(conn, codec, chunk)
                    chunk.clear()
                    progress(codec.name, loaded + rows, total)
            _insert(conn, codec, chunk)
        loaded += rows
        figure = TableFigure(codec.name, rows, digest.hexdigest())
        if (figure.rows, figure.sha256) != (entry.get("rows"), entry.get("sha256")):
            raise RestoreRefusedError(
                f"The archive's {codec.name} does not match its manifest ({figure.rows} rows, "
                f"sha256 {figure.sha256[:12]}…, manifest {entry.get('rows')} rows, "
                f"{str(entry.get('sha256'))[:12]}…); it was changed or damaged."
            )
        figures.append(figure)
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn)
    return figures


def _insert(conn: sa.Connection, codec: _TableCodec, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if codec.table is orm.audit_head:
        # Migration 0002 seeds the head's row: take it over instead of inserting a second.
        raw = codec.raw
        for row in rows:
            values = {k: v for k, v in row.items() if k != "id"}
            done = conn.execute(sa.update(raw).where(raw.c.id == row["id"]).values(**values))
            if done.rowcount == 0:
                conn.execute(sa.insert(raw).values(**row))
        return
    conn.execute(sa.insert(codec.raw), rows)


def _reset_sequences(conn: sa.Connection) -> None:
    """Move each serial column's sequence past the restored keys (auth_failures.id)."""
    quote = conn.dialect.identifier_preparer
    for table in orm.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        name, key = quote.format_table(table), quote.quote(column.name)
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT MAX({key}) FROM {name}), 0) + 1, false)"
            ),
            {"table": name, "column": column.name},
        )


def _check_loaded(
    conn: sa.Connection,
    codecs: list[_TableCodec],
    manifest: dict[str, Any],
    batch: int,
    progress: Progress,
) -> None:
    """Read everything back from the target and hold it against the manifest."""
    for index, (codec, entry) in enumerate(zip(codecs, manifest["tables"], strict=True)):
        progress(f"checking {codec.name}", index, len(codecs))
        digest, rows = codec.hasher(), 0
        for line in codec.lines(conn, batch):
            digest.update(line)
            rows += 1
        if (rows, digest.hexdigest()) != (entry["rows"], entry["sha256"]):
            raise RestoreRefusedError(
                f"{codec.name} reads back differently from the archive ({rows} rows, manifest "
                f"{entry['rows']}); the database did not store the values exactly."
            )
    audit = manifest["audit"]
    wanted = (int(audit["length"]), str(audit["head_hash"]))
    ok, length, head_hash, problem = _verify_chain(conn)
    if not ok:
        raise RestoreRefusedError(f"The restored audit chain does not verify: {problem}.")
    if (length, head_hash) != wanted or _audit_head(conn) != wanted:
        raise RestoreRefusedError(
            f"The restored audit chain ends at {length} ({head_hash}), the manifest records "
            f"{wanted[0]} ({wanted[1]})."
        )


def table_sha256(table: sa.Table, lines: Iterable[bytes]) -> str:
    """The SHA-256 a manifest records for a table: its header, then its lines as archived."""
    digest = _TableCodec(table).hasher()
    for line in lines:
        digest.update(line)
    return str(digest.hexdigest())


def canonical_lines(conn: sa.Connection, table: sa.Table, batch: int = BATCH) -> Iterator[str]:
    """A table's rows as the archive writes and hashes them, in the archive's order."""
    for line in _TableCodec(table).lines(conn, batch):
        yield line.decode("utf-8").rstrip("\n")

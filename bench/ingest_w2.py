"""W2: ingest inspection results through the service path (parse, validate, provenance,
audit) against raw PostgreSQL COPY of the same rows into a scratch table, in the same run.

Two files: a generic CSV of ``rows`` results (200,000 by default; ``python -m bench w2
1000000`` for the million of PERFORMANCE.md) and a QIF 3.0 Results file of about ``qif_mb``
megabytes written by firstarticle's own QIF exporter. The QIF ingest runs in a fresh
interpreter twice: once timed, with its peak RSS, once under tracemalloc for the peak of
Python allocations; a second, smaller QIF file shows how memory grows with file size.

On SQLite there is no COPY: the baseline is ``executemany`` of the same rows into a scratch
table, and the output says so.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.common import database_url, fresh_application, save
from firstarticle import bootstrap
from firstarticle.domain import model
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.model import new_ids
from firstarticle.integrations.inspection.qif_export import (
    ExportActual,
    ExportCharacteristic,
    ExportHeader,
    write_qif_results,
)
from firstarticle.ports import ResultRow
from firstarticle.services import ServiceContext, catalog, first_articles, orders
from firstarticle.services.catalog import CharacteristicSpec
from firstarticle.services.result_import import import_results
from firstarticle.storage import orm
from firstarticle.storage.result_imports import SqlResultImportStore

CHARACTERISTICS = 1_000
MEASURED_AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SCRATCH = "w2_copy_baseline"
# The same seven fields of a result that the CSV carries, for both baselines.
SCRATCH_DDL = (
    f"CREATE TABLE {SCRATCH} (balloon varchar(32), serial varchar(64), value {{numeric}}, "
    "units varchar(32), measured_at {time}, operator varchar(100), device varchar(200))"
)


# --- the plant -------------------------------------------------------------------------------


def build_fai(ctx: ServiceContext, tag: str, serials: int, part: model.Part | None) -> tuple:
    """A part (once) with CHARACTERISTICS balloons, a work order of ``serials``, an FAI."""
    if part is None:
        site = catalog.create_site(ctx, code="W2", name="Bench W2")
        part = catalog.create_part(ctx, number="W2-1000", name="Bench bracket")
        revision = catalog.add_revision(
            ctx, part.id, revision="A", drawings=[catalog.DrawingSpec("W2-1000", "A")]
        )
        catalog.add_characteristics(
            ctx,
            revision.id,
            "W2-1000",
            [
                CharacteristicSpec(
                    str(i),
                    model.CharacteristicType.DIMENSIONAL,
                    nominal=Decimal(i) / 10,
                    upper_tolerance=Decimal("0.05"),
                    lower_tolerance=Decimal("-0.05"),
                    units="mm",
                    sheet="1",
                    zone="A1",
                )
                for i in range(1, CHARACTERISTICS + 1)
            ],
        )
        part = catalog.get_part(ctx, part.id)
    site = catalog.site_by_code(ctx, "W2")
    revision = part.revisions[0]
    numbers = [f"{tag}{n:06d}" for n in range(serials)]
    work_order = orders.create_work_order(
        ctx,
        site_id=site.id,
        number=f"WO-{tag}",
        part_revision_id=revision.id,
        quantity=serials,
        serial_numbers=numbers,
    )
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="bench",
        serial_numbers=numbers,
    ).fai
    first_articles.transition(ctx, fai.id, FaiAction.START)
    return part, fai.id, numbers


def rows_for(serials: list[str], seed: int) -> Iterator[tuple[str, str, Decimal, datetime]]:
    """(balloon, serial, value, measured_at) for every characteristic of every serial."""
    rng = random.Random(seed)
    for k, serial in enumerate(serials):
        when = MEASURED_AT + timedelta(minutes=k)
        for i in range(1, CHARACTERISTICS + 1):
            value = Decimal(i) / 10 + Decimal(rng.randrange(-60_000, 60_001)) / 1_000_000
            yield str(i), serial, value, when


def write_csv(path: Path, serials: list[str]) -> int:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["balloon", "serial_number", "value", "units", "measured_at", "operator", "device"]
        )
        n = 0
        for balloon, serial, value, when in rows_for(serials, 1):
            writer.writerow([balloon, serial, value, "mm", when.isoformat(), "op.w2", "CMM-W2"])
            n += 1
    return n


def write_qif(path: Path, serials: list[str], fair: str) -> int:
    header = ExportHeader(
        report_number=fair,
        part_number="W2-1000",
        part_name="Bench bracket",
        part_revision="A",
        inspection_scope="DETAIL",
        inspection_mode="FAI_Full",
        drawings=(("W2-1000", "A"),),
        created_at=MEASURED_AT,
    )
    characteristics = [
        ExportCharacteristic(
            str(i),
            str(i),
            f"{Decimal(i) / 10} ±0.05 mm",
            Decimal(i) / 10,
            Decimal(i) / 10 - Decimal("0.05"),
            Decimal(i) / 10 + Decimal("0.05"),
            "mm",
            "1",
            "A1",
        )
        for i in range(1, CHARACTERISTICS + 1)
    ]

    def per_serial() -> Iterator[tuple[str | None, list[ExportActual]]]:
        block: list[ExportActual] = []
        current = None
        for balloon, serial, value, when in rows_for(serials, 2):
            if serial != current and block:
                yield current, block
                block = []
            current = serial
            block.append(ExportActual(balloon, value, None, True, None, when, "CMM-W2"))
        if block:
            yield current, block

    with path.open("wb") as handle:
        write_qif_results(
            handle,
            header,
            characteristics,
            per_serial(),
            serial_count=len(serials),
            result_count=len(serials) * CHARACTERISTICS,
            devices=["CMM-W2"],
        )
    return len(serials) * CHARACTERISTICS


# --- baselines -------------------------------------------------------------------------------


def scratch(engine: sa.Engine) -> None:
    postgres = engine.dialect.name == "postgresql"
    ddl = SCRATCH_DDL.format(
        numeric="numeric" if postgres else "text", time="timestamptz" if postgres else "text"
    )
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {SCRATCH}"))
        conn.execute(sa.text(ddl))


def baseline_csv(engine: sa.Engine, path: Path) -> float:
    """Seconds to load the CSV's rows into the scratch table: COPY, or executemany on SQLite."""
    scratch(engine)
    start = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            driver = conn.connection.driver_connection
            assert driver is not None
            statement = f"COPY {SCRATCH} FROM STDIN (FORMAT csv, HEADER true)"
            with (
                driver.cursor() as cursor,
                path.open("rb") as handle,
                cursor.copy(statement) as copy,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        else:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                next(reader)
                conn.exec_driver_sql(
                    f"INSERT INTO {SCRATCH} VALUES (?, ?, ?, ?, ?, ?, ?)", list(map(tuple, reader))
                )
    return time.perf_counter() - start


def final_rows(engine: sa.Engine, fai_id: str, serials: list[str], seed: int) -> list[ResultRow]:
    """The rows the service stores for the file of ``serials`` and ``seed`` (new ids)."""
    units = orm.scope_units
    with engine.connect() as conn:
        site_id = conn.execute(
            sa.select(orm.first_articles.c.site_id).where(orm.first_articles.c.id == fai_id)
        ).scalar_one()
        fai = conn.execute(
            sa.select(orm.first_articles.c.part_revision_id).where(
                orm.first_articles.c.id == fai_id
            )
        ).scalar_one()
        chars = dict(
            conn.execute(
                sa.select(orm.characteristics.c.balloon, orm.characteristics.c.id)
                .join(orm.drawings, orm.drawings.c.id == orm.characteristics.c.drawing_id)
                .where(orm.drawings.c.part_revision_id == fai)
            ).all()
        )
        serial_ids = dict(
            conn.execute(
                sa.select(units.c.serial_number, units.c.serial_id).where(
                    units.c.first_article_id == fai_id
                )
            ).all()
        )
    now = datetime.now(UTC)
    ids = new_ids(len(serials) * CHARACTERISTICS)
    rows = [
        ResultRow(
            site_id,
            ids[k],
            fai_id,
            chars[b],
            serial_ids[s],
            v,
            "mm",
            None,
            "file_import",
            f"ceiling; row {k}",
            "op.w2",
            "CMM-W2",
            w,
            "bench",
            now,
        )
        for k, (b, s, v, w) in enumerate(rows_for(serials, seed))
    ]
    return rows


def _copy_text(rows: list[ResultRow]) -> bytes:
    """The rows in COPY's text format (tab-separated, \\N for NULL), as a client sends them."""

    def cell(value: object) -> str:
        if value is None:
            return "\\N"
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    return "".join("\t".join(map(cell, row)) + "\n" for row in rows).encode()


def raw_table_copy(engine: sa.Engine, rows: list[ResultRow]) -> float:
    """PERFORMANCE.md's W2 baseline: seconds of a raw COPY of the same rows, already in COPY's
    text format, into inspection_results itself, with its keys, indexes and foreign keys
    (executemany on SQLite, which has no COPY); rolled back afterwards."""
    with engine.connect() as conn, conn.begin() as transaction:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            data = _copy_text(rows)
            driver = conn.connection.driver_connection
            assert driver is not None
            statement = f"COPY inspection_results ({', '.join(ResultRow._fields)}) FROM STDIN"
            start = time.perf_counter()
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for at in range(0, len(data), 1 << 20):
                    copy.write(data[at : at + (1 << 20)])
        else:
            start = time.perf_counter()
            SqlResultImportStore(Session(bind=conn)).add_results(rows)
        elapsed = time.perf_counter() - start
        transaction.rollback()
    return elapsed


def table_ceiling(engine: sa.Engine, fai_id: str, serials: list[str], seed: int) -> float:
    """Seconds of the service's own writer (COPY row by row through psycopg, executemany on
    SQLite) for the final rows; rolled back. Tells how much of the service's time is the
    table's own."""
    rows = final_rows(engine, fai_id, serials, seed)
    with engine.connect() as conn, conn.begin() as transaction:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        session = Session(bind=conn)
        start = time.perf_counter()
        SqlResultImportStore(session).add_results(rows)
        elapsed = time.perf_counter() - start
        transaction.rollback()
    return elapsed


def audit_cost(app: bootstrap.Application, fai_id: str, n: int = 2_000) -> float:
    """Seconds per audit entry appended (what a per-result entry would cost), rolled back."""
    ctx = app.context("bench")
    with ctx.uow_factory() as uow:
        start = time.perf_counter()
        for k in range(n):
            uow.audit.append(
                Event(
                    "result.recorded",
                    "first_article",
                    fai_id,
                    None,
                    "bench",
                    MEASURED_AT,
                    {"result": (None, f"r{k}")},
                ),
                None,
            )
        elapsed = time.perf_counter() - start
        uow.rollback()
    return elapsed / n


# --- the QIF ingest in a fresh interpreter ------------------------------------------------------

_CHILD = """
import json, sys, time, tracemalloc
from firstarticle import bootstrap
from firstarticle.config import Settings
from firstarticle.services.result_import import import_results


def status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


url, fai_id, path, traced = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
app = bootstrap.build(Settings(database_url=url))
ctx = app.context("bench")
from firstarticle.integrations.inspection import qif_rows  # warm imports and the schema
qif_rows._structural_schema()
# ru_maxrss would carry the parent's size across fork and exec; VmHWM starts afresh at exec.
before = status_kb("VmRSS")
before_hwm = status_kb("VmHWM")
if traced:
    tracemalloc.start()
start = time.perf_counter()
report = import_results(ctx, fai_id, path)
elapsed = time.perf_counter() - start
traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
print(json.dumps({"seconds": elapsed, "recorded": report.results_recorded,
                  "status": report.status, "rss_before_kb": before,
                  "rss_peak_kb": status_kb("VmHWM"), "hwm_before_kb": before_hwm,
                  "tracemalloc_peak": traced_peak, "notes": report.notes}))
"""


def ingest_child(url: str, fai_id: str, path: Path, traced: bool) -> dict[str, Any]:
    """Import ``path`` into the FAI in a fresh interpreter: time, RSS and tracemalloc peak."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url, fai_id, str(path), "1" if traced else "0"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"ingest failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the run ----------------------------------------------------------------------------------


def run(rows: int = 200_000, qif_mb: int = 50) -> dict[str, Any]:
    """Build the plant, ingest both files, compare with the baselines; print and save."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(Path(tmp) / "w2.db")
        app = fresh_application(url)
        engine = app.engine
        database = engine.dialect.name
        figures["database"] = database
        baseline_name = (
            "raw COPY into inspection_results with its indexes"
            if database == "postgresql"
            else "executemany into inspection_results (SQLite has no COPY)"
        )
        ctx = app.context("bench")
        serial_count = max(1, rows // CHARACTERISTICS)
        part, fai_csv, csv_serials = build_fai(ctx, "C", serial_count, None)

        csv_path = Path(tmp) / "results.csv"
        n_csv = write_csv(csv_path, csv_serials)
        start = time.perf_counter()
        report = import_results(ctx, fai_csv, csv_path)
        service_s = time.perf_counter() - start
        assert report.status == "imported", report.refused[:3]
        assert report.results_recorded == n_csv
        scratch_s = baseline_csv(engine, csv_path)
        base_s = raw_table_copy(engine, final_rows(engine, fai_csv, csv_serials, 1))
        ceiling_s = table_ceiling(engine, fai_csv, csv_serials, 1)
        figures["csv"] = {
            "rows": n_csv,
            "file_mb": csv_path.stat().st_size / 1e6,
            "service_s": service_s,
            "service_rows_per_s": n_csv / service_s,
            "baseline": baseline_name,
            "baseline_s": base_s,
            "baseline_rows_per_s": n_csv / base_s,
            "ratio": (n_csv / service_s) / (n_csv / base_s),
            "scratch_copy_rows_per_s": n_csv / scratch_s,
            "table_ceiling_s": ceiling_s,
            "table_ceiling_rows_per_s": n_csv / ceiling_s,
            "share_of_table_ceiling": ceiling_s / service_s,
        }
        print(
            f"W2 CSV {n_csv:,} rows ({figures['csv']['file_mb']:.0f} MB) on {database}: service "
            f"{service_s:.1f} s = {n_csv / service_s:,.0f} rows/s; {baseline_name} "
            f"{base_s:.2f} s = {n_csv / base_s:,.0f} rows/s; ratio "
            f"{figures['csv']['ratio']:.3f} (goal >= 0.3)"
        )
        print(
            f"W2 CSV the same {n_csv:,} final rows through the service's own writer: "
            f"{n_csv / ceiling_s:,.0f} rows/s (the service reaches {ceiling_s / service_s:.2f} "
            f"of it); the file's 7 columns copied raw into an unindexed scratch table: "
            f"{n_csv / scratch_s:,.0f} rows/s"
        )
        # The same number of rows again, for another FAI, in a fresh interpreter: memory.
        _, fai_memory, memory_serials = build_fai(ctx, "M", serial_count, part)
        memory_path = Path(tmp) / "results_memory.csv"
        write_csv(memory_path, memory_serials)
        memory = ingest_child(url, fai_memory, memory_path, traced=False)
        figures["csv"]["rss_before_mb"] = memory["rss_before_kb"] / 1024
        figures["csv"]["rss_peak_mb"] = memory["rss_peak_kb"] / 1024
        print(
            f"W2 CSV memory of the import in a fresh interpreter: RSS "
            f"{memory['rss_before_kb'] / 1024:.0f} MB before, peak "
            f"{memory['rss_peak_kb'] / 1024:.0f} MB"
        )
        per_entry = audit_cost(app, fai_csv)
        figures["audit_entry_s"] = per_entry
        print(
            f"W2 one audit entry per result would add {per_entry * 1e6:.0f} µs a result "
            f"({per_entry * n_csv:.0f} s for {n_csv:,}); the import writes one entry per file"
        )

        # QIF: results per serial = CHARACTERISTICS; about 330 bytes a measurement.
        per_serial_bytes = CHARACTERISTICS * 330
        big_serials = max(1, qif_mb * 1_000_000 // per_serial_bytes)
        small_serials = max(1, big_serials // 4)
        qif: dict[str, Any] = {}
        for label, count in (("small", small_serials), ("large", big_serials)):
            _, fai_timed, serials = build_fai(ctx, f"Q{label[0].upper()}T", count, part)
            _, fai_traced, traced_serials = build_fai(ctx, f"Q{label[0].upper()}M", count, part)
            path = Path(tmp) / f"results_{label}.qif"
            n = write_qif(path, serials, "FAIR-W2")
            # The traced FAI gets the same file but for its own serials.
            traced_path = Path(tmp) / f"results_{label}_traced.qif"
            write_qif(traced_path, traced_serials, "FAIR-W2")
            timed = ingest_child(url, fai_timed, path, traced=False)
            traced = ingest_child(url, fai_traced, traced_path, traced=True)
            assert timed["recorded"] == n, timed
            base = raw_table_copy(engine, final_rows(engine, fai_timed, serials, 2))
            qif[label] = {
                "rows": n,
                "file_mb": path.stat().st_size / 1e6,
                "service_s": timed["seconds"],
                "service_rows_per_s": n / timed["seconds"],
                "baseline": baseline_name,
                "baseline_s": base,
                "baseline_rows_per_s": n / base,
                "ratio": (n / timed["seconds"]) / (n / base),
                "rss_before_mb": timed["rss_before_kb"] / 1024,
                "rss_peak_mb": timed["rss_peak_kb"] / 1024,
                "rss_growth_mb": (timed["rss_peak_kb"] - timed["rss_before_kb"]) / 1024,
                "peak_rss_before_import_mb": timed["hwm_before_kb"] / 1024,
                "tracemalloc_peak_mb": traced["tracemalloc_peak"] / 1e6,
                "validation": timed["notes"][0] if timed["notes"] else None,
            }
            q = qif[label]
            print(
                f"W2 QIF {q['file_mb']:.1f} MB, {n:,} results on {database}: service "
                f"{q['service_s']:.1f} s = {q['service_rows_per_s']:,.0f} rows/s; "
                f"{baseline_name} {base:.2f} s = {n / base:,.0f} rows/s; ratio {q['ratio']:.3f}; "
                f"RSS {q['rss_before_mb']:.0f} MB before, peak {q['rss_peak_mb']:.0f} MB "
                f"(+{q['rss_growth_mb']:.0f} MB during the import), tracemalloc peak "
                f"{q['tracemalloc_peak_mb']:.0f} MB"
            )
        figures["qif"] = qif
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {SCRATCH}"))
        engine.dispose()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures["bench_process_rss_peak_mb"] = rss
    save(f"w2_ingest_{figures['database']}", figures)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)

"""Operating the installation: serve, doctor, schema, backups, the demo, sync and drop folders."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from firstarticle import bootstrap
from firstarticle.cli.common import (
    application,
    command,
    ctx,
    err,
    out,
    print_json,
    progress,
    refused,
    safe_url,
    usage_error,
)
from firstarticle.config import get_settings
from firstarticle.domain.mirror import SourceSystem
from firstarticle.domain.operations import healthy
from firstarticle.logs import logging_config
from firstarticle.services import (
    catalog,
)

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo plant.", no_args_is_help=True)


def serve(
    demo: Annotated[
        bool, typer.Option(help="Load the demo plant if the database is empty.")
    ] = False,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (2 x cores is a good start).")
    ] = 1,
) -> None:
    """Upgrade the database and serve the HTTP API (and the demo plant with --demo)."""
    import logging.config
    import tempfile

    import uvicorn

    settings = get_settings()
    log_config = logging_config(settings.log_format, settings.log_level)
    logging.config.dictConfig(log_config)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        err.print("[yellow]warning[/yellow]: several workers on SQLite serialise every write")
    bootstrap.upgrade_database(settings.database_url)
    if demo or settings.demo:
        _load_demo(only_if_empty=True)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its counters there; /metrics adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="firstarticle-metrics-")
    if settings.audit_checkpoint_file:
        from firstarticle.cli.checkpoints import CheckpointSchedule

        CheckpointSchedule(
            lambda: application().context("audit-checkpoints"),
            Path(settings.audit_checkpoint_file),
            settings.audit_checkpoint_minutes * 60,
        ).start()
    if settings.outbox_worker:
        from firstarticle.cli.notifications import WorkerThread

        WorkerThread(application().context("outbox-worker")).start()
    out.print(
        f"firstarticle on http://{host}:{port} with {workers} worker(s) "
        f"(database: {safe_url(settings)})"
    )
    uvicorn.run(
        "firstarticle.api.served:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        proxy_headers=True,
        server_header=False,
    )


@command
def doctor(
    skip_audit: Annotated[
        bool, typer.Option("--skip-audit", help="Do not verify the audit chain (large ledgers).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check the installation for a validation engineer; exit 1 on a dangerous setting."""
    checks = application().doctor(verify_audit=not skip_audit)
    if as_json:
        print_json([{"id": c.id, "status": str(c.status), "detail": c.detail} for c in checks])
    else:
        table = Table("check", "status", "detail", title="firstarticle doctor")
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}
        for c in checks:
            table.add_row(c.id, Text(c.status, colour[c.status]), c.detail)
        out.print(table)
    if not healthy(checks):
        failed = ", ".join(c.id for c in checks if c.status == "fail")
        refused("error", f"(installation_unsound) {failed}")


@db_app.command("upgrade")
@command
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Bring the database schema up to date (safe to repeat)."""
    settings = get_settings()
    bootstrap.upgrade_database(settings.database_url, revision)
    out.print(f"database at {revision}: {safe_url(settings)}")


@db_app.command("backup")
@command
def db_backup(
    out_file: Annotated[Path, typer.Option("--out", help="The archive to write (a zip file).")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write every table and the audit chain's head to one archive, from one snapshot.

    The archive restores on SQLite or PostgreSQL alike; exits 1 if the audit chain does not
    verify (the archive is still written, for the investigation).
    """
    if out_file.exists() and not overwrite:
        usage_error(f"{out_file} exists; pass --overwrite to replace it")
    with progress("backup") as step:
        report = application().backup(out_file, step)
    out.print(
        f"backup {out_file}: {report.rows} rows in {len(report.tables)} tables, "
        f"audit chain {report.audit_length} entries (head {report.audit_head_hash}), "
        f"revision {report.revision}, {report.size_bytes} bytes, {report.seconds:.2f} s",
        highlight=False,
    )
    if not report.audit_ok:
        refused(
            "audit chain broken",
            f"{report.audit_problem}; a restore of this archive will be refused until the "
            "chain is repaired",
        )


@db_app.command("restore")
@command
def db_restore(
    archive: Annotated[
        Path, typer.Argument(help="An archive written by 'db backup'.", exists=True, dir_okay=False)
    ],
) -> None:
    """Restore an archive into an empty database at the archive's schema revision.

    All or nothing: every table's count and hash and the audit chain are checked against
    the archive before the restore commits.
    """
    with progress("restore") as step:
        report = application().restore(archive, step)
    out.print(
        f"restored {archive}: {report.rows} rows in {len(report.tables)} tables from a "
        f"{report.source_dialect} backup of {report.created_at}, audit chain ok "
        f"({report.audit_length} entries, head {report.audit_head_hash}), "
        f"{report.seconds:.2f} s",
        highlight=False,
    )


@demo_app.command("load")
@command
def demo_load() -> None:
    """Load the demo plant (two sites, customers, parts, FAIs in every status)."""
    bootstrap.upgrade_database(get_settings().database_url)
    _load_demo(only_if_empty=False)


def _load_demo(only_if_empty: bool) -> None:
    from firstarticle.demo import loader

    context = ctx()
    if only_if_empty and catalog.list_sites(context, 1, 0).total:
        out.print("demo: the database already holds data; nothing loaded")
        return
    with progress("demo plant") as step:
        summary = loader.load(application().context("demo-loader"), progress=step)
    out.print(f"demo plant loaded: {summary}")


@command
def sync(source: Annotated[SourceSystem, typer.Argument(help="plm, erp or qms")]) -> None:
    """Pull what changed in PLM, ERP or QMS since the last sync into the mirrors."""
    from firstarticle.integrations import records
    from firstarticle.services.sync import synchronise

    def parse(kind: str, raw: Sequence[dict[str, Any]]) -> list[Any]:
        return records.parse(
            kind, ((f"{source.value} {kind} #{i + 1}", r) for i, r in enumerate(raw))
        )

    report = synchronise(ctx(), source, application().feed(source), parse)
    for kind, counts in report.counts.items():
        out.print(f"{kind}: " + (", ".join(f"{n} {o}" for o, n in counts.items()) or "nothing new"))
    out.print(f"{report.pages} page(s) from {source.value.upper()}")


@command
def watch(
    folder: Annotated[Path, typer.Argument(help="The drop folder")],
    interval: Annotated[float, typer.Option(help="Seconds between scans")] = 5.0,
    once: Annotated[bool, typer.Option(help="Scan once and exit")] = False,
) -> None:
    """Import record files dropped into FOLDER (e.g. by SFTP) and file them away."""
    import time

    from firstarticle.drop_folder import process_once

    if not folder.is_dir():
        usage_error(f"{folder} is not a folder")
    failures = 0
    while True:
        for filed in process_once(ctx(), folder):
            mark = Text("imported", "green") if filed.ok else Text("failed", "red")
            out.print(Text.assemble(mark, f" {filed.name}: {filed.detail}"))
            failures += not filed.ok
        if once:
            if failures:
                raise typer.Exit(1)
            return
        time.sleep(interval)

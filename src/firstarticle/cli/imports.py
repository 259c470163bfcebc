"""Imports: inspection results, characteristic lists and mirrored records."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from firstarticle.cli.common import (
    command,
    ctx,
    out,
    print_json,
    progress,
    refused,
    usage_error,
)
from firstarticle.services import (
    first_articles,
)

import_app = typer.Typer(
    help="Imports: records, results and characteristics.", no_args_is_help=True
)


_LISTED_ROWS = 50


def _issue_table(
    title: str, issues: Sequence[Any], total: int, per_code: int = _LISTED_ROWS
) -> Table:
    table = Table("row", "code", "balloon", "serial", "why", title=title, title_justify="left")
    shown: dict[str, int] = {}
    listed: list[Any] = []
    for issue in issues:
        shown[issue.code] = shown.get(issue.code, 0) + 1
        if shown[issue.code] <= per_code and len(listed) < _LISTED_ROWS:
            listed.append(issue)
    for issue in listed:
        table.add_row(
            "file" if issue.row is None else str(issue.row),
            issue.code,
            issue.balloon or "",
            issue.serial or "",
            issue.message,
        )
    if total > len(listed):
        table.caption = f"{total - len(listed)} more not shown (--json lists up to 1,000)"
    return table


@import_app.command("results")
@command
def import_results_command(
    fair: Annotated[str, typer.Argument(metavar="FAIR-ID", help="The FAI's FAIR identifier.")],
    file: Annotated[Path, typer.Argument(help="CSV, Calypso _chr.txt or QIF 3.0 Results file.")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto (from the content), csv, calypso or qif.")
    ] = "auto",
    partial: Annotated[
        bool, typer.Option("--partial", help="Record the valid rows even if others are refused.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole report as JSON.")
    ] = False,
) -> None:
    """Import inspection results into an FAI; refused rows are listed and nothing is written."""
    from firstarticle.services import result_import

    if not file.is_file():
        usage_error(f"{file} is not a file")
    context = ctx()
    fai_id = first_articles.first_article_by_fair(context, fair).fai.id
    long_file = file.stat().st_size > 1024 * 1024
    with progress(file.name, in_bytes=True, show=long_file) as step:
        try:
            report = result_import.import_results(
                context, fai_id, file, fmt, partial=partial, dry_run=dry_run, progress=step
            )
        except result_import.ResultImportRefusedError as refusal:
            report = refusal.report
    if as_json:
        print_json(report.as_dict())
    else:
        counts = (
            f"{report.rows_read} rows read, {report.results_recorded} results recorded, "
            f"{report.rows_refused} refused, {report.rows_skipped} skipped, "
            f"{report.nonconforming} nonconforming"
        )
        out.print(f"{fair}: {report.file_name} ({report.format}) {report.status}: {counts}")
        if report.refused:
            out.print(_issue_table("refused rows", report.refused, report.rows_refused))
        if report.warnings:
            warned = sum(report.warnings_by_code.values())
            out.print(_issue_table("warnings", report.warnings, warned, per_code=3))
        if report.skipped:
            out.print(_issue_table("skipped rows", report.skipped, report.rows_skipped))
        for note in report.notes:
            out.print(f"note: {note}", highlight=False)
    if report.status == "refused":
        refused("refused", "nothing was recorded; fix the rows above or use --partial")


@import_app.command("characteristics")
@command
def import_characteristics_command(
    file: Annotated[str, typer.Argument(help="QIF 3.0 MBD or Plan file.")],
    part: Annotated[str, typer.Option("--part", help="Part number.")],
    revision: Annotated[str, typer.Option("--revision", help="Part revision.")],
    drawing: Annotated[
        str | None, typer.Option("--drawing", help="Drawing number, if the revision has several.")
    ] = None,
    units: Annotated[
        str | None, typer.Option("--units", help="The drawing's units, for a file without any.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check everything, write nothing.")
    ] = False,
    notes: Annotated[
        bool,
        typer.Option("--notes", help="Also take the file's general notes as characteristics."),
    ] = False,
) -> None:
    """Create a part revision's characteristic list from a QIF MBD or Plan file."""
    from firstarticle.services import characteristic_import

    if not os.path.isfile(file):
        usage_error(f"{file} is not a file")
    with progress(os.path.basename(file)) as step:
        step("reading and checking", 0, 0)
        summary = characteristic_import.import_characteristics(
            ctx(),
            part_number=part,
            revision=revision,
            file=file,
            drawing_number=drawing,
            units=units,
            dry_run=dry_run,
            notes=notes,
        )
    out.print(summary.message, highlight=False)
    out.print(
        f"  read {summary.read}, created {summary.created}, balloons numbered by firstarticle "
        f"{summary.numbered}; sha256 {summary.source_sha256}",
        highlight=False,
    )


def _import_records(kind: str, file: Path, dry_run: bool) -> None:
    from firstarticle.integrations import records
    from firstarticle.services import mirror

    if not file.is_file():
        usage_error(f"{file} is not a file")
    with file.open("rb") as handle:
        batch = records.read_file(kind, file.name, handle)
    with progress(file.name) as step:
        report = mirror.apply(ctx(), kind, batch, dry_run=dry_run, progress=step)
    table = Table(
        "external id",
        "version",
        "outcome",
        "record id",
        title=f"{kind}: {len(report.lines)} records"
        + (" (dry run: nothing written)" if dry_run else ""),
    )
    for line in report.lines:
        table.add_row(
            line.external_id, str(line.source_version), line.outcome.value, line.record_id or ""
        )
    out.print(table)
    out.print(", ".join(f"{n} {o}" for o, n in report.counts.items()))


def _record_import_command(kind: str) -> None:
    @import_app.command(kind, help=f"Import {kind} from a CSV or JSON file (docs/imports.md).")
    @command
    def import_kind(
        file: Annotated[Path, typer.Argument(help="A .csv or .json file")],
        dry_run: Annotated[
            bool, typer.Option(help="Report what would change; write nothing")
        ] = False,
    ) -> None:
        _import_records(kind, file, dry_run)


for _kind in ("part-revisions", "customers", "work-orders", "nonconformances"):
    _record_import_command(_kind)

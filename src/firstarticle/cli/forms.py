"""AS9102 forms: ``export`` (xlsx, pdf, submission zip), ``package verify``, and
``import form3-sheet`` (a characteristic list from a flat Form 3 workbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from firstarticle.cli.common import command, ctx, err, out, refused, usage_error
from firstarticle.domain import model
from firstarticle.exports.package import sha256, verify_package
from firstarticle.services import fai_export, first_articles, form3_import

package_app = typer.Typer(help="AS9102 submission packages.", no_args_is_help=True)


def write_new(directory: Path, name: str, content: bytes) -> Path:
    """Write ``content`` to ``directory/name``; an existing file is never replaced (exit 2)."""
    target = directory / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as handle:
            handle.write(content)
    except FileExistsError:
        usage_error(f"{target} exists; nothing was overwritten")
    except OSError as error:
        usage_error(f"cannot write {target}: {error.strerror}")
    return target


@command
def export(
    fair: Annotated[str, typer.Argument(metavar="FAIR-ID")],
    fmt: Annotated[fai_export.ExportFormat, typer.Option("--format", help="xlsx, pdf or zip.")],
    directory: Annotated[Path, typer.Option("--out", help="Directory to write into.")],
    revision: Annotated[
        model.FormRevision | None,
        typer.Option("--revision", help="AS9102 numbering C or B (default: the customer's)."),
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Build despite findings, marked as a draft.")
    ] = False,
) -> None:
    """Write Forms 1-3 (xlsx or pdf) or the submission package (zip) of an FAI.

    Without --draft the pre-submission check must pass (exit 1 with the findings); a zip is
    then recorded as the FAI's next submission attempt. Existing files are never replaced.
    """
    c = ctx()
    fai_id = first_articles.first_article_by_fair(c, fair).fai.id
    exported = fai_export.export_forms(c, fai_id, fmt, revision=revision, draft=draft)
    target = write_new(directory, exported.file_name, exported.content)
    attempt = f", submission attempt {exported.attempt}" if exported.attempt else ""
    out.print(f"{fair}: {target} ({len(exported.content)} bytes{attempt})", highlight=False)
    out.print(f"sha256 {sha256(exported.content)}", highlight=False)


@package_app.command("verify")
def verify(zip_file: Annotated[Path, typer.Argument(metavar="ZIP")]) -> None:
    """Check every file of a package against its manifest: exit 0 intact, 1 when not."""
    try:
        data = zip_file.read_bytes()
    except OSError as error:
        usage_error(f"cannot read {zip_file}: {error.strerror}")
    result = verify_package(data)
    if not result.ok:
        for problem in result.problems:
            err.print(
                f"[red]{problem.code}[/red] {escape(problem.path)}: {escape(problem.message)}",
                highlight=False,
            )
        refused("not intact", f"{zip_file}: {len(result.problems)} problem(s)")
    m = result.manifest
    out.print(
        f"{zip_file}: intact, {len(m.get('files', []))} file(s) match the manifest; "
        f"FAIR {m.get('fair_identifier')}, attempt {m.get('attempt') or 'draft'}, "
        f"content SHA-256 {m.get('content_sha256')}; package SHA-256 {result.sha256}",
        highlight=False,
    )


@command
def import_form3_sheet(
    part_number: Annotated[str, typer.Argument(metavar="PART")],
    revision: Annotated[str, typer.Argument(metavar="REV")],
    file: Annotated[Path, typer.Argument(metavar="XLSX")],
    drawing_number: Annotated[
        str | None, typer.Option("--drawing", help="The drawing (default: the only one).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
) -> None:
    """Add the characteristics of a flat Form 3 sheet to a revision, all or none."""
    try:
        data = file.read_bytes()
    except OSError as error:
        usage_error(f"cannot read {file}: {error.strerror}")
    report = form3_import.import_form3_sheet(
        ctx(),
        part_number=part_number,
        revision=revision,
        data=data,
        drawing_number=drawing_number,
        dry_run=dry_run,
    )
    if report.status == "refused":
        for issue in report.issues[:50]:
            err.print(
                f"row {issue.row} [red]{issue.code}[/red] {escape(issue.char_no or '')}: "
                f"{escape(issue.message)}",
                highlight=False,
            )
        refused("refused", f"{file}: {len(report.issues)} row(s) refused; nothing was written")
    out.print(
        f"{part_number} rev {revision}: {len(report.char_nos)} characteristic(s) "
        f"{report.status} from {report.rows} row(s)",
        highlight=False,
    )

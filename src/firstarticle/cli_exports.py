"""CLI commands of the AS9102 forms: ``export`` and ``package verify``.

Registered on the main application by :func:`register`, so the command line module only
needs one call; the commands call services (and the pure package check) only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from firstarticle.domain import model
from firstarticle.exports.package import verify_package
from firstarticle.services import ServiceContext, fai_export, first_articles

out = Console()
err = Console(stderr=True)


def write_new(directory: Path, name: str, content: bytes) -> Path:
    """Write ``content`` to ``directory/name``; never replaces an existing file (exit 2)."""
    target = directory / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as handle:
            handle.write(content)
    except FileExistsError:
        err.print(f"[red]error[/red]: {target} exists; nothing was overwritten", highlight=False)
        raise typer.Exit(2) from None
    except OSError as error:
        err.print(f"[red]error[/red]: cannot write {target}: {error.strerror}", highlight=False)
        raise typer.Exit(2) from None
    return target


def export_command(
    ctx: Callable[[], ServiceContext],
    fair: str,
    fmt: fai_export.ExportFormat,
    revision: model.FormRevision | None,
    draft: bool,
    directory: Path,
) -> None:
    """Export the FAI's forms or package into ``directory`` and say what was written."""
    c = ctx()
    fai_id = first_articles.first_article_by_fair(c, fair).fai.id
    exported = fai_export.export_forms(c, fai_id, fmt, revision=revision, draft=draft)
    target = write_new(directory, exported.file_name, exported.content)
    digest = fai_export.package.sha256(exported.content)
    attempt = f", submission attempt {exported.attempt}" if exported.attempt else ""
    out.print(f"{fair}: {target} ({len(exported.content)} bytes{attempt})", highlight=False)
    out.print(f"sha256 {digest}", highlight=False)


def verify_command(path: Path) -> None:
    """Check a package against its manifest: exit 0 when every file matches, 1 when not."""
    try:
        data = path.read_bytes()
    except OSError as error:
        err.print(f"[red]error[/red]: cannot read {path}: {error.strerror}", highlight=False)
        raise typer.Exit(2) from None
    result = verify_package(data)
    if not result.ok:
        for problem in result.problems:
            err.print(
                f"[red]{problem.code}[/red] {problem.path}: {problem.message}", highlight=False
            )
        err.print(f"{path}: NOT intact ({len(result.problems)} problem(s))", highlight=False)
        raise typer.Exit(1)
    files = result.manifest.get("files", [])
    out.print(
        f"{path}: intact, {len(files)} file(s) match the manifest; "
        f"FAIR {result.manifest.get('fair_identifier')}, attempt "
        f"{result.manifest.get('attempt') or 'draft'}, content SHA-256 "
        f"{result.manifest.get('content_sha256')}; package SHA-256 {result.sha256}",
        highlight=False,
    )


def register(
    app: typer.Typer,
    ctx: Callable[[], ServiceContext],
    cli_command: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> None:
    """Add ``export`` and ``package verify`` to ``app``."""
    package_app = typer.Typer(help="AS9102 submission packages.", no_args_is_help=True)
    app.add_typer(package_app, name="package")

    @app.command("export")
    @cli_command
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

        Without --draft the pre-submission check must pass; a zip is then recorded as the
        FAI's next submission attempt.
        """
        export_command(ctx, fair, fmt, revision, draft, directory)

    @package_app.command("verify")
    def verify(zip_file: Annotated[Path, typer.Argument(metavar="ZIP")]) -> None:
        """Check every file of a package against its manifest (exit 1 when tampered)."""
        verify_command(zip_file)

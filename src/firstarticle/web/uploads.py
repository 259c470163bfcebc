"""File uploads with a report: results files on the FAI page (CSV, Calypso, QIF), listing
every refused row and why, and characteristic files (QIF MBD or Plan) on the part page.
Nothing is written when a file or a row is refused, unless the person asked to import the
valid rows only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from firstarticle.api.result_import import MAX_UPLOAD_BYTES
from firstarticle.api.uploads import limited
from firstarticle.domain.errors import DomainError, NotFoundError, ValidationError
from firstarticle.services import catalog, characteristic_import, result_import
from firstarticle.web.session import CurrentPage, Page, error_page, forbidden_form, status_of

router = APIRouter(include_in_schema=False)
FORMATS = ("auto", "csv", "calypso", "qif")


@asynccontextmanager
async def _file_form(
    request: Request, page: Page
) -> AsyncIterator[tuple[dict[str, str], UploadFile] | None]:
    """The posted fields and the file, or None without this session's CSRF token; raises
    ValidationError (field ``file``) when no file was chosen."""
    form = await limited(request, MAX_UPLOAD_BYTES).form(max_files=1, max_fields=10)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if not page.checked(fields):
            yield None
        elif not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationError("Choose a file to upload.", field="file")
        else:
            yield fields, upload
    finally:
        await form.close()


def _refused(page: Page, name: str, error: DomainError, **values: Any) -> Response:
    if isinstance(error, NotFoundError):
        return error_page(page, error)
    unsupported = isinstance(error, result_import.UnsupportedResultFormatError)
    status = 415 if unsupported else status_of(error)
    return page.render(name, status, report=None, error=error.message, **values)


@router.post("/fai/{fai_id}/results/file")
async def import_results_file(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """Read the uploaded results file into the FAI and show the import report."""
    try:
        async with _file_form(request, page) as posted:
            if posted is None:
                return forbidden_form(page)
            fields, upload = posted
            fmt = fields.get("format", "auto")
            report = await run_in_threadpool(
                lambda: result_import.import_results(
                    page.ctx,
                    fai_id,
                    upload.file,
                    fmt if fmt in FORMATS else "auto",
                    name=upload.filename or "upload",
                    partial=fields.get("partial") == "on",
                    dry_run=fields.get("dry_run") == "on",
                )
            )
    except result_import.ResultImportRefusedError as refused:
        return page.render(
            "import_report.html", 422, fai_id=fai_id, report=refused.report, refused=True
        )
    except DomainError as error:
        return _refused(page, "import_report.html", error, fai_id=fai_id)
    return page.render("import_report.html", fai_id=fai_id, report=report, refused=False)


@router.post("/parts/{part_id}/revisions/{revision}/characteristics/file")
async def import_characteristics_file(
    request: Request, page: CurrentPage, part_id: str, revision: str
) -> Response:
    """Create the revision's characteristic list from a QIF MBD or Plan file."""
    try:
        part = catalog.get_part(page.ctx, part_id)
        async with _file_form(request, page) as posted:
            if posted is None:
                return forbidden_form(page)
            fields, upload = posted
            summary = await run_in_threadpool(
                lambda: characteristic_import.import_characteristics(
                    page.ctx,
                    part_number=part.number,
                    revision=revision,
                    file=upload.file,
                    file_name=upload.filename or "upload.qif",
                    drawing_number=fields.get("drawing_number", "").strip() or None,
                    units=fields.get("units", "").strip() or None,
                    dry_run=fields.get("dry_run") == "on",
                    notes=fields.get("notes") == "on",
                )
            )
    except DomainError as error:
        return _refused(page, "characteristics_report.html", error, part_id=part_id)
    return page.render("characteristics_report.html", part_id=part_id, report=summary)

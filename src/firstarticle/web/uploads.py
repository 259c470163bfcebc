"""Results file upload on the FAI page (CSV, Calypso, QIF), with a report that lists every
refused row and why. Nothing is written when rows are refused, unless the person asked to
import the valid rows only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from firstarticle.api.result_import import MAX_UPLOAD_BYTES
from firstarticle.api.uploads import limited
from firstarticle.domain.errors import DomainError, NotFoundError
from firstarticle.services import first_articles, result_import
from firstarticle.web.session import CurrentPage, error_page, forbidden_form, status_of

router = APIRouter(prefix="/fai", include_in_schema=False)
FORMATS = ("auto", "csv", "calypso", "qif")


@router.post("/{fai_id}/results/file")
async def import_results_file(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """Read the uploaded results file into the FAI and show the import report."""
    form = await limited(request, MAX_UPLOAD_BYTES).form(max_files=1, max_fields=10)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not page.checked(fields):
            return forbidden_form(page)
        upload = form.get("file")
        fmt = fields.get("format", "auto")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise result_import.UnsupportedResultFormatError(
                    "Choose a results file to upload.", field="file"
                )
            detail = first_articles.get_first_article(page.ctx, fai_id)
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
        except NotFoundError as error:
            return error_page(page, error)
        except DomainError as error:
            unsupported = isinstance(error, result_import.UnsupportedResultFormatError)
            return page.render(
                "import_report.html",
                415 if unsupported else status_of(error),
                fai_id=fai_id,
                report=None,
                error=error.message,
            )
    finally:
        await form.close()
    return page.render(
        "import_report.html",
        fai_id=fai_id,
        fair=detail.fai.fair_identifier,
        report=report,
        refused=False,
    )

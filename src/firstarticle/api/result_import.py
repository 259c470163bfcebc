"""HTTP routes of inspection results files: import (CSV, Calypso, QIF) and QIF export."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from firstarticle.api import observability, problems
from firstarticle.api.deps import Ctx
from firstarticle.api.schemas import Out
from firstarticle.api.uploads import received_file, upload_body
from firstarticle.services import result_export, result_import

#: Largest upload accepted (the whole multipart body): 256 MiB, a million CSV rows with room.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
QIF_MEDIA_TYPE = "application/xml"

router = APIRouter(prefix="/api/v1")


class RowIssueOut(Out):
    row: int | None
    code: str
    message: str
    balloon: str | None = None
    serial: str | None = None
    column: str | None = None


class ImportReportOut(Out):
    first_article_id: str
    fair_identifier: str
    file_name: str
    sha256: str
    format: str
    partial: bool
    dry_run: bool
    status: str
    rows_read: int
    results_accepted: int
    results_recorded: int
    rows_refused: int
    rows_skipped: int
    characteristics: int
    serials: int
    nonconforming: int
    stated_fail: int
    refused: list[RowIssueOut]
    warnings: list[RowIssueOut]
    skipped: list[RowIssueOut]
    refused_by_code: dict[str, int]
    warnings_by_code: dict[str, int]
    issues_truncated: bool
    metadata: dict[str, Any]
    notes: list[str]


_UPLOAD_BODY = upload_body(
    "Generic results CSV (docs/results-csv.md), Zeiss Calypso table file (_chr.txt) or QIF "
    "3.0 Results file."
)


@router.post(
    "/first-articles/{fai_id}/results/import",
    status_code=201,
    response_model=ImportReportOut,
    tags=["first articles"],
    openapi_extra=_UPLOAD_BODY,
    responses={
        200: {"description": "A dry run, or a file already imported: nothing written."},
        413: {"description": "The upload is too large."},
        415: {"description": "Not multipart/form-data, or a file of no supported format."},
        422: {
            "description": "Rows refused (the problem's 'report' lists them) or a file that "
            "cannot be read; nothing written."
        },
    },
)
async def import_results_file(
    fai_id: str,
    request: Request,
    ctx: Ctx,
    file_format: Annotated[
        Literal["auto", "csv", "calypso", "qif"], Query(alias="format")
    ] = "auto",
    partial: bool = False,
    dry_run: bool = False,
) -> Any:
    """Import a results file into the FAI: all rows or none, unless ``partial`` is asked.

    Upload the file as the multipart field ``file``. 201 with the report when results were
    recorded; 200 for a dry run or a file already imported into this FAI (nothing written);
    422 problem+json with the report when rows are refused.
    """
    async with received_file(
        request, "results file", "format, partial and dry_run", MAX_UPLOAD_BYTES
    ) as upload:
        try:
            report = await run_in_threadpool(
                lambda: result_import.import_results(
                    ctx,
                    fai_id,
                    upload.file,
                    file_format,
                    name=upload.filename or "upload",
                    partial=partial,
                    dry_run=dry_run,
                )
            )
        except result_import.UnsupportedResultFormatError as error:
            return problems.problem(
                415, error.code, "Unsupported result format", error.message, request
            )
        except result_import.ResultImportRefusedError as error:
            if not dry_run:
                observability.count_import_rows("results", 0, error.report.rows_refused)
            raise
    body = ImportReportOut.model_validate(report.as_dict())
    recorded = report.status in {"imported", "partially_imported"}
    if recorded:
        observability.count_import_rows("results", report.results_accepted, report.rows_refused)
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if recorded else 200)


@router.get(
    "/first-articles/{fai_id}/results.qif",
    response_class=Response,
    responses={200: {"content": {QIF_MEDIA_TYPE: {}}, "description": "QIF 3.0 Results."}},
    tags=["first articles"],
)
def export_results(fai_id: str, ctx: Ctx) -> Response:
    """The FAI's characteristics and results as a QIF 3.0 Results document."""
    name, data = result_export.export_results_qif_file(ctx, fai_id)
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=QIF_MEDIA_TYPE, headers={"Content-Disposition": disposition})

"""HTTP routes of the AS9102 forms: xlsx and pdf downloads, the pre-submission check,
submission packages (built by POST, since a package for submission is recorded), and the
Form 3 sheet import of a characteristic list."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from firstarticle.api import problems
from firstarticle.api.deps import Ctx
from firstarticle.api.schemas import FindingOut, Out
from firstarticle.api.uploads import received_file, upload_body
from firstarticle.domain.access import Permission
from firstarticle.services import catalog, fai_export, form3_import

router = APIRouter(prefix="/api/v1", tags=["first articles"])

Revision = Annotated[
    Literal["C", "B"] | None,
    Query(description="AS9102 numbering; default: the customer's (C unless it reads B)."),
]
Draft = Annotated[
    bool, Query(description="Build despite blocking findings, marked as a draft on every page.")
]


def download(exported: fai_export.ExportedFile, status_code: int = 200) -> Response:
    """The file as an attachment, its name given in ASCII and in UTF-8."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", exported.file_name)
    disposition = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(exported.file_name)}"
    )
    return Response(
        exported.content,
        status_code=status_code,
        media_type=exported.media_type,
        headers={"Content-Disposition": disposition},
    )


def _responses(media_type: str, what: str) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {media_type: {}}, "description": what}}


@router.get(
    "/first-articles/{fai_id}/forms.xlsx",
    response_class=Response,
    responses=_responses(fai_export.MEDIA_TYPES[fai_export.ExportFormat.XLSX], "Forms 1-3."),
)
def forms_xlsx(fai_id: str, ctx: Ctx, revision: Revision = None, draft: Draft = False) -> Response:
    """Forms 1, 2 and 3 and the flat Form 3 sheet as a workbook; 409 submission_blocked
    while blocking findings remain, unless a draft is asked for."""
    return download(fai_export.export_forms(ctx, fai_id, "xlsx", revision=revision, draft=draft))


@router.get(
    "/first-articles/{fai_id}/forms.pdf",
    response_class=Response,
    responses=_responses(fai_export.MEDIA_TYPES[fai_export.ExportFormat.PDF], "Forms 1-3."),
)
def forms_pdf(fai_id: str, ctx: Ctx, revision: Revision = None, draft: Draft = False) -> Response:
    """Forms 1, 2 and 3 as a paginated PDF, fields 1-4 on every page."""
    return download(fai_export.export_forms(ctx, fai_id, "pdf", revision=revision, draft=draft))


class PresubmissionOut(Out):
    ready: bool
    findings: list[FindingOut]


@router.get("/first-articles/{fai_id}/presubmission", response_model=PresubmissionOut)
def presubmission(fai_id: str, ctx: Ctx) -> PresubmissionOut:
    """Readiness plus the paperwork rules: what stops a package from going to the customer."""
    findings = fai_export.presubmission_check(ctx, fai_id)
    return PresubmissionOut(
        ready=not any(f.blocking for f in findings),
        findings=[FindingOut.model_validate(f) for f in findings],
    )


@router.post(
    "/first-articles/{fai_id}/packages",
    response_class=Response,
    status_code=201,
    responses={
        201: {"content": {"application/zip": {}}, "description": "Recorded submission package."},
        200: {"content": {"application/zip": {}}, "description": "Draft package (not recorded)."},
    },
)
def build_package(
    fai_id: str, ctx: Ctx, revision: Revision = None, draft: Draft = False
) -> Response:
    """The submission package (zip). Without ``draft`` it must pass the pre-submission check,
    needs fai.transition, and is recorded as the FAI's next attempt (201, X-Package-Attempt);
    a draft is always built and never recorded (200)."""
    exported = fai_export.export_forms(ctx, fai_id, "zip", revision=revision, draft=draft)
    response = download(exported, 200 if exported.attempt is None else 201)
    if exported.attempt is not None:
        response.headers["X-Package-Attempt"] = str(exported.attempt)
    return response


class PackageOut(Out):
    attempt: int
    form_revision: str
    sha256: str
    content_sha256: str
    file_name: str
    size: int
    built_by: str
    built_at: datetime


@router.get("/first-articles/{fai_id}/packages", response_model=list[PackageOut])
def list_packages(fai_id: str, ctx: Ctx) -> list[PackageOut]:
    """Every package built for submission, oldest attempt first, with its SHA-256."""
    return [PackageOut.model_validate(p) for p in fai_export.submission_packages(ctx, fai_id)]


@router.get(
    "/first-articles/{fai_id}/packages/{attempt}",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The kept package."}},
)
def get_package(fai_id: str, attempt: Annotated[int, Path(ge=1, le=10_000)], ctx: Ctx) -> Response:
    """The package of one recorded attempt, byte for byte as it was built and hashed; the
    same export control as every FAI read."""
    return download(fai_export.submission_package(ctx, fai_id, attempt))


class RowIssueOut(Out):
    row: int
    code: str
    message: str
    char_no: str | None = None


class Form3SheetOut(Out):
    status: str
    rows: int
    char_nos: list[str]


_SHEET_UPLOAD = upload_body(
    "An xlsx with a flat Form 3 sheet (5 Char No., 6 Reference Location, 7 Designator, "
    "8 Requirement)."
)


@router.post(
    "/parts/{part_id}/revisions/{revision}/characteristics/form3-sheet",
    status_code=201,
    response_model=Form3SheetOut,
    tags=["parts"],
    openapi_extra=_SHEET_UPLOAD,
    responses={
        200: {"description": "A dry run: every row is valid, nothing written."},
        413: {"description": "The upload is too large."},
        422: {"description": "Rows refused (form3_sheet_refused, with the rows), or no xlsx."},
    },
)
async def import_form3_sheet(
    part_id: str,
    revision: str,
    request: Request,
    ctx: Ctx,
    drawing_number: Annotated[str | None, Query(max_length=64)] = None,
    dry_run: bool = False,
) -> Any:
    """Add the characteristics of a flat Form 3 sheet to a drawing of the revision, all or
    none; refused rows come back as 422 problem+json naming each row and why."""
    part_number = catalog.part_number_of(ctx, part_id, Permission.PART_MANAGE)
    async with received_file(
        request, "xlsx workbook", "drawing_number and dry_run", form3_import.MAX_BYTES
    ) as upload:
        data = await upload.read()
    report = await run_in_threadpool(
        lambda: form3_import.import_form3_sheet(
            ctx,
            part_number=part_number,
            revision=revision,
            data=data,
            drawing_number=drawing_number,
            dry_run=dry_run,
        )
    )
    if report.status == "refused":
        return problems.problem(
            422,
            "form3_sheet_refused",
            "Form 3 sheet refused",
            f"{len(report.issues)} row(s) refused; nothing was written.",
            request,
            issues=[RowIssueOut.model_validate(i).model_dump() for i in report.issues],
        )
    body = Form3SheetOut(status=report.status, rows=report.rows, char_nos=report.char_nos)
    return JSONResponse(body.model_dump(), status_code=201 if report.status == "imported" else 200)

"""HTTP routes of the characteristic list: QIF MBD / Plan upload, revision diff, xlsx export."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from firstarticle.api import observability
from firstarticle.api.deps import Ctx
from firstarticle.api.schemas import Out
from firstarticle.api.uploads import received_file, upload_body
from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.services import catalog, characteristic_import

#: Largest upload accepted (the whole multipart body), 100 MiB.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(prefix="/api/v1")


class ImportedCharacteristicOut(Out):
    balloon: str
    ctype: model.CharacteristicType
    requirement: str
    designator: model.CharacteristicDesignator | None
    reference_location: str | None
    source_item: str
    numbered: bool


class ImportOut(Out):
    part_number: str
    revision: str
    drawing_number: str
    source_document: str
    source_sha256: str
    read: int
    created: int
    numbered: int
    unchanged: bool
    dry_run: bool
    message: str
    characteristics: list[ImportedCharacteristicOut]
    notes_offered: list[str] = Field(
        default_factory=list,
        description="General notes of the file not taken as characteristics (ask notes=true).",
    )


class CharacteristicSnapshotOut(Out):
    characteristic_id: str
    drawing: str | None
    balloon: str
    ctype: str
    requirement: str
    nominal: Decimal | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    units: str | None
    designator: str | None
    reference_location: str | None
    source_item: str | None


class FieldChangeOut(Out):
    field: str
    before: str | None
    after: str | None


class ChangedCharacteristicOut(Out):
    before: CharacteristicSnapshotOut
    after: CharacteristicSnapshotOut
    matched_by: str
    affects_design: bool
    changes: list[FieldChangeOut]


class RevisionDiffOut(Out):
    part_number: str
    from_revision: str
    to_revision: str
    affects_design: bool
    balloons_to_reinspect: list[str]
    added: list[CharacteristicSnapshotOut]
    removed: list[CharacteristicSnapshotOut]
    changed: list[ChangedCharacteristicOut]
    unchanged: int


_UPLOAD_BODY = upload_body("The QIF 3.0 MBD or Plan file.")


@router.post(
    "/parts/{part_id}/revisions/{revision}/characteristics/qif",
    status_code=201,
    response_model=ImportOut,
    tags=["parts"],
    openapi_extra=_UPLOAD_BODY,
    responses={
        200: {"description": "The same file was imported before, or a dry run: nothing written."},
        413: {"description": "The upload is too large."},
        415: {"description": "The body is not multipart/form-data."},
        422: {"description": "No file, or not a readable, valid, safe QIF 3.0 file."},
    },
)
async def import_qif_characteristics(
    part_id: str,
    revision: str,
    request: Request,
    ctx: Ctx,
    drawing_number: Annotated[str | None, Query(max_length=64)] = None,
    units: Annotated[str | None, Query(max_length=32)] = None,
    dry_run: bool = False,
    notes: Annotated[
        bool, Query(description="Also take the file's general notes as characteristics.")
    ] = False,
) -> Any:
    """Create the revision's characteristic list from an uploaded QIF MBD or Plan file.

    Upload the file as the multipart field ``file``. 201 when characteristics were created;
    200 when this very file was imported before (nothing changes) or for a dry run.
    """
    part_number = catalog.part_number_of(ctx, part_id, Permission.PART_MANAGE)
    async with received_file(
        request, "QIF file", "drawing_number, units, dry_run and notes", MAX_UPLOAD_BYTES
    ) as upload:
        summary = await run_in_threadpool(
            lambda: characteristic_import.import_characteristics(
                ctx,
                part_number=part_number,
                revision=revision,
                file=upload.file,
                file_name=upload.filename,
                drawing_number=drawing_number,
                units=units,
                dry_run=dry_run,
                notes=notes,
            )
        )
    if not summary.dry_run:
        observability.count_import_rows("characteristics", summary.created, 0)
    body = ImportOut(
        part_number=summary.part_number,
        revision=summary.revision,
        drawing_number=summary.drawing_number,
        source_document=summary.source_document,
        source_sha256=summary.source_sha256,
        read=summary.read,
        created=summary.created,
        numbered=summary.numbered,
        unchanged=summary.unchanged,
        dry_run=summary.dry_run,
        message=summary.message,
        characteristics=[
            ImportedCharacteristicOut.model_validate(c) for c in summary.characteristics
        ],
        notes_offered=list(summary.notes_offered),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if summary.created else 200)


@router.get("/parts/{part_id}/diff", response_model=RevisionDiffOut, tags=["parts"])
def diff_revisions(
    part_id: str,
    ctx: Ctx,
    from_revision: Annotated[str, Query(alias="from", min_length=1, max_length=16)],
    to_revision: Annotated[str, Query(alias="to", min_length=1, max_length=16)],
) -> Any:
    """Characteristics added, removed and changed between two revisions (delta FAI)."""
    part_number = catalog.part_number_of(ctx, part_id)
    result = characteristic_import.diff_revisions(ctx, part_number, from_revision, to_revision)
    d = result.diff
    return RevisionDiffOut(
        part_number=result.part_number,
        from_revision=result.from_revision,
        to_revision=result.to_revision,
        affects_design=d.affects_design,
        balloons_to_reinspect=list(d.balloons_to_reinspect),
        added=[CharacteristicSnapshotOut.model_validate(a) for a in d.added],
        removed=[CharacteristicSnapshotOut.model_validate(r) for r in d.removed],
        changed=[
            ChangedCharacteristicOut(
                before=CharacteristicSnapshotOut.model_validate(c.before),
                after=CharacteristicSnapshotOut.model_validate(c.after),
                matched_by=c.matched_by.value,
                affects_design=c.affects_design,
                changes=[
                    FieldChangeOut(field=f.field.value, before=f.before, after=f.after)
                    for f in c.changes
                ],
            )
            for c in d.changed
        ],
        unchanged=d.unchanged,
    )


@router.get(
    "/parts/{part_id}/revisions/{revision}/characteristics.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The characteristic list."}},
    tags=["parts"],
)
def export_characteristics(part_id: str, revision: str, ctx: Ctx) -> Response:
    """The revision's characteristic list as an xlsx workbook, for review before the FAI."""
    part_number = catalog.part_number_of(ctx, part_id)
    data = characteristic_import.export_characteristics_xlsx(ctx, part_number, revision)
    stem = f"{part_number}_{revision}_characteristics"
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    disposition = f"attachment; filename=\"{ascii_stem}.xlsx\"; filename*=UTF-8''{quote(stem)}.xlsx"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})

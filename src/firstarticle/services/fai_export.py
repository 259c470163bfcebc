"""Export an FAI's AS9102 forms (xlsx, pdf) and its submission package (zip).

Who may: anyone who may read the FAI and receive its part's technical data (the same check
as every FAI read; a caller who may not receive it gets NotFoundError and no bytes). What
goes out without the draft mark has passed the pre-submission check (readiness plus the
paperwork rules); a draft may always be built and says so on every sheet and page. A zip
built for submission is recorded on the FAI as the next attempt, with its SHA-256, and kept:
a later attempt never replaces an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from firstarticle.domain import model, presubmission
from firstarticle.domain.errors import GuardFailedError
from firstarticle.domain.readiness import Finding
from firstarticle.domain.signatures import content_sha256, signed_content
from firstarticle.exports.pdf import render_pdf
from firstarticle.exports.report import FairReport, SignedField, build_report
from firstarticle.exports.xlsx import render_xlsx
from firstarticle.services import ServiceContext, first_articles, signatures

__all__ = [
    "ExportFormat",
    "ExportedFile",
    "SubmissionBlockedError",
    "export_forms",
    "presubmission_check",
]


class ExportFormat(StrEnum):
    """What an export produces."""

    XLSX = "xlsx"
    PDF = "pdf"
    ZIP = "zip"


MEDIA_TYPES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
    ExportFormat.ZIP: "application/zip",
}


class SubmissionBlockedError(GuardFailedError):
    """Blocking findings remain: only a draft may be built."""

    code = "submission_blocked"


@dataclass(frozen=True)
class ExportedFile:
    """Bytes to hand over, their file name and media type; ``attempt`` for a recorded
    submission package."""

    file_name: str
    media_type: str
    content: bytes
    attempt: int | None = None


@dataclass(frozen=True)
class _Snapshot:
    detail: first_articles.FirstArticleDetail
    views: list[signatures.SignatureView]
    content_sha256: str
    findings: list[Finding]


def _snapshot(ctx: ServiceContext, fai_id: str) -> _Snapshot:
    detail = first_articles.get_first_article(ctx, fai_id)
    views = signatures.signatures_of(ctx, fai_id)
    digest = content_sha256(signed_content(detail.form1, detail.fai.form2, detail.form3))
    paperwork = presubmission.paperwork_findings(
        detail.fai,
        ((v.form_field, v.invalidated_at is None, v.content_matches) for v in views),
    )
    return _Snapshot(detail, views, digest, presubmission.presubmission(detail.findings, paperwork))


def presubmission_check(ctx: ServiceContext, fai_id: str) -> list[Finding]:
    """Readiness and paperwork findings of the FAI now, blocking first."""
    return _snapshot(ctx, fai_id).findings


def _revision(
    detail: first_articles.FirstArticleDetail, revision: model.FormRevision | None
) -> model.FormRevision:
    if revision is not None:
        return model.FormRevision(revision)
    return detail.customer.form_revision if detail.customer else model.FormRevision.C


def _report(
    ctx: ServiceContext, snap: _Snapshot, revision: model.FormRevision | None, draft: bool
) -> FairReport:
    d = snap.detail
    return build_report(
        form1=d.form1,
        form2=d.fai.form2,
        form3=d.form3,
        signatures=[
            SignedField(
                v.form_field, v.printed_name, v.signed_at, v.meaning_label, v.manifestation, v.valid
            )
            for v in snap.views
        ],
        content_sha256=snap.content_sha256,
        revision=_revision(d, revision),
        generated_at=ctx.clock.now(),
        draft=draft,
    )


def _refuse_blocked(snap: _Snapshot) -> None:
    blocking = [f for f in snap.findings if f.blocking]
    if blocking:
        raise SubmissionBlockedError(
            f"{snap.detail.fai.fair_identifier} has {len(blocking)} blocking finding(s); "
            "build a draft, or clear them first.",
            findings=blocking,
        )


def export_forms(
    ctx: ServiceContext,
    fai_id: str,
    fmt: ExportFormat | str,
    *,
    revision: model.FormRevision | str | None = None,
    draft: bool = False,
) -> ExportedFile:
    """Forms 1-3 as xlsx or pdf, or the submission package as zip.

    Without ``draft`` the pre-submission check must pass (SubmissionBlockedError names the
    blocking findings); with it, every sheet and page carries the draft mark.
    """
    fmt = ExportFormat(fmt)
    rev = model.FormRevision(revision) if revision is not None else None
    snap = _snapshot(ctx, fai_id)
    if not draft:
        _refuse_blocked(snap)
    report = _report(ctx, snap, rev, draft)
    stem = snap.detail.fai.fair_identifier + ("-DRAFT" if draft else "")
    if fmt is ExportFormat.XLSX:
        return ExportedFile(f"{stem}-forms.xlsx", MEDIA_TYPES[fmt], render_xlsx(report))
    if fmt is ExportFormat.PDF:
        return ExportedFile(f"{stem}-forms.pdf", MEDIA_TYPES[fmt], render_pdf(report))
    raise NotImplementedError(fmt)

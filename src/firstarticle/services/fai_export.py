"""Export an FAI's AS9102 forms (xlsx, pdf) and its submission package (zip).

Who may: anyone who may read the FAI and receive its part's technical data (the same check
as every FAI read; a caller who may not receive it gets NotFoundError and no bytes). What
goes out without the draft mark has passed the pre-submission check (readiness plus the
paperwork rules); a draft may always be built and says so on every sheet and page. A zip
built for submission is recorded on the FAI as the next attempt, with its SHA-256, and kept:
a later attempt never replaces an earlier one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from firstarticle.domain import model, presubmission
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import DomainError, GuardFailedError
from firstarticle.domain.events import Event
from firstarticle.domain.packages import SubmissionPackage
from firstarticle.domain.readiness import Finding
from firstarticle.domain.signatures import content_sha256, signed_content
from firstarticle.exports import package
from firstarticle.exports.package import EvidenceEntry, PackageFile
from firstarticle.exports.pdf import render_pdf
from firstarticle.exports.report import FairReport, SignedField, build_report
from firstarticle.exports.xlsx import render_xlsx
from firstarticle.services import (
    ServiceContext,
    allowed,
    first_articles,
    found,
    record,
    result_export,
    signatures,
)

__all__ = [
    "ExportFormat",
    "ExportedFile",
    "SubmissionBlockedError",
    "export_forms",
    "presubmission_check",
    "submission_package",
    "submission_packages",
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
    digest = content_sha256(signed_content(detail.form1, detail.fai.form2, detail.form3))
    with ctx.uow_factory() as uow:  # the caller may read the FAI: checked just above
        given = uow.signatures.for_record(signatures.FAI_RECORD, detail.fai.id)
    views = [signatures.view(s, digest) for s in given]
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
    return _package(ctx, snap, report)


def _held_evidence(ctx: ServiceContext, snap: _Snapshot) -> list[tuple[PackageFile, str]]:
    """Files firstarticle itself holds for the FAI: its results as QIF, its signatures."""
    held: list[tuple[PackageFile, str]] = []
    try:
        name, qif = result_export.export_results_qif_file(ctx, snap.detail.fai.id)
        held.append((PackageFile(f"evidence/{name}", qif), "QIF 3.0 Results of the FAI"))
    except DomainError:
        pass  # results QIF cannot express every FAI; the forms carry the same results
    records = [
        {
            "form_field": v.form_field,
            "manifestation": v.manifestation,
            "content_sha256": v.content_sha256,
            "content_matches": v.content_matches,
            "valid": v.valid,
        }
        for v in snap.views
    ]
    document = json.dumps(records, indent=2, ensure_ascii=False).encode("utf-8")
    held.append((PackageFile("evidence/signatures.json", document), "Electronic signatures"))
    return held


def _package(ctx: ServiceContext, snap: _Snapshot, report: FairReport) -> ExportedFile:
    fai = snap.detail.fai
    if not report.draft:
        allowed(ctx, Permission.FAI_TRANSITION, site_id=fai.site_id)
    stem = fai.fair_identifier + ("-DRAFT" if report.draft else "")
    files = [
        PackageFile(f"{stem}-forms.xlsx", render_xlsx(report)),
        PackageFile(f"{stem}-forms.pdf", render_pdf(report)),
    ]
    evidence = [
        EvidenceEntry(e.kind.value, e.title, e.uri, e.sha256, e.added_by, e.added_at.isoformat())
        for e in snap.detail.evidence
    ]
    now = ctx.clock.now()
    for file, title in _held_evidence(ctx, snap):
        files.append(file)
        digest = package.sha256(file.content)
        evidence.append(
            EvidenceEntry(
                "generated",
                title,
                f"urn:sha256:{digest}",
                digest,
                "firstarticle",
                now.isoformat(),
                held=file.path,
            )
        )

    def build(attempt: int | None) -> bytes:
        header = package.PackageHeader(
            fair_identifier=fai.fair_identifier,
            part_number=snap.detail.part.number,
            form_revision=report.revision.value,
            content_sha256=snap.content_sha256,
            built_at=now,
            built_by=ctx.actor,
            draft=report.draft,
            attempt=attempt,
        )
        return package.build_package(header, files, evidence)

    if report.draft:
        return ExportedFile(f"{stem}-package.zip", MEDIA_TYPES[ExportFormat.ZIP], build(None))
    with ctx.uow_factory() as uow:
        attempt = uow.packages.last_attempt(fai.site_id, fai.id) + 1
        data = build(attempt)
        recorded = SubmissionPackage(
            site_id=fai.site_id,
            first_article_id=fai.id,
            attempt=attempt,
            form_revision=report.revision,
            sha256=package.sha256(data),
            content_sha256=snap.content_sha256,
            file_name=f"{fai.fair_identifier}-attempt-{attempt}.zip",
            size=len(data),
            built_by=ctx.actor,
            built_at=now,
            content=data,
        )
        uow.packages.add(recorded)
        record(
            uow,
            ctx,
            [
                Event(
                    action="fai.package_built",
                    record_type="first_article",
                    record_id=fai.id,
                    site_id=fai.site_id,
                    actor=ctx.actor,
                    at=now,
                    changes={
                        "package_attempt": (attempt - 1 or None, attempt),
                        "package_sha256": (None, recorded.sha256),
                        "content_sha256": (None, snap.content_sha256),
                    },
                )
            ],
        )
        uow.commit()
    return ExportedFile(recorded.file_name, MEDIA_TYPES[ExportFormat.ZIP], data, attempt)


def submission_packages(ctx: ServiceContext, fai_id: str) -> list[SubmissionPackage]:
    """Every package built for submission of the FAI, oldest first (without their bytes)."""
    fai = first_articles.get_first_article(ctx, fai_id).fai
    with ctx.uow_factory() as uow:
        return uow.packages.for_first_article(fai.site_id, fai.id)


def submission_package(ctx: ServiceContext, fai_id: str, attempt: int) -> ExportedFile:
    """The package of one attempt, exactly as it was built."""
    fai = first_articles.get_first_article(ctx, fai_id).fai
    with ctx.uow_factory() as uow:
        kept = found(
            uow.packages.get(fai.site_id, fai.id, attempt),
            "Submission package",
            f"{fai.fair_identifier} attempt {attempt}",
        )
    return ExportedFile(kept.file_name, MEDIA_TYPES[ExportFormat.ZIP], kept.content, attempt)

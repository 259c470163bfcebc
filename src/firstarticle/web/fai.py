"""The FAI page (Forms 1-3 as tabs, readiness, results, NCs, holds, signatures, audit) and
the forms it posts. A refused form is shown again with what was typed and each error by its
field; a password is never sent back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from firstarticle.api.forms import download
from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.decisions import Outcome, RequestedAction
from firstarticle.domain.errors import DomainError
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.lifecycle import EDITABLE_STATUSES, FaiAction
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.domain.values import AttributeResult
from firstarticle.services import (
    decisions,
    fai_export,
    first_articles,
    holds,
    identity,
    signatures,
)
from firstarticle.web.actions import actions_for
from firstarticle.web.decision_forms import page_values, transcribe_posted
from firstarticle.web.forms import FieldError, choice_of, decimal_of, moment_of
from firstarticle.web.session import (
    NOTHING_REFUSED,
    CurrentPage,
    Page,
    Refusal,
    error_page,
    forbidden_form,
    posted,
    submit,
    submit_posted,
)

router = APIRouter(prefix="/fai", include_in_schema=False)
TABS = {
    "overview": "Overview",
    "form1": "Form 1 · Accountability",
    "form2": "Form 2 · Materials and processes",
    "form3": "Form 3 · Characteristics",
    "signatures": "Signatures",
    "package": "Forms and package",
    "audit": "Audit trail",
}
AUDIT_PAGE = 50
DONE = {
    "result": "The result is recorded.",
    "verify": "The result is verified.",
    "nc": "The nonconformance is linked.",
    "sign": "Your signature is recorded.",
    "transition": "The FAI moved on.",
    "decision": "The customer's decision is transcribed; a second person verifies it.",
    "verified": "The transcription is verified and in effect.",
    "refused": "The transcription is refused.",
    "form1": "Form 1 is updated.",
    "form2": "The Form 2 row is added.",
    "none": "'None applies' is stated under your name.",
    "evidence": "The evidence is linked.",
    "package": "The package is built and recorded; download it below.",
}
MEANINGS = {m.value: m for m in SignatureMeaning if m.rule.record_type == "first_article"}


def render_fai(
    page: Page,
    fai_id: str,
    tab: str,
    refusal: Refusal = NOTHING_REFUSED,
    number: int = 1,
) -> Response:
    """The FAI page on ``tab``; with a refused form's values and errors when given.
    ``number`` pages the audit trail."""
    try:
        detail = first_articles.get_first_article(page.ctx, fai_id)
        signed = signatures.signatures_of(page.ctx, fai_id)
        trail = (
            first_articles.audit_trail_page(
                page.ctx, fai_id, AUDIT_PAGE, (max(1, number) - 1) * AUDIT_PAGE
            )
            if tab == "audit"
            else None
        )
        check = fai_export.presubmission_check(page.ctx, fai_id) if tab == "package" else []
        packages = fai_export.submission_packages(page.ctx, fai_id) if tab == "package" else []
        active = holds.list_holds(
            page.ctx,
            site_id=detail.fai.site_id,
            status=HoldStatus.ACTIVE,
            limit=page.ctx.page_size_max,
        ).items
    except DomainError as error:
        return error_page(page, error)
    own_holds = [h for h in active if h.part_revision_id == detail.fai.part_revision_id]
    return page.render_form(
        "fai.html",
        refusal,
        DONE,
        d=detail,
        f=detail.fai,
        tab=tab if tab in TABS else "overview",
        tabs=TABS,
        signatures=signed,
        trail=trail,
        trail_number=number,
        trail_pages=max(1, -(-trail.total // AUDIT_PAGE)) if trail else 1,
        presubmission=check,
        submission_blocked=any(x.blocking for x in check),
        packages=packages,
        may_submit=page.can(Permission.FAI_TRANSITION),
        holds=own_holds,
        actions=actions_for(detail, page.ctx.principal),
        blocking=[x for x in detail.findings if x.blocking],
        warnings=[x for x in detail.findings if not x.blocking],
        unverified=[
            (line, r)
            for line in detail.form3
            for r in line.results
            if r.source is model.ResultSource.MANUAL_ENTRY and r.verified_by is None
        ],
        serials=detail.form1.serial_numbers,
        kinds=list(model.NonconformanceKind),
        meanings={
            value: meaning
            for value, meaning in MEANINGS.items()
            if page.can(signatures.PERMISSION_BY_MEANING[meaning])
            and detail.fai.status in meaning.rule.signable_in
        },
        outcomes=list(Outcome),
        requested_actions=list(RequestedAction),
        **page_values(page.ctx, fai_id),
        editable=detail.fai.status in EDITABLE_STATUSES,
        form2_kinds=list(model.Form2Kind),
        evidence_kinds=list(model.EvidenceKind),
        approvals=list(model.CustomerApprovalVerification),
        now=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
    )


@router.get("/{fai_id}")
def fai_page(
    page: CurrentPage,
    fai_id: str,
    tab: str = "overview",
    number: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return render_fai(page, fai_id, tab, number=number)


@router.post("/{fai_id}/packages")
async def build_package(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """Build the submission package: recorded as the next attempt when the pre-submission
    check passes (back to the tab, which lists it), or a draft handed over at once."""
    form = await posted(request)
    if form.get("draft") == "true":
        if not page.checked(form):
            return forbidden_form(page)
        try:
            return download(fai_export.export_forms(page.ctx, fai_id, "zip", draft=True))
        except DomainError as error:
            return error_page(page, error)
    return submit(
        page,
        form,
        form_name="package",
        default_field="draft",
        act=lambda: fai_export.export_forms(page.ctx, fai_id, "zip"),
        again=lambda refusal: render_fai(page, fai_id, "package", refusal),
        then=f"/web/fai/{fai_id}?tab=package&done=package",
    )


async def post_fai_form(
    request: Request,
    page: Page,
    fai_id: str,
    tab: str,
    form_name: str,
    default_field: str,
    act: Callable[[dict[str, str]], object],
) -> Response:
    """A form of the FAI page: back to ``tab`` saying what was done (DONE by the form's
    name), or the tab again with the refused form."""
    return await submit_posted(
        request,
        page,
        form_name=form_name,
        default_field=default_field,
        act=act,
        again=lambda refusal: render_fai(page, fai_id, tab, refusal),
        then=f"/web/fai/{fai_id}?tab={tab}&done={form_name.split('-')[0]}",
    )


@router.post("/{fai_id}/results")
async def record_result(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """A manual result: a value with units, or an attribute verdict."""

    def act(form: dict[str, str]) -> None:
        value = decimal_of(form.get("value", ""), "value")
        attribute = form.get("attribute", "")
        item = first_articles.ResultInput(
            balloon=form.get("balloon", "").strip(),
            measured_at=moment_of(form.get("measured_at", ""), "measured_at"),
            source=model.ResultSource.MANUAL_ENTRY,
            value=value,
            units=form.get("units", "").strip() or None,
            attribute=choice_of(AttributeResult, attribute, "attribute") if attribute else None,
            serial_number=form.get("serial_number", "").strip() or None,
            operator=form.get("operator", "").strip() or page.ctx.actor,
            device=form.get("device", "").strip() or None,
        )
        if value is None and item.attribute is None:
            raise FieldError("Enter a measured value, or choose accept or reject.", field="value")
        first_articles.record_results(page.ctx, fai_id, [item])

    return await post_fai_form(request, page, fai_id, "form3", "result", "balloon", act)


@router.post("/{fai_id}/results/{result_id}/verification")
async def verify_result(
    request: Request, page: CurrentPage, fai_id: str, result_id: str
) -> Response:
    def act(form: dict[str, str]) -> object:
        return first_articles.verify_result(page.ctx, fai_id, result_id)

    return await post_fai_form(request, page, fai_id, "form3", f"verify-{result_id}", "verify", act)


@router.post("/{fai_id}/nonconformances")
async def link_nonconformance(request: Request, page: CurrentPage, fai_id: str) -> Response:
    def act(form: dict[str, str]) -> None:
        first_articles.link_nonconformance(
            page.ctx,
            fai_id,
            kind=choice_of(model.NonconformanceKind, form.get("kind", ""), "kind"),
            number=form.get("number", ""),
            title=form.get("title", "").strip() or None,
            balloons=[b.strip() for b in form.get("balloons", "").split(",") if b.strip()],
        )

    return await post_fai_form(request, page, fai_id, "overview", "nc", "number", act)


@router.post("/{fai_id}/signatures")
async def sign(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """Sign with a meaning after re-entering the password (a fresh nonce per attempt)."""

    def act(form: dict[str, str]) -> None:
        meaning = MEANINGS.get(form.get("meaning", ""))
        if meaning is None:
            raise FieldError("Choose what you sign.", field="meaning")
        nonce, _ = identity.issue_signing_nonce(page.ctx)
        signatures.sign_first_article(
            page.ctx,
            fai_id,
            meaning,
            nonce=nonce,
            password=form.get("password", "")[:1024],
            totp_code=form.get("totp_code", "").strip()[:10] or None,
            reason=form.get("reason", "").strip() or None,
        )

    return await post_fai_form(request, page, fai_id, "signatures", "sign", "password", act)


@router.post("/{fai_id}/transitions")
async def transition(request: Request, page: CurrentPage, fai_id: str) -> Response:
    def act(form: dict[str, str]) -> None:
        first_articles.transition(
            page.ctx,
            fai_id,
            choice_of(FaiAction, form.get("action", ""), "action"),
            reason=form.get("reason", "").strip() or None,
        )

    return await post_fai_form(request, page, fai_id, "overview", "transition", "reason", act)


@router.post("/{fai_id}/customer-decisions")
async def transcribe_customer_decision(
    request: Request, page: CurrentPage, fai_id: str
) -> Response:
    """The customer's decision transcribed with the file it came in; a second person
    verifies it before it takes effect."""
    form = await request.form(max_files=1, max_fields=30)
    upload = form.get("evidence")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    # The file field is named too, so that an error about it is shown beside it.
    strings = {k: v for k, v in form.items() if isinstance(v, str)} | {"evidence": ""}

    def act() -> None:
        transcribe_posted(page.ctx, fai_id, strings, upload, content)

    return submit(
        page,
        strings,
        form_name="decision",
        default_field="customer_person_id",
        act=act,
        again=lambda refusal: render_fai(page, fai_id, "overview", refusal),
        then=f"/web/fai/{fai_id}?tab=overview&done=decision",
    )


@router.post("/{fai_id}/customer-decisions/{decision_id}/verification")
async def verify_customer_decision(
    request: Request, page: CurrentPage, fai_id: str, decision_id: str
) -> Response:
    """A second person checked the transcription against its evidence."""

    def act(form: dict[str, str]) -> None:
        decisions.verify(page.ctx, fai_id, decision_id)

    return await post_fai_form(request, page, fai_id, "overview", "verified", "decision", act)


@router.post("/{fai_id}/customer-decisions/{decision_id}/refusal")
async def refuse_customer_decision(
    request: Request, page: CurrentPage, fai_id: str, decision_id: str
) -> Response:
    """The transcription does not match its evidence."""

    def act(form: dict[str, str]) -> None:
        decisions.refuse(page.ctx, fai_id, decision_id, form.get("reason", ""))

    return await post_fai_form(request, page, fai_id, "overview", "refused", "reason", act)

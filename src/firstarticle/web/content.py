"""Package content on the FAI page: Form 1 header fields (8, 11, 12, 26), Form 2 rows
(materials, special processes, functional tests) and evidence links. The services say what
may change when."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from firstarticle.domain import model
from firstarticle.services import fai_coverage, first_articles
from firstarticle.web.fai import post_fai_form
from firstarticle.web.forms import choice_of
from firstarticle.web.session import CurrentPage

router = APIRouter(prefix="/fai", include_in_schema=False)
FORM1_FIELDS = ("additional_changes", "supplier_code", "purchase_order", "comments")
FORM2_TEXT = (
    "specification",
    "code",
    "supplier",
    "certificate_number",
    "functional_test_procedure",
    "acceptance_report",
    "comments",
)


@router.post("/{fai_id}/form1")
async def update_form1(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """Change the Form 1 fields people fill; an emptied field is cleared."""

    def act(form: dict[str, str]) -> None:
        version = form.get("expected_version", "")
        first_articles.update_first_article(
            page.ctx,
            fai_id,
            {name: form.get(name, "").strip() or None for name in FORM1_FIELDS},
            int(version) if version.isdigit() else None,
        )

    return await post_fai_form(request, page, fai_id, "form1", "form1", "comments", act)


@router.post("/{fai_id}/form2")
async def add_form2_row(request: Request, page: CurrentPage, fai_id: str) -> Response:
    def act(form: dict[str, str]) -> None:
        approval = form.get("customer_approval", "")
        first_articles.add_form2_row(
            page.ctx,
            fai_id,
            kind=choice_of(model.Form2Kind, form.get("kind", ""), "kind"),
            name=form.get("name", ""),
            customer_approval=(
                choice_of(model.CustomerApprovalVerification, approval, "customer_approval")
                if approval
                else None
            ),
            **{name: form.get(name, "").strip() or None for name in FORM2_TEXT},
        )

    return await post_fai_form(request, page, fai_id, "form2", "form2", "name", act)


@router.post("/{fai_id}/form2-none")
async def state_none_applies(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """State, under the signed-in person's name, that no entry of a Form 2 category applies."""

    def act(form: dict[str, str]) -> None:
        fai_coverage.state_none_applies(
            page.ctx,
            fai_id,
            kind=choice_of(model.Form2Kind, form.get("kind", ""), "kind"),
            reason=form.get("reason", ""),
        )

    return await post_fai_form(request, page, fai_id, "form2", "none", "reason", act)


@router.post("/{fai_id}/evidence")
async def add_evidence(request: Request, page: CurrentPage, fai_id: str) -> Response:
    """Link evidence kept elsewhere (traveler step, certificate, report) by URI and SHA-256."""

    def act(form: dict[str, str]) -> None:
        first_articles.add_evidence(
            page.ctx,
            fai_id,
            kind=choice_of(model.EvidenceKind, form.get("kind", ""), "kind"),
            uri=form.get("uri", "").strip(),
            sha256=form.get("sha256", "").strip().lower(),
            title=form.get("title", ""),
        )

    return await post_fai_form(request, page, fai_id, "overview", "evidence", "uri", act)

"""The hold list, a hold with its overrides (request, and the second signature with
re-authentication), and the gate decision log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from firstarticle.domain.errors import DomainError
from firstarticle.domain.holds import HoldStatus
from firstarticle.services import catalog, gate, holds, identity, signatures
from firstarticle.web.forms import FieldError, items_of, moment_of
from firstarticle.web.session import (
    NOTHING_REFUSED,
    CurrentPage,
    Page,
    Refusal,
    error_page,
    submit_posted,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
Number = Annotated[int, Query(ge=1, le=100_000)]
DONE = {
    "revoked": "The override is revoked; the hold stops what it covers again.",
    "requested": "The override is requested; it counts once a second person signs it.",
    "signed": "The override is signed; it counts until it expires or is revoked.",
}


def _site_codes(page: Page) -> dict[str, str]:
    sites = catalog.list_sites(page.ctx, limit=page.ctx.page_size_max).items
    return {s.id: s.code for s in sites}


@router.get("/holds")
def hold_list(
    page: CurrentPage, status: HoldStatus | None = HoldStatus.ACTIVE, number: Number = 1
) -> Response:
    try:
        result = holds.list_holds(
            page.ctx, status=status, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        codes = _site_codes(page)
    except DomainError as error:
        return error_page(page, error)
    return page.render(
        "holds.html",
        result=result,
        site_codes=codes,
        status=status.value if status else "",
        statuses=list(HoldStatus),
        number=number,
        pages=max(1, -(-result.total // PAGE_SIZE)),
        now=datetime.now(UTC),
    )


def _hold_page(page: Page, hold_id: str, refusal: Refusal = NOTHING_REFUSED) -> Response:
    try:
        hold = holds.get_hold(page.ctx, hold_id)
        codes = _site_codes(page)
    except DomainError as error:
        return error_page(page, error)
    now = datetime.now(UTC)
    return page.render_form(
        "hold.html",
        refusal,
        DONE,
        h=hold,
        site_codes=codes,
        now=now,
        default_expiry=(now + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M"),
    )


@router.get("/holds/{hold_id}")
def hold_page(page: CurrentPage, hold_id: str) -> Response:
    return _hold_page(page, hold_id)


def _then(hold_id: str, done: str) -> str:
    return f"/web/holds/{hold_id}?done={done}"


@router.post("/holds/{hold_id}/overrides")
async def request_override(request: Request, page: CurrentPage, hold_id: str) -> Response:
    """The first signature of an override: reason, expiry, and the serials or lots covered."""

    def act(form: dict[str, str]) -> None:
        holds.request_override(
            page.ctx,
            hold_id,
            reason=form.get("reason", ""),
            expires_at=moment_of(form.get("expires_at", ""), "expires_at"),
            serial_numbers=items_of(form.get("serial_numbers", "")),
            lots=items_of(form.get("lots", "")),
        )

    return await submit_posted(
        request,
        page,
        form_name="override",
        default_field="reason",
        act=act,
        again=lambda refusal: _hold_page(page, hold_id, refusal),
        then=_then(hold_id, "requested"),
    )


@router.post("/holds/{hold_id}/overrides/{override_id}/signature")
async def sign_override(
    request: Request, page: CurrentPage, hold_id: str, override_id: str
) -> Response:
    """The override's second signature, after the signer enters the password again."""

    def act(form: dict[str, str]) -> None:
        if not form.get("password"):
            raise FieldError("Enter your password to sign.", field="password")
        nonce, _ = identity.issue_signing_nonce(page.ctx)
        signatures.sign_override(
            page.ctx,
            hold_id,
            override_id,
            nonce=nonce,
            password=form.get("password", "")[:1024],
            totp_code=form.get("totp_code", "").strip()[:10] or None,
        )

    return await submit_posted(
        request,
        page,
        form_name=f"sign-{override_id}",
        default_field="password",
        act=act,
        again=lambda refusal: _hold_page(page, hold_id, refusal),
        then=_then(hold_id, "signed"),
    )


@router.post("/holds/{hold_id}/overrides/{override_id}/revocation")
async def revoke_override(
    request: Request, page: CurrentPage, hold_id: str, override_id: str
) -> Response:
    """Withdraw an override before it expires, with a reason."""
    return await submit_posted(
        request,
        page,
        form_name=f"revoke-{override_id}",
        default_field="reason",
        act=lambda form: holds.revoke_override(
            page.ctx, hold_id, override_id, form.get("reason", "")
        ),
        again=lambda refusal: _hold_page(page, hold_id, refusal),
        then=_then(hold_id, "revoked"),
    )


@router.get("/gate")
def gate_log(page: CurrentPage, number: Number = 1) -> Response:
    """Recorded gate decisions of the person's sites, newest first."""
    try:
        result = gate.list_decisions(page.ctx, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        codes = _site_codes(page)
    except DomainError as error:
        return error_page(page, error)
    return page.render(
        "gate.html",
        result=result,
        site_codes=codes,
        number=number,
        pages=max(1, -(-result.total // PAGE_SIZE)),
    )

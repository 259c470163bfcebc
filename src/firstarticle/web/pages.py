"""Sign-in and sign-out, the dashboard and the FAI list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from firstarticle.access import secrets
from firstarticle.api.access import set_session_cookie
from firstarticle.api.deps import SESSION_COOKIE, anonymous_context
from firstarticle.domain.access import AuthenticationError, TooManyAttemptsError
from firstarticle.domain.errors import DomainError
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.services import catalog, first_articles, holds, identity
from firstarticle.web.session import (
    SIGN_IN_COOKIE,
    CurrentPage,
    Page,
    error_page,
    posted,
    render,
    safe_next,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
REASONS = {
    "signin": "Sign in to continue.",
    "expired": "Your session ended (idle too long, or past its absolute limit). Sign in again.",
    "signed_out": "You are signed out.",
}


def _sign_in_form(
    request: Request,
    *,
    status_code: int = 200,
    username: str = "",
    error: str | None = None,
    next_path: str = "/web/",
) -> Response:
    """The sign-in form bound to a fresh pre-session token (no login CSRF)."""
    token = secrets.new_secret()
    response = render(
        request,
        "sign_in.html",
        status_code,
        username=username,
        error=error,
        next_path=safe_next(next_path),
        reason=REASONS.get(request.query_params.get("reason", "")),
        form_token=token,
    )
    settings = request.app.state.application.settings
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=1800,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/web/sign-in",
    )
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/web/") -> Response:
    return _sign_in_form(request, next_path=next)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Password (and TOTP code where enrolled); the API's session cookie on success."""
    form = await posted(request)
    username = form.get("username", "").strip()[:100]
    next_path = form.get("next", "/web/")
    if not secrets.same(form.get("form_token", ""), request.cookies.get(SIGN_IN_COOKIE, "")):
        return _sign_in_form(
            request,
            status_code=403,
            username=username,
            error="The sign-in form expired; please try again.",
            next_path=next_path,
        )
    try:
        signed = identity.login(
            anonymous_context(request),
            username,
            form.get("password", "")[:1024],
            form.get("totp_code", "").strip()[:10] or None,
            source=request.client.host if request.client else None,
        )
    except (AuthenticationError, TooManyAttemptsError) as error:
        status = 429 if isinstance(error, TooManyAttemptsError) else 401
        return _sign_in_form(
            request, status_code=status, username=username, error=error.message, next_path=next_path
        )
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(request, response, signed)
    response.delete_cookie(SIGN_IN_COOKIE, path="/web/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, page: CurrentPage) -> Response:
    form = await posted(request)
    if not page.checked(form):
        return page.render("error.html", 403, error=DomainError("Reload the page to sign out."))
    identity.logout(page.ctx, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/web/sign-in?reason=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _sites(page: Page) -> list[Any]:
    return list(catalog.list_sites(page.ctx, limit=page.ctx.page_size_max).items)


def _status_tile(page: Page, status: FaiStatus, site: str | None) -> tuple[FaiStatus, int, Any]:
    """A status, how many FAIs stand in it, and when the oldest of them was opened (the
    last of the newest-first list): two fixed queries whatever the data."""
    newest = first_articles.list_first_articles(page.ctx, site_id=site, status=status, limit=1)
    if newest.total <= 1:
        return status, newest.total, newest.items[0].created_at if newest.items else None
    oldest = first_articles.list_first_articles(
        page.ctx, site_id=site, status=status, limit=1, offset=newest.total - 1
    )
    return status, newest.total, oldest.items[0].created_at if oldest.items else None


@router.get("/")
def dashboard(
    page: CurrentPage, site: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """FAIs by status with counts and the age of the oldest (each links to its list), open
    holds. A fixed number of queries whatever the data."""
    try:
        sites = _sites(page)
        tiles = [_status_tile(page, status, site or None) for status in FaiStatus]
        open_holds = holds.list_holds(
            page.ctx, site_id=site or None, status=HoldStatus.ACTIVE, limit=10
        )
    except DomainError as error:
        return error_page(page, error)
    return page.render(
        "dashboard.html",
        sites=sites,
        site_codes={s.id: s.code for s in sites},
        site=site or "",
        tiles=tiles,
        open_count=sum(n for s, n, _ in tiles if s.is_open),
        open_holds=open_holds,
        now=datetime.now(UTC),
    )


@router.get("/fai")
def fai_list(
    page: CurrentPage,
    status: FaiStatus | None = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    revision: Annotated[str | None, Query(max_length=64)] = None,
    number: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The FAIs the person may see, newest first, filtered and paged."""
    try:
        sites = _sites(page)
        result = first_articles.list_first_articles(
            page.ctx,
            site_id=site or None,
            status=status,
            part_revision_id=revision or None,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
    except DomainError as error:
        return error_page(page, error)
    pages = max(1, -(-result.total // PAGE_SIZE))
    return page.render(
        "fai_list.html",
        sites=sites,
        site_codes={s.id: s.code for s in sites},
        statuses=list(FaiStatus),
        status=status.value if status else "",
        site=site or "",
        revision=revision or "",
        result=result,
        number=number,
        pages=pages,
    )

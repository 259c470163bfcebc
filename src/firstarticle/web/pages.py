"""Sign-in and sign-out, the dashboard and the FAI list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from firstarticle.access import secrets
from firstarticle.api.access import set_session_cookie
from firstarticle.api.deps import SESSION_COOKIE, anonymous_context
from firstarticle.domain.access import AuthenticationError, TooManyAttemptsError
from firstarticle.domain.errors import DomainError
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.ports import FaiFilter, FaiSort
from firstarticle.services import catalog, fai_yield, first_articles, holds, identity, tasks
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
YIELD_ROWS = 10  # customers whose first-pass yield the dashboard shows unfiltered
REASONS = {
    "signin": "Sign in to continue.",
    "expired": "Your session ended (idle too long, or past its absolute limit). Sign in again.",
    "signed_out": "You are signed out.",
    "sso_failed": "Single sign-on did not sign you in (no account is linked to that identity, "
    "or the sign-on expired). Try again or sign in with your password.",
}


def _offers_sso(request: Request) -> bool:
    application = request.app.state.application
    return application.oidc_client is not None or bool(application.settings.oidc_issuer)


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
        sso=_offers_sso(request),
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


Text = Annotated[str | None, Query(max_length=64)]


def _filter(site: str | None, customer: str | None, program: str | None, part: str | None):
    return FaiFilter(
        site_id=site or None,
        customer_id=customer or None,
        program=program or None,
        part_id=part or None,
    )


def _choices(page: Page) -> dict[str, Any]:
    """What the filter forms offer: the person's sites, the customers and the parts."""
    sites = _sites(page)
    size = page.ctx.page_size_max
    return {
        "sites": sites,
        "site_codes": {s.id: s.code for s in sites},
        "customers": list(catalog.list_customers(page.ctx, limit=size).items),
        "parts": list(catalog.list_parts(page.ctx, limit=size).items),
    }


def _yields(page: Page, customers: list[Any], customer: str | None, site: str | None) -> list[Any]:
    """First-pass yield of the chosen customer, else of the first customers listed (bounded,
    so the dashboard's queries do not grow with the plant)."""
    chosen = [c for c in customers if c.id == customer] if customer else customers[:YIELD_ROWS]
    return [(c, fai_yield.first_pass_yield(page.ctx, c.id, site=site or None)) for c in chosen]


@router.get("/")
def dashboard(
    page: CurrentPage,
    site: Text = None,
    customer: Text = None,
    program: Text = None,
    part: Text = None,
) -> Response:
    """FAIs by status with counts and the age of the oldest (each links to its list),
    overdue tasks, open holds, first-pass yield by customer; filtered by site, customer,
    program and part. A bounded number of queries whatever the data."""
    which = _filter(site, customer, program, part)
    try:
        choices = _choices(page)
        counts = {c.status: c for c in first_articles.status_counts(page.ctx, which)}
        open_holds = holds.list_holds(
            page.ctx, site_id=site or None, status=HoldStatus.ACTIVE, limit=10
        )
        overdue = tasks.inbox(page.ctx, site_id=site or None, overdue=True, limit=1)
        yields = _yields(page, choices["customers"], customer, site)
    except DomainError as error:
        return error_page(page, error)
    tiles = [
        (status, counts[status].count if status in counts else 0, counts.get(status))
        for status in FaiStatus
    ]
    return page.render(
        "dashboard.html",
        **choices,
        site=site or "",
        customer=customer or "",
        program=program or "",
        part=part or "",
        query=_query(site=site, customer=customer, program=program, part=part),
        tiles=[(s, n, c.oldest if c else None) for s, n, c in tiles],
        open_count=sum(n for s, n, _ in tiles if s.is_open),
        open_holds=open_holds,
        overdue_tasks=overdue.total,
        yields=yields,
        now=datetime.now(UTC),
    )


def _query(**given: str | None) -> str:
    """The filters as a query string tail (``&site=...``), for links that keep them."""
    return "".join(f"&{k}={quote(v)}" for k, v in given.items() if v)


@router.get("/fai")
def fai_list(
    page: CurrentPage,
    status: FaiStatus | None = None,
    site: Text = None,
    revision: Text = None,
    customer: Text = None,
    program: Text = None,
    part: Text = None,
    sort: FaiSort = FaiSort.CREATED,
    order: Literal["asc", "desc"] = "desc",
    number: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The FAIs the person may see, filtered, sorted (id breaks ties) and paged."""
    try:
        choices = _choices(page)
        result = first_articles.list_first_articles(
            page.ctx,
            site_id=site or None,
            status=status,
            part_revision_id=revision or None,
            customer_id=customer or None,
            program=program or None,
            part_id=part or None,
            sort=sort,
            descending=order == "desc",
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
    except DomainError as error:
        return error_page(page, error)
    pages = max(1, -(-result.total // PAGE_SIZE))
    return page.render(
        "fai_list.html",
        **choices,
        statuses=list(FaiStatus),
        sorts=list(FaiSort),
        sort=sort.value,
        order=order,
        customer=customer or "",
        program=program or "",
        part=part or "",
        query=_query(
            status=status.value if status else None,
            site=site,
            revision=revision,
            customer=customer,
            program=program,
            part=part,
        ),
        status=status.value if status else "",
        site=site or "",
        revision=revision or "",
        result=result,
        number=number,
        pages=pages,
    )

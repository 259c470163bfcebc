"""Administration: people (roles, sites, export authorizations, API tokens) and sites.
The services decide who may administer whom; these pages only show and send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from firstarticle.domain.access import AuthorizationKind, Role
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.errors import DomainError
from firstarticle.services import catalog, identity
from firstarticle.web.forms import FieldError, choice_of, items_of, posted_lists
from firstarticle.web.session import (
    NOTHING_REFUSED,
    CurrentPage,
    Page,
    Refusal,
    error_page,
    posted,
    submit,
)

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_SIZE = 25
PERSON_ROLES = [r for r in Role if not r.is_system]
DONE = {
    "created": "The person is created.",
    "granted": "Access changed.",
    "authorized": "The export authorization is recorded.",
    "revoked": "Revoked.",
    "site": "The site is created.",
}


def _date(text: str, name: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldError("Enter a date.", field=name) from None


def _roles(values: list[str], name: str) -> list[Role]:
    return [choice_of(Role, v, name) for v in values]


# --- people --------------------------------------------------------------------------------


def _users_page(page: Page, number: int, refusal: Refusal = NOTHING_REFUSED) -> Response:
    try:
        result = identity.list_users(page.ctx, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    except DomainError as error:
        return error_page(page, error)
    return page.render_form(
        "admin_users.html",
        refusal,
        DONE,
        result=[identity.describe(u) for u in result.items],
        total=result.total,
        number=number,
        pages=max(1, -(-result.total // PAGE_SIZE)),
        roles=PERSON_ROLES,
    )


@router.get("/users")
def users(page: CurrentPage, number: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    return _users_page(page, number)


@router.post("/users")
async def create_user(request: Request, page: CurrentPage) -> Response:
    form, lists = await posted_lists(request)
    username = form.get("username", "").strip().lower()
    return submit(
        page,
        {**form, "roles": lists.get("roles", [])},
        form_name="user",
        default_field="username",
        act=lambda: identity.create_user(
            page.ctx,
            username=username,
            printed_name=form.get("printed_name", "").strip(),
            roles=_roles(lists.get("roles", []), "roles"),
            sites=items_of(form.get("sites", "")),
            all_sites=form.get("all_sites") == "on",
            citizenships=[c.upper() for c in items_of(form.get("citizenships", ""))],
            email=form.get("email", "").strip() or None,
            password=form.get("password") or None,
        ),
        again=lambda refusal: _users_page(page, 1, refusal),
        then=f"/web/admin/users/{username}?done=created",
    )


def _user_page(
    page: Page,
    username: str,
    refusal: Refusal = NOTHING_REFUSED,
    issued: identity.IssuedToken | None = None,
) -> Response:
    try:
        user = identity.describe(identity.get_user(page.ctx, username))
        tokens = identity.list_tokens(page.ctx, username)
    except DomainError as error:
        return error_page(page, error)
    return page.render_form(
        "admin_user.html",
        refusal,
        DONE,
        u=user,
        tokens=tokens,
        roles=PERSON_ROLES,
        kinds=list(AuthorizationKind),
        regimes=list(ExportRegime),
        issued=issued,
    )


@router.get("/users/{username}")
def user(page: CurrentPage, username: str) -> Response:
    return _user_page(page, username)


async def _user_post(
    request: Request,
    page: Page,
    username: str,
    form_name: str,
    done: str,
    act: Callable[[dict[str, str], dict[str, list[str]]], object],
) -> Response:
    form, lists = await posted_lists(request)
    return submit(
        page,
        form,
        form_name=form_name,
        default_field="reason",
        act=lambda: act(form, lists),
        again=lambda refusal: _user_page(page, username, refusal),
        then=f"/web/admin/users/{username}?done={done}",
    )


@router.post("/users/{username}/grants")
async def grant(request: Request, page: CurrentPage, username: str) -> Response:
    def act(form: dict[str, str], lists: dict[str, list[str]]) -> object:
        return identity.grant(
            page.ctx,
            username,
            roles=_roles(lists.get("roles", []), "roles"),
            revoke_roles=_roles(lists.get("revoke_roles", []), "revoke_roles"),
            sites=items_of(form.get("sites", "")),
            revoke_sites=items_of(form.get("revoke_sites", "")),
            reason=form.get("reason", ""),
        )

    return await _user_post(request, page, username, "grant", "granted", act)


@router.post("/users/{username}/authorizations")
async def authorize(request: Request, page: CurrentPage, username: str) -> Response:
    def act(form: dict[str, str], lists: dict[str, list[str]]) -> object:
        regime = form.get("regime", "")
        return identity.add_authorization(
            page.ctx,
            username,
            kind=choice_of(AuthorizationKind, form.get("kind", ""), "kind"),
            regime=choice_of(ExportRegime, regime, "regime") if regime else None,
            categories=[c.upper() for c in items_of(form.get("categories", ""))],
            reference=form.get("reference", "").strip() or None,
            expires_on=_date(form.get("expires_on", ""), "expires_on"),
            reason=form.get("reason", ""),
        )

    return await _user_post(request, page, username, "authorization", "authorized", act)


@router.post("/users/{username}/authorizations/{authorization_id}/revocation")
async def revoke_authorization(
    request: Request, page: CurrentPage, username: str, authorization_id: str
) -> Response:
    def act(form: dict[str, str], lists: dict[str, list[str]]) -> object:
        return identity.revoke_authorization(
            page.ctx, username, authorization_id, form.get("reason", "")
        )

    return await _user_post(request, page, username, f"revoke-{authorization_id}", "revoked", act)


@router.post("/users/{username}/tokens")
async def create_token(request: Request, page: CurrentPage, username: str) -> Response:
    """Issue a token and show its secret this once (never again, never stored)."""
    form, _ = await posted_lists(request)
    issued: list[identity.IssuedToken] = []

    def act() -> None:
        days = form.get("days", "").strip()
        if days and not days.isdigit():
            raise FieldError("Enter a number of days.", field="days")
        issued.append(
            identity.create_token(
                page.ctx, username, name=form.get("name", ""), days=int(days) if days else None
            )
        )

    # On success the page itself shows the secret (once): no redirect that would lose it.
    answer = submit(
        page,
        form,
        form_name="token",
        default_field="name",
        act=act,
        again=lambda refusal: _user_page(page, username, refusal),
        then="",
    )
    return _user_page(page, username, issued=issued[0]) if issued else answer


@router.post("/users/{username}/tokens/{token_id}/revocation")
async def revoke_token(
    request: Request, page: CurrentPage, username: str, token_id: str
) -> Response:
    def act(form: dict[str, str], lists: dict[str, list[str]]) -> object:
        return identity.revoke_token(page.ctx, token_id, form.get("reason", ""))

    return await _user_post(request, page, username, f"token-{token_id}", "revoked", act)


# --- sites ---------------------------------------------------------------------------------


def _sites_page(page: Page, refusal: Refusal = NOTHING_REFUSED) -> Response:
    try:
        sites = catalog.list_sites(page.ctx, limit=page.ctx.page_size_max)
    except DomainError as error:
        return error_page(page, error)
    return page.render_form("admin_sites.html", refusal, DONE, sites=sites)


@router.get("/sites")
def sites(page: CurrentPage) -> Response:
    return _sites_page(page)


@router.post("/sites")
async def create_site(request: Request, page: CurrentPage) -> Response:
    form = await posted(request)
    return submit(
        page,
        form,
        form_name="site",
        default_field="code",
        act=lambda: catalog.create_site(
            page.ctx,
            code=form.get("code", ""),
            name=form.get("name", ""),
            timezone=form.get("timezone", "").strip() or "UTC",
        ),
        again=lambda refusal: _sites_page(page, refusal),
        then="/web/admin/sites?done=site",
    )

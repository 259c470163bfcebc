"""The person behind a page: the API's session cookie, its CSRF token on every form, and
the templates every page renders with.

A page needs a signed-in person. Without a usable session it sends the browser to sign-in,
saying why (never signed in, or the session ended through idle or absolute expiry). Every
form posts the session's CSRF token in a hidden field; a post without the right token
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from firstarticle.access import secrets
from firstarticle.api.deps import SESSION_COOKIE, anonymous_context
from firstarticle.api.problems import STATUS_BY_ERROR
from firstarticle.domain.access import AuthenticationError, Permission
from firstarticle.domain.errors import DomainError
from firstarticle.services import ServiceContext, identity
from firstarticle.web.forms import field_errors

HERE = Path(__file__).resolve().parent
CSRF_FIELD = "csrf_token"
# Before sign-in there is no session: the sign-in form is bound to this cookie instead.
SIGN_IN_COOKIE = "fa_sign_in"

# Pages hold controlled data and signing forms: never cached, never framed, and only this
# application's own scripts, styles and images (no CDN, no inline script).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime | None, zone: str = "UTC") -> str:
    """A time as people read it, always with its zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _words(value: object) -> str:
    """An enum value or snake_case code in the plant's words."""
    text = str(getattr(value, "value", value) or "")
    return text.replace("_", " ").capitalize()


templates.filters["when"] = _when
templates.filters["number"] = _number
templates.filters["words"] = _words


@dataclass
class Page:
    """A signed-in person's request: the service context and the session's CSRF token."""

    request: Request
    ctx: ServiceContext
    csrf_token: str

    def can(self, permission: Permission) -> bool:
        """Whether the person holds ``permission`` (only to show or hide a control)."""
        return self.ctx.principal.can(permission)

    def render(self, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return render(self.request, name, status_code, page=self, me=self.ctx.principal, **values)

    def checked(self, form: Mapping[str, Any]) -> bool:
        """True when a posted form carries this session's CSRF token."""
        token = form.get(CSRF_FIELD, "")
        return isinstance(token, str) and secrets.same(token, self.csrf_token)

    def render_form(
        self, name: str, refusal: Refusal, done: Mapping[str, str], **values: Any
    ) -> HTMLResponse:
        """A page with forms: a refused one shown again, or the notice of what was done."""
        return self.render(
            name,
            refusal.status_code,
            form=refusal.form,
            errors=refusal.errors,
            form_name=refusal.form_name,
            notice=done.get(self.request.query_params.get("done", "")),
            **values,
        )


@dataclass(frozen=True)
class Refusal:
    """A refused form: what was typed (never a password or token), each error by its field,
    and the status the page answers with; the empty refusal is a page shown normally."""

    form_name: str = ""
    form: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    status_code: int = 200


NOTHING_REFUSED = Refusal()
SECRET_FIELDS = frozenset({"password", CSRF_FIELD})


def submit(
    page: Page,
    form: Mapping[str, Any],
    *,
    form_name: str,
    default_field: str,
    act: Callable[[], object],
    again: Callable[[Refusal], Response],
    then: str,
) -> Response:
    """Run ``act`` for a posted form carrying this session's CSRF token, then go to
    ``then``; when a service refuses, show the page ``again`` with what was typed and the
    error by its field. Without the token nothing runs."""
    if not page.checked(form):
        return forbidden_form(page)
    try:
        act()
    except DomainError as error:
        kept = {k: v for k, v in form.items() if k not in SECRET_FIELDS}
        strings = {k: v for k, v in form.items() if isinstance(v, str)}
        errors = field_errors(error, strings, default_field)
        return again(Refusal(form_name, kept, errors, status_of(error)))
    return RedirectResponse(then, status_code=303)


def render(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    html = templates.get_template(name).render(request=request, path=request.url.path, **values)
    response = HTMLResponse(html, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


class SignInRequiredError(Exception):
    """The page needs a signed-in person; carries why the browser goes to sign-in."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def page_of(request: Request) -> Page:
    """The signed-in person's page context, or SignInRequiredError saying why not."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SignInRequiredError("signin")
    base = anonymous_context(request)
    try:
        principal, session = identity.authenticate_session(base, cookie)
    except AuthenticationError:
        raise SignInRequiredError("expired") from None
    request.state.user_id = principal.user_id
    return Page(request, base.as_principal(principal), session.csrf_token)


# The signed-in person of a page route (sign-in otherwise, saying why).
CurrentPage = Annotated[Page, Depends(page_of)]


def to_sign_in(request: Request, reason: str) -> RedirectResponse:
    """Send the browser to sign-in, back to this page afterwards (GET pages only)."""
    target = request.url.path if request.method == "GET" else "/web/"
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    response = RedirectResponse(
        f"/web/sign-in?reason={reason}&next={quote(target, safe='')}", status_code=303
    )
    if reason == "expired":
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def safe_next(target: str | None) -> str:
    """Only a path inside the web application (no open redirect)."""
    if target and target.startswith("/web/") and "//" not in target and "\\" not in target:
        return target
    return "/web/"


def status_of(error: DomainError) -> int:
    """The same status the API answers for ``error``."""
    return next((s for cls, s in STATUS_BY_ERROR if isinstance(error, cls)), 400)


def error_page(page: Page, error: DomainError) -> Response:
    """A refused read as a page (not found stays not found: nothing about the record leaks)."""
    return page.render("error.html", status_of(error), error=error)


async def posted(request: Request) -> dict[str, str]:
    """The posted form as plain strings (files are not taken here)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def forbidden_form(page: Page) -> Response:
    """A post without this session's CSRF token: nothing changes."""
    return page.render(
        "error.html",
        403,
        error=DomainError("This form was not sent from this session; reload the page."),
    )


async def submit_posted(
    request: Request,
    page: Page,
    *,
    form_name: str,
    default_field: str,
    act: Callable[[dict[str, str]], object],
    again: Callable[[Refusal], Response],
    then: str,
) -> Response:
    """:func:`submit` for a plain posted form, ``act`` given its values."""
    form = await posted(request)
    return submit(
        page,
        form,
        form_name=form_name,
        default_field=default_field,
        act=lambda: act(form),
        again=again,
        then=then,
    )

"""Sign-in, sessions, the caller's own account, user and token administration, and export
classification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import Field, SecretStr, StringConstraints

from firstarticle.access.oidc import OidcClient, OidcError
from firstarticle.api.deps import SESSION_COOKIE, Anonymous, Ctx, Limit, Offset, get_app_state
from firstarticle.api.schemas import In, Out, PageOut, PartOut, Text
from firstarticle.domain.access import (
    AuthenticationError,
    AuthMethod,
    AuthorizationKind,
    Permission,
    Role,
)
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.errors import NotFoundError
from firstarticle.services import ServiceContext, catalog, identity

router = APIRouter(prefix="/api/v1")

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
# The stored form is lower case (domain/access.check_username); the schema says which names a
# new user may take, so that a generated client refuses the others before asking.
NewUsername = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=2,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]+$",
    ),
]
Password = Annotated[SecretStr, Field(min_length=1, max_length=1024)]
Totp = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)]


class LoginIn(In):
    username: Username
    password: Password
    totp_code: Totp | None = None


class MeOut(Out):
    id: str
    username: str
    printed_name: str
    roles: list[str]
    site_ids: list[str] | None
    permissions: list[str]
    method: str


class SessionOut(Out):
    user: MeOut
    csrf_token: str
    expires_at: datetime


class PasswordIn(In):
    current_password: Password | None = None
    new_password: Password


class TotpOut(Out):
    otpauth_uri: str


class AuthorizationOut(Out):
    id: str
    kind: str
    regime: str | None
    categories: list[str]
    reference: str | None
    expires_on: date | None
    revoked: bool


class UserOut(Out):
    id: str
    username: str
    printed_name: str
    email: str | None
    roles: list[str]
    site_ids: list[str]
    all_sites: bool
    citizenships: list[str]
    authorizations: list[AuthorizationOut]
    active: bool
    totp: bool
    sso: bool
    created_at: datetime


class UserIn(In):
    username: NewUsername
    printed_name: Text
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    sites: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=100, description="Site codes."
    )
    all_sites: bool = False
    citizenships: list[Annotated[str, StringConstraints(min_length=2, max_length=2)]] = Field(
        default_factory=list, max_length=10
    )
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    password: Password | None = None


class GrantIn(In):
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))
    revoke_roles: list[Role] = Field(default_factory=list, max_length=len(Role))
    sites: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=100
    )
    revoke_sites: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=100
    )
    all_sites: bool | None = None
    reason: Text


class AuthorizationIn(In):
    kind: AuthorizationKind
    regime: ExportRegime | None = None
    categories: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=50
    )
    reference: Annotated[str, StringConstraints(max_length=100)] | None = None
    expires_on: date | None = None
    reason: Text


class ReasonIn(In):
    reason: Text


class TokenIn(In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scopes: list[Permission] = Field(default_factory=list, max_length=len(Permission))
    # The bound the server enforces is configured (token_days_max); the OpenAPI document
    # states the configured one (api/openapi.py), this is only the largest it can be.
    days: int | None = Field(
        default=None, ge=1, le=3650, description="Lifetime in days; the default is configured."
    )


class TokenOut(Out):
    id: str
    name: str
    scopes: list[str] | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="Shown once; only its SHA-256 is kept.")


class ClassificationIn(In):
    regime: ExportRegime
    category: Annotated[str, StringConstraints(max_length=32)] | None = None
    revision_id: str | None = None
    reason: Text


def _me(ctx: Ctx) -> MeOut:
    p = ctx.principal
    return MeOut(
        id=p.user_id,
        username=p.username,
        printed_name=p.printed_name,
        roles=sorted(r.value for r in p.roles),
        site_ids=sorted(p.site_ids) if p.site_ids is not None else None,
        permissions=sorted(x.value for x in p.permissions),
        method=p.method.value,
    )


def set_session_cookie(request: Request, response: Response, signed: identity.SignedIn) -> None:
    """Put the new session in an HttpOnly, SameSite=Lax cookie (Secure unless configured off)."""
    settings = get_app_state(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        signed.secret,
        max_age=int(settings.session_absolute_hours * 3600),
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


@router.post("/session", status_code=201, response_model=SessionOut, tags=["access"])
def login(body: LoginIn, request: Request, response: Response, ctx: Anonymous) -> Any:
    """Sign in with password (and TOTP code where required); a new session id every time."""
    signed = identity.login(
        ctx,
        body.username,
        body.password.get_secret_value(),
        body.totp_code,
        source=request.client.host if request.client else None,
    )
    set_session_cookie(request, response, signed)
    return SessionOut(
        user=_me(ctx.as_principal(signed.principal)),
        csrf_token=signed.csrf_token,
        expires_at=signed.expires_at,
    )


@router.delete("/session", status_code=204, tags=["access"])
def logout(request: Request, ctx: Ctx) -> Response:
    """End this browser session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        identity.logout(ctx, cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut, tags=["access"])
def me(ctx: Ctx) -> Any:
    return _me(ctx)


@router.post("/me/password", status_code=204, tags=["access"])
def change_password(body: PasswordIn, ctx: Ctx) -> Response:
    identity.set_password(
        ctx,
        ctx.actor,
        body.new_password.get_secret_value(),
        body.current_password.get_secret_value() if body.current_password else None,
    )
    return Response(status_code=204)


@router.post("/me/totp", status_code=201, response_model=TotpOut, tags=["access"])
def enrol_totp(ctx: Ctx) -> Any:
    """A new TOTP secret for the caller, as the otpauth:// URI an authenticator app reads."""
    return TotpOut(otpauth_uri=identity.enrol_totp(ctx, ctx.actor))


@router.get("/users", response_model=PageOut[UserOut], tags=["access"])
def list_users(ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    page = identity.list_users(ctx, limit, offset)
    return {
        "items": [identity.describe(u) for u in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.post("/users", status_code=201, response_model=UserOut, tags=["access"])
def create_user(body: UserIn, ctx: Ctx) -> Any:
    data = body.model_dump()
    data["password"] = body.password.get_secret_value() if body.password else None
    return identity.describe(identity.create_user(ctx, **data))


@router.get("/users/{username}", response_model=UserOut, tags=["access"])
def get_user(username: str, ctx: Ctx) -> Any:
    return identity.describe(identity.get_user(ctx, username))


@router.post("/users/{username}/grants", response_model=UserOut, tags=["access"])
def grant(username: str, body: GrantIn, ctx: Ctx) -> Any:
    return identity.describe(identity.grant(ctx, username, **body.model_dump()))


@router.post(
    "/users/{username}/authorizations", status_code=201, response_model=UserOut, tags=["access"]
)
def add_authorization(username: str, body: AuthorizationIn, ctx: Ctx) -> Any:
    return identity.describe(identity.add_authorization(ctx, username, **body.model_dump()))


@router.post(
    "/users/{username}/authorizations/{authorization_id}/revocation",
    response_model=UserOut,
    tags=["access"],
)
def revoke_authorization(username: str, authorization_id: str, body: ReasonIn, ctx: Ctx) -> Any:
    return identity.describe(
        identity.revoke_authorization(ctx, username, authorization_id, body.reason)
    )


@router.post("/users/{username}/disable", response_model=UserOut, tags=["access"])
def disable_user(username: str, body: ReasonIn, ctx: Ctx) -> Any:
    return identity.describe(identity.disable_user(ctx, username, body.reason))


def _token(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "scopes": sorted(t.scopes) if t.scopes else None,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
    }


@router.post(
    "/users/{username}/tokens", status_code=201, response_model=IssuedTokenOut, tags=["access"]
)
def create_token(username: str, body: TokenIn, ctx: Ctx) -> Any:
    issued = identity.create_token(
        ctx, username, name=body.name, scopes=body.scopes or None, days=body.days
    )
    return {**_token(issued.token), "token": issued.secret}


@router.get("/users/{username}/tokens", response_model=list[TokenOut], tags=["access"])
def list_tokens(username: str, ctx: Ctx) -> Any:
    return [_token(t) for t in identity.list_tokens(ctx, username)]


@router.post("/tokens/{token_id}/revocation", response_model=TokenOut, tags=["access"])
def revoke_token(token_id: str, body: ReasonIn, ctx: Ctx) -> Any:
    return _token(identity.revoke_token(ctx, token_id, body.reason))


@router.put("/parts/{part_id}/export-classification", response_model=PartOut, tags=["parts"])
def classify(part_id: str, body: ClassificationIn, ctx: Ctx) -> Any:
    """Label a part (or one revision) ITAR with USML category, EAR with ECCN, EAR99 or not
    controlled, with a reason. Only here: generic updates cannot change a label."""
    return catalog.classify(ctx, part_id, **body.model_dump())


OIDC_COOKIE = "fa_oidc"


def _oidc(request: Request) -> OidcClient:
    client = get_app_state(request).oidc()
    if client is None:
        raise NotFoundError("Single sign-on is not configured.", record="oidc")
    return client


OIDC_NEXT_COOKIE = "fa_oidc_next"
OIDC_PATH = "/api/v1/auth/oidc"


def _web_path(target: str | None) -> str | None:
    """A page of the web application to land on after sign-on (no open redirect), or None."""
    if target and target.startswith("/web/") and "//" not in target and "\\" not in target:
        return target
    return None


@router.get("/auth/oidc/login", status_code=302, tags=["access"])
def oidc_login(
    request: Request,
    next: Annotated[
        str | None,
        Query(max_length=500, description="A /web/ page: the browser lands there, signed in."),
    ] = None,
) -> Response:
    """Start single sign-on: redirect to the identity provider with state, nonce and PKCE."""
    start = _oidc(request).begin()
    response = RedirectResponse(start.authorization_url, status_code=302)
    settings = get_app_state(request).settings
    kept = {"max_age": 600, "httponly": True, "secure": settings.cookie_secure, "path": OIDC_PATH}
    # The values the callback must match stay in this browser, HttpOnly and short-lived.
    response.set_cookie(
        OIDC_COOKIE, f"{start.state}.{start.nonce}.{start.code_verifier}", samesite="lax", **kept
    )
    landing = _web_path(next)
    if landing:
        response.set_cookie(OIDC_NEXT_COOKIE, landing, samesite="lax", **kept)
    else:
        response.delete_cookie(OIDC_NEXT_COOKIE, path=OIDC_PATH)
    return response


@router.get("/auth/oidc/callback", response_model=SessionOut, tags=["access"])
def oidc_callback(
    request: Request,
    ctx: Anonymous,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=500)] = "",
) -> Any:
    """Finish single sign-on: check the ID token, find the linked user, open a session. A
    sign-on started from the web application lands on its page (303) with the same session
    cookie, or back on the sign-in page with the reason when it failed."""
    landing = _web_path(request.cookies.get(OIDC_NEXT_COOKIE))
    try:
        signed = _finish_sign_on(request, ctx, code, state)
    except AuthenticationError:
        if landing is None:
            raise
        failed = RedirectResponse("/web/sign-in?reason=sso_failed", status_code=303)
        failed.delete_cookie(OIDC_COOKIE, path=OIDC_PATH)
        failed.delete_cookie(OIDC_NEXT_COOKIE, path=OIDC_PATH)
        return failed
    response: Response
    if landing is not None:
        response = RedirectResponse(landing, status_code=303)
    else:
        body = SessionOut(
            user=_me(ctx.as_principal(signed.principal)),
            csrf_token=signed.csrf_token,
            expires_at=signed.expires_at,
        )
        response = JSONResponse(jsonable_encoder(body))
    set_session_cookie(request, response, signed)
    response.delete_cookie(OIDC_COOKIE, path=OIDC_PATH)
    response.delete_cookie(OIDC_NEXT_COOKIE, path=OIDC_PATH)
    return response


def _finish_sign_on(request: Request, ctx: ServiceContext, code: str, state: str) -> Any:
    client = _oidc(request)
    kept = request.cookies.get(OIDC_COOKIE, "").split(".")
    if len(kept) != 3 or not code:
        raise AuthenticationError("Single sign-on was not started here; start again.")
    try:
        who = client.finish(
            code=code,
            state=state,
            expected_state=kept[0],
            nonce=kept[1],
            code_verifier=kept[2],
        )
    except OidcError as error:
        raise AuthenticationError(f"Single sign-on failed: {error.message}") from None
    user = identity.link_oidc(ctx, who.issuer, who.subject, who.email)
    return identity.open_session(ctx, user, AuthMethod.OIDC_SESSION)

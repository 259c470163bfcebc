"""People and their credentials: users, roles, sites, export authorizations, API tokens,
browser sessions, TOTP, and the re-authentication a signature needs.

Authentication functions take no principal (the caller is not known yet); they return one.
Every failure is the same AuthenticationError, so a caller cannot tell a wrong password from
an unknown user; failures are counted per account and written to the audit trail as
security events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from firstarticle.access import secrets
from firstarticle.domain.access import (
    SYSTEM_ROLES,
    ApiToken,
    AuthenticationError,
    AuthMethod,
    AuthorizationKind,
    BrowserSession,
    ExportAuthorization,
    ForbiddenError,
    Permission,
    Principal,
    Role,
    TooManyAttemptsError,
    User,
    check_username,
    visibility,
)
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.errors import ConflictError, NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.model import new_id
from firstarticle.ports import Page, PasswordHasher, UnitOfWork
from firstarticle.services import ServiceContext, found, record

LOGIN = "login"
MAX_USERS_SCANNED = 100_000
SIGNING = "signing"
TOTP = "totp"


# --- administration --------------------------------------------------------------------------


def _event(
    ctx: ServiceContext,
    action: str,
    user: User,
    changes: dict[str, tuple[object, object]],
    reason: str | None = None,
) -> Event:
    return Event(
        action=action,
        record_type="user",
        record_id=user.id,
        site_id=None,
        actor=ctx.actor,
        at=ctx.clock.now(),
        changes=changes,
        reason=reason,
    )


def _sites(uow: UnitOfWork, ctx: ServiceContext, codes: list[str]) -> frozenset[str]:
    ids = set()
    for code in codes:
        site = found(uow.sites.by_code(code), "site", code)
        # An administrator grants only the sites they administer themselves.
        ctx.principal.require_site(site.id, "site")
        ids.add(site.id)
    return frozenset(ids)


def _check_password(password: str) -> None:
    if len(password) < secrets.MIN_PASSWORD_LENGTH or len(password) > 1024:
        raise ValidationError(
            f"A password has {secrets.MIN_PASSWORD_LENGTH} to 1024 characters.", field="password"
        )


def _hasher(ctx: ServiceContext) -> PasswordHasher:
    if ctx.passwords is None:
        raise RuntimeError("The service context has no password hasher.")
    return ctx.passwords


def create_user(
    ctx: ServiceContext,
    *,
    username: str,
    printed_name: str,
    roles: list[Role],
    sites: list[str] | None = None,
    all_sites: bool = False,
    citizenships: list[str] | None = None,
    email: str | None = None,
    password: str | None = None,
    customer_ids: list[str] | None = None,
) -> User:
    """Create a person or an integration account; the username is never reused."""
    ctx.principal.require(Permission.USER_MANAGE)
    if all_sites and ctx.principal.site_ids is not None:
        raise ForbiddenError("Only an administrator of every site grants every site.")
    with ctx.uow_factory() as uow:
        name = check_username(username)
        if uow.identity.by_username(name) is not None:
            raise ConflictError(f"The username {name} is taken (usernames are never reused).")
        user = User(
            username=name,
            printed_name=printed_name,
            roles=frozenset(roles),
            created_at=ctx.clock.now(),
            created_by=ctx.actor,
            site_ids=_sites(uow, ctx, sites or []),
            all_sites=all_sites,
            customer_ids=frozenset(customer_ids) if customer_ids else None,
            citizenships=frozenset(citizenships or []),
            email=email,
        )
        if password is not None:
            if user.is_system:
                raise ValidationError(
                    "Integration accounts sign in with tokens, not passwords.", field="password"
                )
            _check_password(password)
            user.password_hash = _hasher(ctx).hash(password)
        uow.identity.add(user)
        record(uow, ctx, [_event(ctx, "user.created", user, _public(user))])
        uow.commit()
        return user


def _public(user: User) -> dict[str, tuple[object, object]]:
    return {
        "username": (None, user.username),
        "printed_name": (None, user.printed_name),
        "roles": (None, sorted(r.value for r in user.roles)),
        "site_ids": (None, sorted(user.site_ids)),
        "all_sites": (None, user.all_sites),
        "citizenships": (None, sorted(user.citizenships)),
        "has_password": (None, user.password_hash is not None),
    }


def _managed(uow: UnitOfWork, ctx: ServiceContext, username: str) -> User:
    ctx.principal.require(Permission.USER_MANAGE)
    user = found(uow.identity.by_username(username), "user", username)
    if ctx.principal.site_ids is not None and (
        user.all_sites or not user.site_ids <= ctx.principal.site_ids
    ):
        # Answered as unknown, so usernames of other sites cannot be probed.
        raise NotFoundError(f"user {username} does not exist.", record="user", key=username)
    return user


def _passes_on(ctx: ServiceContext, holder: Principal) -> None:
    """Nobody hands out export access they do not hold themselves (not even administrators)."""
    now = ctx.clock.now()
    mine, theirs = visibility(ctx.principal, now), visibility(holder, now)
    if mine.everything:
        return
    if (
        theirs.everything
        or not theirs.regimes <= mine.regimes
        or any(r not in mine.regimes and (r, c) not in mine.pairs for r, c in theirs.pairs)
    ):
        raise ForbiddenError("Nobody passes on export access they do not hold themselves.")


def _not_self(ctx: ServiceContext, user: User, what: str) -> None:
    if user.id == ctx.principal.user_id:
        raise ForbiddenError(f"Nobody {what} for themself; another administrator does.")


def get_user(ctx: ServiceContext, username: str) -> User:
    """A user, for administrators (of that user's sites) and for the user themself."""
    with ctx.uow_factory() as uow:
        if check_username(username) == ctx.principal.username:
            return found(uow.identity.by_username(username), "user", username)
        return _managed(uow, ctx, username)


def list_users(ctx: ServiceContext, limit: int | None, offset: int | None) -> Page[User]:
    """Every user an administrator may manage."""
    ctx.principal.require(Permission.USER_MANAGE)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        if ctx.principal.site_ids is None:
            return uow.identity.users(size, start)
        # Sites are a JSON set on the user: filter the (plant-sized) list here, then page it.
        everyone = uow.identity.users(MAX_USERS_SCANNED, 0).items
    mine = ctx.principal.site_ids
    managed = [u for u in everyone if not u.all_sites and u.site_ids <= mine]
    return Page(items=managed[start : start + size], total=len(managed), limit=size, offset=start)


def grant(
    ctx: ServiceContext,
    username: str,
    *,
    roles: list[Role] | None = None,
    sites: list[str] | None = None,
    all_sites: bool | None = None,
    revoke_roles: list[Role] | None = None,
    revoke_sites: list[str] | None = None,
    reason: str,
) -> User:
    """Add or remove roles and sites, with a reason in the audit trail."""
    if not (reason or "").strip():
        raise ValidationError("Say why access changes.", field="reason")
    with ctx.uow_factory() as uow:
        user = _managed(uow, ctx, username)
        _not_self(ctx, user, "changes their own access")
        before_roles, before_sites, before_all = user.roles, user.site_ids, user.all_sites
        new_roles = (user.roles | frozenset(roles or [])) - frozenset(revoke_roles or [])
        if not new_roles:
            raise ValidationError("A user keeps at least one role.", field="roles")
        if user.is_system != bool(new_roles & SYSTEM_ROLES) or (
            user.is_system and new_roles - SYSTEM_ROLES
        ):
            raise ValidationError(
                "People and integration accounts keep their kind of roles.", field="roles"
            )
        user.roles = new_roles
        user.site_ids = (user.site_ids | _sites(uow, ctx, sites or [])) - _sites(
            uow, ctx, revoke_sites or []
        )
        if all_sites is not None:
            if ctx.principal.site_ids is not None:
                raise ForbiddenError("Only an administrator of every site grants every site.")
            user.all_sites = all_sites
        changes: dict[str, tuple[object, object]] = {}
        if before_roles != user.roles:
            changes["roles"] = (sorted(before_roles), sorted(user.roles))
        if before_sites != user.site_ids:
            changes["site_ids"] = (sorted(before_sites), sorted(user.site_ids))
        if before_all != user.all_sites:
            changes["all_sites"] = (before_all, user.all_sites)
        if changes:
            record(uow, ctx, [_event(ctx, "user.access_changed", user, changes, reason)])
            uow.commit()
        return user


def set_citizenships(ctx: ServiceContext, username: str, citizenships: list[str]) -> User:
    """Record every citizenship a person holds (all of them matter to export control)."""
    with ctx.uow_factory() as uow:
        user = _managed(uow, ctx, username)
        before = sorted(user.citizenships)
        user.citizenships = frozenset(c.strip().upper() for c in citizenships)
        User.__post_init__(user)
        record(
            uow,
            ctx,
            [
                _event(
                    ctx,
                    "user.citizenships",
                    user,
                    {"citizenships": (before, sorted(user.citizenships))},
                )
            ],
        )
        uow.commit()
        return user


def add_authorization(
    ctx: ServiceContext,
    username: str,
    *,
    kind: AuthorizationKind,
    regime: ExportRegime | None = None,
    categories: list[str] | None = None,
    reference: str | None = None,
    expires_on: date | None = None,
    reason: str,
) -> User:
    """Record that a person is a US person, or holds a license or agreement until a date."""
    if not (reason or "").strip():
        raise ValidationError("Say on what basis the authorization is recorded.", field="reason")
    with ctx.uow_factory() as uow:
        user = _managed(uow, ctx, username)
        _not_self(ctx, user, "records an export authorization")
        granted = ExportAuthorization(
            kind=kind,
            regime=regime,
            categories=frozenset(categories or []),
            reference=reference,
            expires_on=expires_on,
            id=new_id(),
        )
        _passes_on(ctx, replace(user.principal(AuthMethod.TOKEN), authorizations=(granted,)))
        user.authorizations = (*user.authorizations, granted)
        record(
            uow,
            ctx,
            [
                _event(
                    ctx,
                    "user.authorization_added",
                    user,
                    {"authorization": (None, _authorization_text(granted))},
                    reason,
                )
            ],
        )
        uow.commit()
        return user


def revoke_authorization(
    ctx: ServiceContext, username: str, authorization_id: str, reason: str
) -> User:
    """Revoke one export authorization (it stays on record, revoked)."""
    if not (reason or "").strip():
        raise ValidationError("Say why the authorization is revoked.", field="reason")
    with ctx.uow_factory() as uow:
        user = _managed(uow, ctx, username)
        target = next((a for a in user.authorizations if a.id == authorization_id), None)
        target = found(target, "authorization", authorization_id)
        if target.revoked:
            raise ConflictError("The authorization is already revoked.")
        revoked = replace(target, revoked=True)
        user.authorizations = tuple(
            revoked if a.id == authorization_id else a for a in user.authorizations
        )
        record(
            uow,
            ctx,
            [
                _event(
                    ctx,
                    "user.authorization_revoked",
                    user,
                    {"authorization": (_authorization_text(target), "revoked")},
                    reason,
                )
            ],
        )
        uow.commit()
        return user


def _authorization_text(a: ExportAuthorization) -> str:
    if a.kind is AuthorizationKind.US_PERSON:
        return "US person"
    cats = ",".join(sorted(a.categories)) or "all categories"
    regime = a.regime.value.upper() if a.regime else ""
    return f"{a.kind.value} {a.reference} {regime} {cats} until {a.expires_on}"


def disable_user(ctx: ServiceContext, username: str, reason: str) -> User:
    """Disable an account: its sessions end and its tokens stop working; it is never deleted."""
    if not (reason or "").strip():
        raise ValidationError("Say why the account is disabled.", field="reason")
    with ctx.uow_factory() as uow:
        user = _managed(uow, ctx, username)
        if not user.active:
            raise ConflictError(f"{username} is already disabled.")
        now = ctx.clock.now()
        user.active, user.disabled_at = False, now
        for session in uow.identity.sessions_of(user.id):
            session.ended_at = now
        record(uow, ctx, [_event(ctx, "user.disabled", user, {"active": (True, False)}, reason)])
        uow.commit()
        return user


def set_password(
    ctx: ServiceContext, username: str, password: str, current_password: str | None = None
) -> None:
    """Set a password: administrators for others, a person for themself with the old one."""
    _check_password(password)
    with ctx.uow_factory() as uow:
        if check_username(username) == ctx.principal.username:
            _person_in_session(ctx)
            user = found(uow.identity.by_username(username), "user", username)
            if user.password_hash is not None and not _hasher(ctx).verify(
                user.password_hash, current_password or ""
            ):
                raise AuthenticationError("The current password is not correct.")
        else:
            user = _managed(uow, ctx, username)
        if user.is_system:
            raise ValidationError("Integration accounts use tokens, not passwords.")
        user.password_hash = _hasher(ctx).hash(password)
        record(uow, ctx, [_event(ctx, "user.password_set", user, {"password": ("***", "***")})])
        uow.commit()


# --- API tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def create_token(
    ctx: ServiceContext,
    username: str,
    *,
    name: str,
    scopes: list[Permission] | None = None,
    days: int | None = None,
) -> IssuedToken:
    """Issue a bearer token for ``username``; only its SHA-256 is kept."""
    days = ctx.security.token_days_default if days is None else days
    if not 1 <= days <= ctx.security.token_days_max:
        raise ValidationError(
            f"A token lives 1 to {ctx.security.token_days_max} days.", field="days"
        )
    if not (name or "").strip():
        raise ValidationError("Name the token (what it is for).", field="name")
    with ctx.uow_factory() as uow:
        user = _managed(uow, ctx, username)
        if not user.active:
            raise ConflictError(f"{username} is disabled.")
        if user.id != ctx.principal.user_id:
            # A token acts with its user's export access: only someone holding it may mint one.
            _passes_on(ctx, user.principal(AuthMethod.TOKEN))
        secret = secrets.new_token()
        now = ctx.clock.now()
        token = ApiToken(
            user_id=user.id,
            name=name.strip()[:100],
            token_sha256=secrets.digest(secret),
            created_at=now,
            created_by=ctx.actor,
            expires_at=now + timedelta(days=days),
            scopes=frozenset(scopes) if scopes else None,
        )
        uow.identity.add(token)
        record(
            uow,
            ctx,
            [
                _event(
                    ctx,
                    "token.created",
                    user,
                    {
                        "token_id": (None, token.id),
                        "name": (None, token.name),
                        "scopes": (None, sorted(token.scopes) if token.scopes else "all"),
                        "expires_at": (None, token.expires_at.isoformat()),
                    },
                )
            ],
        )
        uow.commit()
        return IssuedToken(token, secret)


def list_tokens(ctx: ServiceContext, username: str) -> list[ApiToken]:
    """The tokens of a user (never their secrets)."""
    with ctx.uow_factory() as uow:
        user = _managed(uow, ctx, username)
        return uow.identity.tokens_of(user.id)


def revoke_token(ctx: ServiceContext, token_id: str, reason: str) -> ApiToken:
    """Revoke a token at once."""
    with ctx.uow_factory() as uow:
        token = found(uow.identity.token(token_id), "token", token_id)
        owner = found(uow.identity.user(token.user_id), "user", token.user_id)
        if owner.id != ctx.principal.user_id:
            _managed(uow, ctx, owner.username)
        if token.revoked_at is not None:
            raise ConflictError("The token is already revoked.")
        token.revoked_at = ctx.clock.now()
        record(
            uow,
            ctx,
            [_event(ctx, "token.revoked", owner, {"token_id": (token.id, None)}, reason)],
        )
        uow.commit()
        return token


# --- authentication --------------------------------------------------------------------------


def authenticate_token(ctx: ServiceContext, secret: str) -> Principal:
    """The principal of a bearer token, or AuthenticationError (unknown, expired, revoked,
    or its user disabled)."""
    if not secret.startswith(secrets.TOKEN_PREFIX) or len(secret) > 200:
        raise AuthenticationError("The token is not valid.")
    with ctx.uow_factory() as uow:
        found_token = uow.identity.token_with_user(secrets.digest(secret))
        if found_token is None:
            raise AuthenticationError("The token is not valid.")
        token, user = found_token
        if not token.usable_at(ctx.clock.now()) or not user.active:
            raise AuthenticationError("The token is not valid.")
        return user.principal(AuthMethod.TOKEN, token.scopes)


@dataclass(frozen=True)
class SignedIn:
    """A new browser session: ``secret`` goes into the cookie, ``csrf_token`` into forms."""

    principal: Principal
    secret: str
    csrf_token: str
    expires_at: datetime


def _security_event(
    ctx: ServiceContext, action: str, username: str, user_id: str | None, nonce: str | None = None
) -> None:
    """Count a failed attempt and write it to the audit trail, in its own transaction (the
    refused operation itself rolled back)."""
    with ctx.uow_factory() as uow:
        if nonce is not None and user_id is not None:
            # The refused attempt still uses the nonce up: the next try needs a fresh one.
            uow.identity.take_nonce(secrets.digest(nonce), user_id, ctx.clock.now())
        uow.identity.add_failure(username, action, ctx.clock.now())
        uow.audit.append(
            Event(
                action=f"security.{action}_failed",
                record_type="user",
                record_id=user_id or "unknown",
                site_id=None,
                actor=username,
                at=ctx.clock.now(),
                changes={},
            ),
            ctx.request_id,
        )
        uow.commit()


def _throttle(uow: UnitOfWork, ctx: ServiceContext, username: str, kind: str) -> None:
    since = ctx.clock.now() - ctx.security.failed_attempts_window
    if uow.identity.failures_since(username, kind, since) >= ctx.security.failed_attempts_max:
        raise TooManyAttemptsError(
            "Too many failed attempts on this account; wait and try again.",
            retry_after_seconds=int(ctx.security.failed_attempts_window.total_seconds()),
        )


def _needs_totp(ctx: ServiceContext, user: User) -> bool:
    return user.totp_secret is not None or bool(user.roles & ctx.security.totp_required_roles)


def _check_credentials(
    ctx: ServiceContext,
    uow: UnitOfWork,
    user: User | None,
    password: str,
    totp_code: str | None,
) -> bool:
    """True when the password (and the TOTP code where one is needed) are right."""
    ok = _hasher(ctx).verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active or user.is_system:
        return False
    if _needs_totp(ctx, user):
        if user.totp_secret is None:
            # Required by role but not enrolled: an administrator must enrol it first.
            return False
        step = secrets.totp_step(
            user.totp_secret,
            totp_code or "",
            at=ctx.clock.now().timestamp(),
            last_step=user.totp_last_step,
        )
        if step < 0:
            return False
        user.totp_last_step = step
    return True


def login(
    ctx: ServiceContext, username: str, password: str, totp_code: str | None = None
) -> SignedIn:
    """Sign a person in with password (and TOTP where needed); a new session id each time."""
    name = (username or "").strip().lower()[:100]
    with ctx.uow_factory() as uow:
        _throttle(uow, ctx, name, LOGIN)
        user = uow.identity.by_username(name) if name else None
        user_id = user.id if user else None
        if not _check_credentials(ctx, uow, user, password or "", totp_code):
            uow.rollback()
            failed = True
        else:
            assert user is not None
            failed = False
            if user.password_hash and _hasher(ctx).needs_rehash(user.password_hash):
                user.password_hash = _hasher(ctx).hash(password)
            signed = _new_session(uow, ctx, user, AuthMethod.PASSWORD_SESSION)
    if failed:
        _security_event(ctx, LOGIN, name, user_id)
        raise AuthenticationError("The username or password is not correct.")
    return signed


def open_session(ctx: ServiceContext, user: User, method: AuthMethod) -> SignedIn:
    """A session for a user another way has authenticated (OpenID Connect)."""
    with ctx.uow_factory() as uow:
        return _new_session(uow, ctx, user, method)


def _new_session(uow: UnitOfWork, ctx: ServiceContext, user: User, method: AuthMethod) -> SignedIn:
    """Store a new session (fresh random id and CSRF token), audit the sign-in, commit."""
    now = ctx.clock.now()
    secret, csrf = secrets.new_secret(), secrets.new_secret()
    session = BrowserSession(
        user_id=user.id,
        session_sha256=secrets.digest(secret),
        csrf_token=csrf,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ctx.security.session_absolute,
        method=method,
        second_factor=user.totp_secret is not None,
    )
    uow.identity.add(session)
    record(uow, ctx, [_event(ctx, "security.login", user, {"session_id": (None, session.id)})])
    uow.commit()
    return SignedIn(user.principal(method), secret, csrf, session.expires_at)


def authenticate_session(ctx: ServiceContext, secret: str) -> tuple[Principal, BrowserSession]:
    """The principal of a session cookie; refreshes the idle timer at most once a minute."""
    if not secret or len(secret) > 200:
        raise AuthenticationError("Sign in again.")
    with ctx.uow_factory() as uow:
        session = uow.identity.session_by_digest(secrets.digest(secret))
        now = ctx.clock.now()
        if session is None or not session.usable_at(now, ctx.security.session_idle):
            raise AuthenticationError("The session has ended; sign in again.")
        user = uow.identity.user(session.user_id)
        if user is None or not user.active:
            raise AuthenticationError("The session has ended; sign in again.")
        if now - session.last_seen_at > timedelta(minutes=1):
            session.last_seen_at = now
            uow.commit()
        return user.principal(session.method), session


def logout(ctx: ServiceContext, secret: str) -> None:
    """End the session of this cookie (idempotent)."""
    with ctx.uow_factory() as uow:
        session = uow.identity.session_by_digest(secrets.digest(secret))
        if session is not None and session.ended_at is None:
            session.ended_at = ctx.clock.now()
            uow.commit()


def link_oidc(ctx: ServiceContext, issuer: str, subject: str, email: str | None) -> User:
    """The user an OpenID Connect identity belongs to.

    Known by (issuer, subject); on first sign-in an active user with exactly that email is
    linked. Nobody is created by signing in: administrators create users.
    """
    with ctx.uow_factory() as uow:
        user = uow.identity.by_oidc(issuer, subject)
        if user is None and email:
            matches = [u for u in uow.identity.by_email(email) if u.oidc_subject is None]
            if len(matches) == 1:
                user = matches[0]
                user.oidc_issuer, user.oidc_subject = issuer, subject
                record(
                    uow,
                    ctx,
                    [_event(ctx, "user.oidc_linked", user, {"oidc_issuer": (None, issuer)})],
                )
                uow.commit()
        if user is None or not user.active or user.is_system:
            raise AuthenticationError("No active firstarticle user has this identity.")
        return user


# --- TOTP ------------------------------------------------------------------------------------


def _person_in_session(ctx: ServiceContext) -> None:
    """Own credentials change only in a person's session, never through a token."""
    if ctx.principal.method is AuthMethod.TOKEN:
        raise ForbiddenError("A token cannot change its user's credentials.")


def enrol_totp(ctx: ServiceContext, username: str) -> str:
    """Give a person a new TOTP secret; returns the otpauth:// URI to show once."""
    with ctx.uow_factory() as uow:
        if check_username(username) == ctx.principal.username:
            _person_in_session(ctx)
            user = found(uow.identity.by_username(username), "user", username)
            if user.totp_secret is not None:
                # Replacing an enrolled factor would let a stolen session drop it.
                raise ForbiddenError("An administrator re-enrols a second factor.")
        else:
            user = _managed(uow, ctx, username)
        if user.is_system:
            raise ValidationError("Integration accounts have no second factor.")
        user.totp_secret = secrets.new_totp_secret()
        user.totp_last_step = None
        record(uow, ctx, [_event(ctx, "user.totp_enrolled", user, {"totp": (None, "enrolled")})])
        uow.commit()
        return secrets.totp_uri(user.totp_secret, user.username)


# --- re-authentication for signatures --------------------------------------------------------


def issue_signing_nonce(ctx: ServiceContext) -> tuple[str, datetime]:
    """A fresh single-use nonce for the caller's next signature, and when it expires."""
    if ctx.principal.method is AuthMethod.TOKEN:
        raise ForbiddenError("Tokens cannot sign; a person signs in a session.")
    nonce = secrets.new_secret()
    now = ctx.clock.now()
    expires = now + ctx.security.signing_nonce_lifetime
    with ctx.uow_factory() as uow:
        uow.identity.add_nonce(secrets.digest(nonce), ctx.principal.user_id, now, expires)
        uow.commit()
    return nonce, expires


def reauthenticate(
    ctx: ServiceContext, uow: UnitOfWork, *, nonce: str, password: str, totp_code: str | None
) -> User:
    """Check the signer's password (and second factor) on a fresh nonce, inside the
    signature's transaction; the nonce is used up either way.

    Raises AuthenticationError (and records the failure in its own transaction) when the
    credentials are wrong, TooManyAttemptsError after too many failures.
    """
    principal = ctx.principal
    if principal.method is AuthMethod.TOKEN:
        raise ForbiddenError("Tokens cannot sign; a person signs in a session.")
    _throttle(uow, ctx, principal.username, SIGNING)
    user = uow.identity.user(principal.user_id)
    user_id = user.id if user else None
    fresh = uow.identity.take_nonce(secrets.digest(nonce or ""), principal.user_id, ctx.clock.now())
    if not fresh:
        raise AuthenticationError(
            "The signing nonce is unknown, used or expired; ask for a new one."
        )
    if not _check_credentials(ctx, uow, user, password or "", totp_code):
        uow.rollback()
        _security_event(ctx, SIGNING, principal.username, user_id, nonce)
        raise AuthenticationError("The password or second factor is not correct.")
    assert user is not None
    return user


def describe(user: User) -> dict[str, Any]:
    """A user as administrators see it (never hashes or secrets)."""
    return {
        "id": user.id,
        "username": user.username,
        "printed_name": user.printed_name,
        "email": user.email,
        "roles": sorted(r.value for r in user.roles),
        "site_ids": sorted(user.site_ids),
        "all_sites": user.all_sites,
        "citizenships": sorted(user.citizenships),
        "authorizations": [
            {
                "id": a.id,
                "kind": a.kind.value,
                "regime": a.regime.value if a.regime else None,
                "categories": sorted(a.categories),
                "reference": a.reference,
                "expires_on": a.expires_on,
                "revoked": a.revoked,
            }
            for a in user.authorizations
        ],
        "active": user.active,
        "totp": user.totp_secret is not None,
        "sso": user.oidc_subject is not None,
        "created_at": user.created_at,
    }

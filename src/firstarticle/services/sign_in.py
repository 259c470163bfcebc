"""Credentials and authentication: API tokens, logins and browser sessions, single sign-on,
TOTP, and the re-authentication a signature needs.

Authentication functions take no principal (the caller is not known yet); they return one.
Every failure is the same AuthenticationError, so a caller cannot tell a wrong password from
an unknown user; failures are counted per account and written to the audit trail as
security events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from firstarticle.access import secrets
from firstarticle.domain.access import (
    ApiToken,
    AuthenticationError,
    AuthMethod,
    BrowserSession,
    ForbiddenError,
    Permission,
    Principal,
    TooManyAttemptsError,
    User,
    check_username,
)
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.ports import UnitOfWork
from firstarticle.services import ServiceContext, found, record
from firstarticle.services.accounts import (
    LOGIN,
    SIGNING,
    hasher_of,
    managed_user,
    require_passes_on,
    require_person_in_session,
    user_event,
)

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
        user = managed_user(uow, ctx, username)
        if not user.active:
            raise ConflictError(f"{username} is disabled.")
        if user.id != ctx.principal.user_id:
            # A token acts with its user's export access: only someone holding it may mint one.
            require_passes_on(ctx, user.principal(AuthMethod.TOKEN))
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
                user_event(
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
        user = managed_user(uow, ctx, username)
        return uow.identity.tokens_of(user.id)


def revoke_token(ctx: ServiceContext, token_id: str, reason: str) -> ApiToken:
    """Revoke a token at once."""
    with ctx.uow_factory() as uow:
        token = found(uow.identity.token(token_id), "token", token_id)
        owner = found(uow.identity.user(token.user_id), "user", token.user_id)
        if owner.id != ctx.principal.user_id:
            managed_user(uow, ctx, owner.username)
        if token.revoked_at is not None:
            raise ConflictError("The token is already revoked.")
        token.revoked_at = ctx.clock.now()
        record(
            uow,
            ctx,
            [user_event(ctx, "token.revoked", owner, {"token_id": (token.id, None)}, reason)],
        )
        uow.commit()
        return token


# --- authentication --------------------------------------------------------------------------


def authenticate_token(ctx: ServiceContext, secret: str) -> Principal:
    """The principal of a bearer token, or AuthenticationError (unknown, expired, revoked,
    or its user disabled)."""
    if not secret.startswith(secrets.TOKEN_PREFIX) or len(secret) > 200:
        raise AuthenticationError("The token is not valid.")
    digest, now = secrets.digest(secret), ctx.clock.now()
    cache = ctx.principals
    kept = cache.get(digest, now) if cache is not None else None
    if kept is not None:
        return kept
    with ctx.uow_factory() as uow:
        found_token = uow.identity.token_with_user(digest)
        if found_token is None:
            raise AuthenticationError("The token is not valid.")
        token, user = found_token
        if not token.usable_at(now) or not user.active:
            raise AuthenticationError("The token is not valid.")
        principal = user.principal(AuthMethod.TOKEN, token.scopes)
    if cache is not None:
        cache.put(digest, token.expires_at, principal)
    return principal


@dataclass(frozen=True)
class SignedIn:
    """A new browser session: ``secret`` goes into the cookie, ``csrf_token`` into forms."""

    principal: Principal
    secret: str
    csrf_token: str
    expires_at: datetime


def _security_event(
    ctx: ServiceContext,
    action: str,
    username: str,
    user_id: str | None,
    nonce: str | None = None,
    source: str | None = None,
) -> None:
    """Count a failed attempt and write it to the audit trail, in its own transaction (the
    refused operation itself rolled back)."""
    with ctx.uow_factory() as uow:
        if nonce is not None and user_id is not None:
            # The refused attempt still uses the nonce up: the next try needs a fresh one.
            uow.identity.take_nonce(secrets.digest(nonce), user_id, ctx.clock.now())
        uow.identity.add_failure(username, action, ctx.clock.now())
        if source:
            uow.identity.add_failure(_address_key(source), action, ctx.clock.now())
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


def _throttle(
    uow: UnitOfWork, ctx: ServiceContext, username: str, kind: str, limit: int | None = None
) -> None:
    """Refuse (429) an account that collected ``limit`` failures of ``kind`` in the window."""
    since = ctx.clock.now() - ctx.security.failed_attempts_window
    if uow.identity.failures_since(username, kind, since) >= (
        limit or ctx.security.failed_attempts_max
    ):
        raise TooManyAttemptsError(
            "Too many failed attempts on this account; wait and try again.",
            retry_after_seconds=int(ctx.security.failed_attempts_window.total_seconds()),
        )


# Failures from an address are kept under a key no username can take (":" is not allowed).
def _address_key(source: str) -> str:
    return f"address:{source}"


_LONGEST_WAIT_DOUBLINGS = 6  # 15 minutes doubled six times: 16 hours


def _throttle_address(uow: UnitOfWork, ctx: ServiceContext, source: str) -> None:
    """Refuse (429) sign-ins from an address that keeps failing, whatever account it tries.

    ``limit`` failures in the window make it wait one window; each further ``limit`` failures
    within a day doubles the wait. A person elsewhere is never locked out by this address.
    """
    key, now, limit = (
        _address_key(source),
        ctx.clock.now(),
        ctx.security.sign_in_failures_per_address,
    )
    window = ctx.security.failed_attempts_window
    today = uow.identity.failures_since(key, LOGIN, now - timedelta(hours=24))
    if today < limit:
        return
    wait = window * 2 ** min(today // limit - 1, _LONGEST_WAIT_DOUBLINGS)
    if uow.identity.failures_since(key, LOGIN, now - wait) >= limit:
        raise TooManyAttemptsError(
            "Too many failed sign-ins from this address; wait and try again.",
            retry_after_seconds=int(wait.total_seconds()),
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
    ok = hasher_of(ctx).verify(user.password_hash if user else None, password)
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
    ctx: ServiceContext,
    username: str,
    password: str,
    totp_code: str | None = None,
    *,
    source: str | None = None,
) -> SignedIn:
    """Sign a person in with password (and TOTP where needed); a new session id each time.

    Failures are limited per source address first (spraying many accounts from one place),
    and per account only at a much higher count, so one attacker cannot lock a person out.
    """
    name = (username or "").strip().lower()[:100]
    with ctx.uow_factory() as uow:
        if source:
            _throttle_address(uow, ctx, source)
        _throttle(uow, ctx, name, LOGIN, ctx.security.sign_in_failures_per_account)
        user = uow.identity.by_username(name) if name else None
        user_id = user.id if user else None
        if not _check_credentials(ctx, uow, user, password or "", totp_code):
            uow.rollback()
            failed = True
        else:
            assert user is not None
            failed = False
            if user.password_hash and hasher_of(ctx).needs_rehash(user.password_hash):
                user.password_hash = hasher_of(ctx).hash(password)
            signed = _new_session(uow, ctx, user, AuthMethod.PASSWORD_SESSION)
    if failed:
        _security_event(ctx, LOGIN, name, user_id, source=source)
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
    record(uow, ctx, [user_event(ctx, "security.login", user, {"session_id": (None, session.id)})])
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
                    [user_event(ctx, "user.oidc_linked", user, {"oidc_issuer": (None, issuer)})],
                )
                uow.commit()
        if user is None or not user.active or user.is_system:
            raise AuthenticationError("No active firstarticle user has this identity.")
        return user


# --- TOTP ------------------------------------------------------------------------------------


def enrol_totp(ctx: ServiceContext, username: str) -> str:
    """Give a person a new TOTP secret; returns the otpauth:// URI to show once."""
    with ctx.uow_factory() as uow:
        if check_username(username) == ctx.principal.username:
            require_person_in_session(ctx)
            user = found(uow.identity.by_username(username), "user", username)
            if user.totp_secret is not None:
                # Replacing an enrolled factor would let a stolen session drop it.
                raise ForbiddenError("An administrator re-enrols a second factor.")
        else:
            user = managed_user(uow, ctx, username)
        if user.is_system:
            raise ValidationError("Integration accounts have no second factor.")
        user.totp_secret = secrets.new_totp_secret()
        user.totp_last_step = None
        record(
            uow, ctx, [user_event(ctx, "user.totp_enrolled", user, {"totp": (None, "enrolled")})]
        )
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

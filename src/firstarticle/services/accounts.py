"""A person's account as the identity use cases find, check and change it.

The steps services/identity.py (administration) and services/sign_in.py (credentials and
authentication) share: who may manage an account, who may pass on export access, which
changes need a person's own session, and the audit event of a change to a user.
"""

from __future__ import annotations

from firstarticle.access import secrets
from firstarticle.domain.access import (
    AuthMethod,
    ForbiddenError,
    Permission,
    Principal,
    User,
    visibility,
)
from firstarticle.domain.errors import NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.ports import PasswordHasher, UnitOfWork
from firstarticle.services import ServiceContext, found

LOGIN = "login"
SIGNING = "signing"
TOTP = "totp"


def user_event(
    ctx: ServiceContext,
    action: str,
    user: User,
    changes: dict[str, tuple[object, object]],
    reason: str | None = None,
) -> Event:
    """The audit event of a change to ``user``, by the caller, now."""
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


def check_password(password: str) -> None:
    """Raise ValidationError unless the password has an acceptable length."""
    if len(password) < secrets.MIN_PASSWORD_LENGTH or len(password) > 1024:
        raise ValidationError(
            f"A password has {secrets.MIN_PASSWORD_LENGTH} to 1024 characters.", field="password"
        )


def hasher_of(ctx: ServiceContext) -> PasswordHasher:
    """The context's password hasher (bootstrap.py wires one into every context)."""
    if ctx.passwords is None:
        raise RuntimeError("The service context has no password hasher.")
    return ctx.passwords


def managed_user(uow: UnitOfWork, ctx: ServiceContext, username: str) -> User:
    """The account the caller may manage, or NotFoundError (other sites' users stay unknown)."""
    ctx.principal.require(Permission.USER_MANAGE)
    user = found(uow.identity.by_username(username), "user", username)
    if ctx.principal.site_ids is not None and (
        user.all_sites or not user.site_ids <= ctx.principal.site_ids
    ):
        # Answered as unknown, so usernames of other sites cannot be probed.
        raise NotFoundError(f"user {username} does not exist.", record="user", key=username)
    return user


def require_passes_on(ctx: ServiceContext, holder: Principal) -> None:
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


def require_person_in_session(ctx: ServiceContext) -> None:
    """Own credentials change only in a person's session, never through a token."""
    if ctx.principal.method is AuthMethod.TOKEN:
        raise ForbiddenError("A token cannot change its user's credentials.")

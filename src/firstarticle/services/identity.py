"""People and their access: users, roles, sites, citizenships and export authorizations.

Credentials and authentication (API tokens, logins, sessions, single sign-on, TOTP and the
re-authentication of a signature) are in services/sign_in.py and re-exported here, so that
``identity.<use case>`` names every intention about people; the steps both share are in
services/accounts.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from firstarticle.domain.access import (
    SYSTEM_ROLES,
    AuthenticationError,
    AuthMethod,
    AuthorizationKind,
    ExportAuthorization,
    ForbiddenError,
    Permission,
    Role,
    User,
    check_username,
)
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.model import new_id
from firstarticle.ports import Page, UnitOfWork
from firstarticle.services import ServiceContext, found, record
from firstarticle.services.accounts import (
    LOGIN,
    SIGNING,
    TOTP,
    check_password,
    hasher_of,
    managed_user,
    require_passes_on,
    require_person_in_session,
    user_event,
)
from firstarticle.services.sign_in import (
    IssuedToken,
    SignedIn,
    authenticate_session,
    authenticate_token,
    create_token,
    enrol_totp,
    issue_signing_nonce,
    link_oidc,
    list_tokens,
    login,
    logout,
    open_session,
    reauthenticate,
    revoke_token,
)

__all__ = [
    "LOGIN",
    "MAX_USERS_SCANNED",
    "SIGNING",
    "TOTP",
    "IssuedToken",
    "SignedIn",
    "add_authorization",
    "authenticate_session",
    "authenticate_token",
    "create_token",
    "create_user",
    "describe",
    "disable_user",
    "enrol_totp",
    "get_user",
    "grant",
    "issue_signing_nonce",
    "link_oidc",
    "list_tokens",
    "list_users",
    "login",
    "logout",
    "open_session",
    "reauthenticate",
    "revoke_authorization",
    "revoke_token",
    "set_citizenships",
    "set_password",
]
MAX_USERS_SCANNED = 100_000


# --- administration --------------------------------------------------------------------------


def _sites(uow: UnitOfWork, ctx: ServiceContext, codes: list[str]) -> frozenset[str]:
    ids = set()
    for code in codes:
        site = found(uow.sites.by_code(code), "site", code)
        # An administrator grants only the sites they administer themselves.
        ctx.principal.require_site(site.id, "site")
        ids.add(site.id)
    return frozenset(ids)


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
            check_password(password)
            user.password_hash = hasher_of(ctx).hash(password)
        uow.identity.add(user)
        record(uow, ctx, [user_event(ctx, "user.created", user, _public(user))])
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


def _not_self(ctx: ServiceContext, user: User, what: str) -> None:
    if user.id == ctx.principal.user_id:
        raise ForbiddenError(f"Nobody {what} for themself; another administrator does.")


def _keeps_an_administrator(uow: UnitOfWork, leaving: User) -> None:
    """Refuse a change that would leave no active administrator of every site: nobody could
    then manage people, and the plant would be locked out of its own records."""
    everyone = uow.identity.users(MAX_USERS_SCANNED, 0).items
    if not any(
        u.active and u.all_sites and Role.ADMINISTRATOR in u.roles and u.id != leaving.id
        for u in everyone
    ):
        raise ConflictError(
            f"{leaving.username} is the last active administrator of every site; make "
            "another one first.",
            reason="last_administrator",
        )


def _is_chief(user: User) -> bool:
    return user.active and user.all_sites and Role.ADMINISTRATOR in user.roles


def get_user(ctx: ServiceContext, username: str) -> User:
    """A user, for administrators (of that user's sites) and for the user themself."""
    with ctx.uow_factory() as uow:
        if check_username(username) == ctx.principal.username:
            return found(uow.identity.by_username(username), "user", username)
        return managed_user(uow, ctx, username)


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
        user = managed_user(uow, ctx, username)
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
        if _is_chief(user) and (Role.ADMINISTRATOR not in new_roles or all_sites is False):
            _keeps_an_administrator(uow, user)
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
            record(uow, ctx, [user_event(ctx, "user.access_changed", user, changes, reason)])
            uow.commit()
        return user


def set_citizenships(ctx: ServiceContext, username: str, citizenships: list[str]) -> User:
    """Record every citizenship a person holds (all of them matter to export control)."""
    with ctx.uow_factory() as uow:
        user = managed_user(uow, ctx, username)
        before = sorted(user.citizenships)
        user.citizenships = frozenset(c.strip().upper() for c in citizenships)
        User.__post_init__(user)
        record(
            uow,
            ctx,
            [
                user_event(
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
        user = managed_user(uow, ctx, username)
        _not_self(ctx, user, "records an export authorization")
        granted = ExportAuthorization(
            kind=kind,
            regime=regime,
            categories=frozenset(categories or []),
            reference=reference,
            expires_on=expires_on,
            id=new_id(),
        )
        require_passes_on(ctx, replace(user.principal(AuthMethod.TOKEN), authorizations=(granted,)))
        user.authorizations = (*user.authorizations, granted)
        record(
            uow,
            ctx,
            [
                user_event(
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
        user = managed_user(uow, ctx, username)
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
                user_event(
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
        user = managed_user(uow, ctx, username)
        # Disabling oneself takes a second administrator, as every change of one's own access.
        _not_self(ctx, user, "disables their own account")
        if not user.active:
            raise ConflictError(f"{username} is already disabled.")
        if _is_chief(user):
            _keeps_an_administrator(uow, user)
        now = ctx.clock.now()
        user.active, user.disabled_at = False, now
        for session in uow.identity.sessions_of(user.id):
            session.ended_at = now
        record(
            uow, ctx, [user_event(ctx, "user.disabled", user, {"active": (True, False)}, reason)]
        )
        uow.commit()
        return user


def set_password(
    ctx: ServiceContext, username: str, password: str, current_password: str | None = None
) -> None:
    """Set a password: administrators for others, a person for themself with the old one."""
    check_password(password)
    with ctx.uow_factory() as uow:
        if check_username(username) == ctx.principal.username:
            require_person_in_session(ctx)
            user = found(uow.identity.by_username(username), "user", username)
            if user.password_hash is not None and not hasher_of(ctx).verify(
                user.password_hash, current_password or ""
            ):
                raise AuthenticationError("The current password is not correct.")
        else:
            user = managed_user(uow, ctx, username)
        if user.is_system:
            raise ValidationError("Integration accounts use tokens, not passwords.")
        user.password_hash = hasher_of(ctx).hash(password)
        record(uow, ctx, [user_event(ctx, "user.password_set", user, {"password": ("***", "***")})])
        uow.commit()


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

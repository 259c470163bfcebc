"""People, integration accounts and their API tokens."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated, Any

import typer

from firstarticle.cli.common import (
    command,
    ctx,
    err,
    out,
    print_json,
    usage_error,
)
from firstarticle.domain.access import (
    AuthorizationKind,
    Permission,
    Role,
)
from firstarticle.domain.classification import ExportRegime
from firstarticle.services import (
    identity,
)

users_app = typer.Typer(help="People and integration accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens of systems and scripts.", no_args_is_help=True)


def _user_line(user: Any) -> str:
    sites = "all sites" if user.all_sites else ",".join(sorted(user.site_ids)) or "no site"
    state = "" if user.active else " (disabled)"
    roles = ",".join(sorted(r.value for r in user.roles))
    return f"{user.username}\t{user.printed_name}\t{roles}\t{sites}{state}"


@users_app.command("create")
@command
def users_create(
    username: str,
    printed_name: Annotated[str, typer.Option("--name", help="Printed name, as signed.")],
    role: Annotated[list[Role], typer.Option("--role", help="Repeat for several roles.")],
    site: Annotated[list[str] | None, typer.Option("--site", help="Site code; repeatable.")] = None,
    all_sites: Annotated[bool, typer.Option("--all-sites")] = False,
    citizenship: Annotated[
        list[str] | None, typer.Option("--citizenship", help="ISO country code; repeatable.")
    ] = None,
    email: Annotated[str | None, typer.Option()] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the initial password from stdin.")
    ] = False,
) -> None:
    """Create a person or an integration account (system_* roles)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    user = identity.create_user(
        ctx(),
        username=username,
        printed_name=printed_name,
        roles=list(role),
        sites=list(site or []),
        all_sites=all_sites,
        citizenships=list(citizenship or []),
        email=email,
        password=password,
    )
    out.print(_user_line(user), highlight=False)


@users_app.command("list")
@command
def users_list(limit: int = 50, offset: int = 0) -> None:
    """Users, by username."""
    for user in identity.list_users(ctx(), limit, offset).items:
        out.print(_user_line(user), highlight=False)


@users_app.command("show")
@command
def users_show(username: str) -> None:
    """One user with roles, sites, citizenships and export authorizations (as JSON)."""
    print_json(identity.describe(identity.get_user(ctx(), username)))


@users_app.command("grant")
@command
def users_grant(
    username: str,
    reason: Annotated[str, typer.Option(help="Why access changes (audited).")],
    role: Annotated[list[Role] | None, typer.Option("--role")] = None,
    revoke_role: Annotated[list[Role] | None, typer.Option("--revoke-role")] = None,
    site: Annotated[list[str] | None, typer.Option("--site")] = None,
    revoke_site: Annotated[list[str] | None, typer.Option("--revoke-site")] = None,
    all_sites: Annotated[bool | None, typer.Option("--all-sites/--listed-sites")] = None,
) -> None:
    """Add or remove roles and sites."""
    user = identity.grant(
        ctx(),
        username,
        roles=list(role or []),
        revoke_roles=list(revoke_role or []),
        sites=list(site or []),
        revoke_sites=list(revoke_site or []),
        all_sites=all_sites,
        reason=reason,
    )
    out.print(_user_line(user), highlight=False)


@users_app.command("authorize")
@command
def users_authorize(
    username: str,
    kind: Annotated[AuthorizationKind, typer.Option(help="us_person, license or agreement.")],
    reason: Annotated[str, typer.Option(help="The basis of the record (audited).")],
    regime: Annotated[ExportRegime | None, typer.Option(help="itar or ear.")] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="USML category or ECCN; repeatable.")
    ] = None,
    reference: Annotated[str | None, typer.Option(help="License or agreement number.")] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry date, YYYY-MM-DD.")] = None,
) -> None:
    """Record an export authorization: US person, or a license/agreement with an expiry."""
    try:
        expires_on = date.fromisoformat(expires) if expires else None
    except ValueError:
        usage_error(f"--expires is not a date (YYYY-MM-DD): {expires!r}")
    identity.add_authorization(
        ctx(),
        username,
        kind=kind,
        regime=regime,
        categories=list(category or []),
        reference=reference,
        expires_on=expires_on,
        reason=reason,
    )
    out.print(f"{username}: {kind.value} recorded", highlight=False)


@users_app.command("disable")
@command
def users_disable(
    username: str, reason: Annotated[str, typer.Option(help="Why (audited).")]
) -> None:
    """Disable an account for good: sessions end, tokens stop; the name is never reused."""
    identity.disable_user(ctx(), username, reason)
    out.print(f"{username} disabled", highlight=False)


@users_app.command("password")
@command
def users_password(username: str) -> None:
    """Set a user's password, read from stdin (one line)."""
    identity.set_password(ctx(), username, sys.stdin.readline().rstrip("\n"))
    out.print(f"{username}: password set", highlight=False)


@users_app.command("totp")
@command
def users_totp(username: str) -> None:
    """Enrol a new TOTP second factor; prints the otpauth:// URI to load into an app."""
    out.print(identity.enrol_totp(ctx(), username), highlight=False, soft_wrap=True)


@token_app.command("create")
@command
def token_create(
    user: Annotated[str, typer.Option("--user", help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    scope: Annotated[
        list[Permission] | None,
        typer.Option("--scope", help="Narrow the token to these permissions; repeatable."),
    ] = None,
    days: Annotated[int | None, typer.Option(help="Lifetime in days.")] = None,
) -> None:
    """Issue an API token and print it once (only its SHA-256 is kept)."""
    issued = identity.create_token(
        ctx(), user, name=name, scopes=list(scope or []) or None, days=days
    )
    print(issued.secret)
    err.print(
        f"token {issued.token.id} for {user}, expires {issued.token.expires_at:%Y-%m-%d}",
        highlight=False,
    )


@token_app.command("list")
@command
def token_list(user: Annotated[str, typer.Option("--user")]) -> None:
    """The tokens of a user (never their secrets)."""
    for t in identity.list_tokens(ctx(), user):
        state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
        scopes = ",".join(sorted(t.scopes)) if t.scopes else "all"
        out.print(f"{t.id}\t{t.name}\t{scopes}\t{state}", highlight=False)


@token_app.command("revoke")
@command
def token_revoke(
    token_id: str, reason: Annotated[str, typer.Option(help="Why (audited).")]
) -> None:
    """Revoke a token at once."""
    identity.revoke_token(ctx(), token_id, reason)
    out.print(f"token {token_id} revoked", highlight=False)

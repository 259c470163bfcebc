"""Bearer tokens' principals are reused for seconds, never past a change this process made,
a token's expiry, or the configured bound for changes made elsewhere."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from firstarticle.domain.access import AuthenticationError, Role
from firstarticle.services import PrincipalCache, identity, sign_in
from firstarticle.storage import orm


def _token(ctx: Any, username: str = "erp.bot") -> tuple[str, str]:
    identity.create_user(
        ctx, username=username, printed_name="ERP", roles=[Role.SHIPPING], all_sites=True
    )
    issued = identity.create_token(ctx, username, name="gate", days=30)
    return issued.token.id, issued.secret


def _reads(connection: sa.Connection, action: Any) -> int:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)
    return len(seen)


def test_a_token_is_read_once_then_served_from_memory(ctx, connection) -> None:
    _, secret = _token(ctx)
    first = _reads(connection, lambda: sign_in.authenticate_token(ctx, secret))
    again = _reads(connection, lambda: sign_in.authenticate_token(ctx, secret))
    assert (first > 0, again) == (True, 0)


def test_revoking_or_disabling_takes_effect_at_once_in_this_process(ctx) -> None:
    token_id, secret = _token(ctx)
    sign_in.authenticate_token(ctx, secret)
    identity.revoke_token(ctx, token_id, reason="leaked in a ticket")
    with pytest.raises(AuthenticationError):
        sign_in.authenticate_token(ctx, secret)
    _, other = _token(ctx, "erp.two")
    sign_in.authenticate_token(ctx, other)
    identity.disable_user(ctx, "erp.two", reason="left the plant")
    with pytest.raises(AuthenticationError):
        sign_in.authenticate_token(ctx, other)


def test_an_expired_token_is_refused_even_while_remembered(ctx, clock) -> None:
    _, secret = _token(ctx)
    sign_in.authenticate_token(ctx, secret)
    clock.advance(days=31)
    with pytest.raises(AuthenticationError):
        sign_in.authenticate_token(ctx, secret)


def test_a_change_made_elsewhere_counts_within_the_bound(
    ctx, connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process revokes the token straight in the database: refused once the
    configured seconds have passed."""
    token_id, secret = _token(ctx)
    cache = PrincipalCache(seconds=5)
    cached = replace(ctx, principals=cache)
    sign_in.authenticate_token(cached, secret)
    t = orm.api_tokens
    connection.execute(sa.update(t).where(t.c.id == token_id).values(revoked_at=ctx.clock.now()))
    sign_in.authenticate_token(cached, secret)  # still within the bound
    later = time.monotonic() + timedelta(seconds=6).total_seconds()
    monkeypatch.setattr("firstarticle.services.time.monotonic", lambda: later)
    with pytest.raises(AuthenticationError):
        sign_in.authenticate_token(cached, secret)

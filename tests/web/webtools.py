"""Helpers for the web pages through Starlette's test client (real sign-in, real CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import plant
import sqlalchemy as sa
from fastapi.testclient import TestClient

from firstarticle import bootstrap
from firstarticle.domain.access import AuthorizationKind, Role
from firstarticle.services import identity

TOKEN = re.compile(r'name="(form_token|csrf_token)" value="([^"]+)"')


def token_in(html: str, name: str = "csrf_token") -> str:
    """The hidden token a page's form carries."""
    found = dict(TOKEN.findall(html))
    assert name in found, f"no {name} in the page"
    return found[name]


def sign_in(client: TestClient, username: str, password: str = plant.PASSWORD) -> str:
    """Sign in through the sign-in form; the dashboard's CSRF token."""
    form = client.get("/web/sign-in")
    response = client.post(
        "/web/sign-in",
        data={
            "username": username,
            "password": password,
            "form_token": token_in(form.text, "form_token"),
            "next": "/web/",
        },
    )
    assert response.status_code == 200, response.text
    assert str(response.url).endswith("/web/")
    return token_in(response.text)


def a_person(application: bootstrap.Application, username: str, *roles: Role) -> None:
    """A stored person with a password at every site, a US person."""
    ctx = application.context("test-admin")
    identity.create_user(
        ctx,
        username=username,
        printed_name=username.replace(".", " ").title(),
        roles=list(roles) or [Role.QUALITY_ENGINEER],
        all_sites=True,
        password=plant.PASSWORD,
    )
    identity.add_authorization(ctx, username, kind=AuthorizationKind.US_PERSON, reason="test")


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` while the block runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def shown_total(html: str) -> int:
    """The first count a list page shows in parentheses, e.g. ``Holds (15)``."""
    found = re.search(r"\((\d+)\)", html)
    assert found, "no count on the page"
    return int(found.group(1))

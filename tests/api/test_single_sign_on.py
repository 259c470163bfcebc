"""Single sign-on endpoints: the redirect, the callback, and linking to existing users.

The OpenID Connect protocol itself (ID token checks) is tested against a fake provider in
tests/unit/test_oidc.py; here a stand-in client answers so the HTTP wiring can be seen.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from firstarticle.access.oidc import OidcError, OidcIdentity, OidcStart
from firstarticle.domain.access import Role
from firstarticle.services import ServiceContext, identity

API = "/api/v1"
ISSUER = "https://login.example-idp.com/tenant"


class StandInProvider:
    """Answers like OidcClient: the identity for the right code, OidcError otherwise."""

    def __init__(self, email: str | None) -> None:
        self.email = email

    def begin(self) -> OidcStart:
        return OidcStart(f"{ISSUER}/authorize?state=s1", "s1", "n1", "v" * 64)

    def finish(self, *, code: str, state: str, expected_state: str, **_: Any) -> OidcIdentity:
        if state != expected_state or code != "good-code":
            raise OidcError("state or code did not match")
        return OidcIdentity(ISSUER, "subject-123", self.email, "Jorge Ortiz", {})


@pytest.fixture
def sso(application: Any, ctx: ServiceContext) -> StandInProvider:
    identity.create_user(
        ctx,
        username="j.ortiz",
        printed_name="Jorge Ortiz",
        roles=[Role.QUALITY_ENGINEER],
        all_sites=True,
        email="j.ortiz@example-plant.com",
    )
    provider = StandInProvider("J.Ortiz@example-plant.com")
    application.oidc_client = provider
    return provider


def test_sign_on_redirects_to_the_provider_and_keeps_the_state_in_this_browser(
    authed_client: TestClient, sso: StandInProvider
) -> None:
    """/auth/oidc/login answers 302 to the provider and sets a short-lived HttpOnly cookie."""
    response = authed_client.get(f"{API}/auth/oidc/login", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith(ISSUER)
    assert "httponly" in response.headers["set-cookie"].lower()


def test_the_callback_links_the_user_by_email_once_and_opens_a_session(
    authed_client: TestClient, sso: StandInProvider, application: Any
) -> None:
    """The first sign-on links the identity to the user with that email; a session follows."""
    authed_client.get(f"{API}/auth/oidc/login", follow_redirects=False)
    response = authed_client.get(f"{API}/auth/oidc/callback?code=good-code&state=s1")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "j.ortiz"
    assert authed_client.get(f"{API}/me").json()["method"] == "oidc"
    with application.uow() as uow:
        user = uow.identity.by_username("j.ortiz")
        assert (user.oidc_issuer, user.oidc_subject) == (ISSUER, "subject-123")


def test_a_forged_state_or_a_callback_without_a_login_is_refused(
    authed_client: TestClient, sso: StandInProvider
) -> None:
    """Without the browser's own state, the callback signs nobody in (login CSRF)."""
    cold = authed_client.get(f"{API}/auth/oidc/callback?code=good-code&state=s1")
    assert cold.status_code == 401
    authed_client.get(f"{API}/auth/oidc/login", follow_redirects=False)
    forged = authed_client.get(f"{API}/auth/oidc/callback?code=good-code&state=evil")
    assert forged.status_code == 401
    assert authed_client.get(f"{API}/me").status_code == 401


def test_an_identity_nobody_was_created_for_gets_no_account(
    authed_client: TestClient, sso: StandInProvider
) -> None:
    """Signing on never creates users: an unknown email is refused."""
    sso.email = "stranger@example.com"
    authed_client.get(f"{API}/auth/oidc/login", follow_redirects=False)
    response = authed_client.get(f"{API}/auth/oidc/callback?code=good-code&state=s1")
    assert response.status_code == 401


def test_without_configuration_single_sign_on_is_not_offered(authed_client: TestClient) -> None:
    """No FIRSTARTICLE_OIDC_ISSUER: the endpoints answer 404 problem+json."""
    response = authed_client.get(f"{API}/auth/oidc/login", follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"

"""Single sign-on from the web application: the same callback, the same session cookie,
landing on the page the person asked for, or back on the sign-in page with the reason."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from firstarticle.access.oidc import OidcError, OidcIdentity, OidcStart
from firstarticle.domain.access import Role
from firstarticle.services import ServiceContext, identity

ISSUER = "https://login.example-idp.com/tenant"


class StandInProvider:
    """Answers like OidcClient: the identity for the right code, OidcError otherwise."""

    def __init__(self, email: str) -> None:
        self.email = email

    def begin(self) -> OidcStart:
        return OidcStart(f"{ISSUER}/authorize?state=s1", "s1", "n1", "v" * 64)

    def finish(self, *, code: str, state: str, expected_state: str, **_: Any) -> OidcIdentity:
        if state != expected_state or code != "good-code":
            raise OidcError("state or code did not match")
        return OidcIdentity(ISSUER, "subject-9", self.email, "Jorge Ortiz", {})


@pytest.fixture
def provider(application: Any, ctx: ServiceContext) -> StandInProvider:
    identity.create_user(
        ctx,
        username="j.ortiz",
        printed_name="Jorge Ortiz",
        roles=[Role.QUALITY_ENGINEER],
        all_sites=True,
        email="j.ortiz@example-plant.com",
    )
    application.oidc_client = StandInProvider("j.ortiz@example-plant.com")
    return application.oidc_client  # type: ignore[no-any-return]


def test_the_sign_in_page_offers_single_sign_on_and_lands_signed_in_where_asked(
    web: TestClient, provider: StandInProvider
) -> None:
    page = web.get("/web/sign-in?next=/web/holds").text
    assert 'href="/api/v1/auth/oidc/login?next=/web/holds"' in page
    started = web.get("/api/v1/auth/oidc/login?next=/web/holds", follow_redirects=False)
    assert started.headers["location"].startswith(ISSUER)
    landed = web.get("/api/v1/auth/oidc/callback?code=good-code&state=s1", follow_redirects=False)
    assert (landed.status_code, landed.headers["location"]) == (303, "/web/holds")
    assert web.get("/web/holds").status_code == 200
    assert web.get("/api/v1/me").json()["method"] == "oidc"


def test_a_failed_sign_on_returns_to_the_sign_in_page_with_the_reason(
    web: TestClient, provider: StandInProvider
) -> None:
    web.get("/api/v1/auth/oidc/login?next=/web/", follow_redirects=False)
    failed = web.get("/api/v1/auth/oidc/callback?code=stolen&state=s1", follow_redirects=False)
    assert (failed.status_code, failed.headers["location"]) == (
        303,
        "/web/sign-in?reason=sso_failed",
    )
    assert "Single sign-on did not sign you in" in web.get(failed.headers["location"]).text
    assert web.get("/web/", follow_redirects=False).status_code in (302, 303)


def test_a_landing_page_outside_the_web_application_is_ignored(
    web: TestClient, provider: StandInProvider
) -> None:
    web.get("/api/v1/auth/oidc/login?next=https://evil.example/", follow_redirects=False)
    answered = web.get("/api/v1/auth/oidc/callback?code=good-code&state=s1")
    assert answered.status_code == 200
    assert answered.json()["user"]["username"] == "j.ortiz"


def test_without_single_sign_on_the_sign_in_page_does_not_offer_it(web: TestClient) -> None:
    assert "single sign-on" not in web.get("/web/sign-in").text.lower()

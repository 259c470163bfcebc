"""Sign-in, sessions, CSRF, tokens, attempt limits and the second factor, through HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from firstarticle.domain.access import AuthorizationKind, Permission, Role
from firstarticle.services import ServiceContext, identity

API = "/api/v1"
PASSWORD = "correct horse battery staple"


def a_person(ctx: ServiceContext, username: str = "j.ortiz", **extra: Any) -> None:
    identity.create_user(
        ctx,
        username=username,
        printed_name=username.title(),
        roles=extra.pop("roles", [Role.QUALITY_ENGINEER]),
        all_sites=True,
        password=PASSWORD,
        **extra,
    )
    identity.add_authorization(ctx, username, kind=AuthorizationKind.US_PERSON, reason="test")


def sign_in(client: TestClient, username: str = "j.ortiz", **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"{API}/session", json={"username": username, "password": PASSWORD, **extra}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_request_without_credentials_is_refused_with_a_bearer_challenge(
    authed_client: TestClient,
) -> None:
    """No token and no session: 401 problem+json naming the Bearer scheme."""
    response = authed_client.get(f"{API}/first-articles")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "authentication_required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_person_signs_in_and_the_session_cookie_identifies_them(
    authed_client: TestClient, ctx: ServiceContext
) -> None:
    """Sign-in sets an HttpOnly cookie; /me then names the person and their roles."""
    a_person(ctx)
    body = sign_in(authed_client)
    cookie = authed_client.cookies.get("fa_session")
    assert cookie
    assert len(cookie) >= 32
    assert body["user"]["username"] == "j.ortiz"
    me = authed_client.get(f"{API}/me").json()
    assert me["username"] == "j.ortiz"
    assert "quality_engineer" in me["roles"]
    assert me["method"] == "session"


@pytest.mark.requirement("A4")
def test_each_sign_in_gets_a_new_session_id(authed_client: TestClient, ctx: ServiceContext) -> None:
    """Session ids rotate at login: signing in again never reuses the old id."""
    a_person(ctx)
    sign_in(authed_client)
    first = authed_client.cookies.get("fa_session")
    sign_in(authed_client)
    assert authed_client.cookies.get("fa_session") != first


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    authed_client: TestClient, ctx: ServiceContext
) -> None:
    """Nobody learns which usernames exist from the sign-in answer."""
    a_person(ctx)
    wrong = authed_client.post(f"{API}/session", json={"username": "j.ortiz", "password": "x"})
    unknown = authed_client.post(f"{API}/session", json={"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_a_change_from_a_browser_needs_the_csrf_token(
    authed_client: TestClient, ctx: ServiceContext
) -> None:
    """With only the cookie a POST is refused (403 csrf); with X-CSRF-Token it goes through."""
    a_person(ctx, roles=[Role.ADMINISTRATOR])
    body = sign_in(authed_client)
    site = {"code": "WCH", "name": "Wichita"}
    refused = authed_client.post(f"{API}/sites", json=site)
    assert refused.status_code == 403
    assert refused.json()["reason"] == "csrf"
    accepted = authed_client.post(
        f"{API}/sites", json=site, headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert accepted.status_code == 201, accepted.text


def test_sign_out_ends_the_session(authed_client: TestClient, ctx: ServiceContext) -> None:
    """After DELETE /session the old cookie no longer works."""
    a_person(ctx)
    body = sign_in(authed_client)
    cookie = authed_client.cookies.get("fa_session")
    out = authed_client.delete(f"{API}/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    authed_client.cookies.set("fa_session", cookie or "")
    assert authed_client.get(f"{API}/me").status_code == 401


@pytest.mark.requirement("A4")
def test_a_session_ends_after_the_idle_timeout_and_the_absolute_timeout(
    authed_client: TestClient, ctx: ServiceContext, clock: Any
) -> None:
    """Idle 31 minutes: signed out. Active every 20 minutes: still signed out after 12 hours."""
    a_person(ctx)
    sign_in(authed_client)
    clock.advance(minutes=31)
    assert authed_client.get(f"{API}/me").status_code == 401
    sign_in(authed_client)
    signed_in_at = clock.current
    for _ in range(40):
        clock.advance(minutes=20)
        if authed_client.get(f"{API}/me").status_code == 401:
            break
    else:
        pytest.fail("the session outlived its absolute timeout")
    assert clock.current - signed_in_at == timedelta(hours=12)


@pytest.mark.requirement("A4")
def test_failed_sign_ins_are_limited_per_account_and_leave_security_events(
    authed_client: TestClient, ctx: ServiceContext, clock: Any, application: Any
) -> None:
    """After 5 failures in 15 minutes even the right password waits; over an hour of guessing
    at most 100 attempts are evaluated (A4), and each failure is in the audit trail."""
    a_person(ctx)
    evaluated = 0
    for minute in range(60):
        for _ in range(10):
            r = authed_client.post(f"{API}/session", json={"username": "j.ortiz", "password": "no"})
            assert r.status_code in (401, 429)
            if r.status_code == 401:
                evaluated += 1
            else:
                assert int(r.headers["Retry-After"]) > 0
        clock.advance(minutes=1)
        del minute
    assert 0 < evaluated <= 100
    with application.uow() as uow:
        user = uow.identity.by_username("j.ortiz")
        trail = uow.audit.for_record("user", user.id)
    assert sum(e["action"] == "security.login_failed" for e in trail) == evaluated


def test_a_bearer_token_acts_as_its_user_within_its_scopes(
    authed_client: TestClient, ctx: ServiceContext
) -> None:
    """A token narrowed to 'read' reads but cannot create; no CSRF token is needed."""
    a_person(ctx, roles=[Role.ADMINISTRATOR])
    issued = identity.create_token(ctx, "j.ortiz", name="script", scopes=[Permission.READ])
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert authed_client.get(f"{API}/sites", headers=headers).status_code == 200
    created = authed_client.post(f"{API}/sites", json={"code": "X1", "name": "X"}, headers=headers)
    assert created.status_code == 403
    assert created.json()["code"] == "forbidden"


@pytest.mark.requirement("A4")
def test_only_the_hash_of_a_token_is_stored(ctx: ServiceContext, application: Any) -> None:
    """The secret printed once is nowhere in the database; its SHA-256 is."""
    a_person(ctx)
    issued = identity.create_token(ctx, "j.ortiz", name="erp")
    with application.uow() as uow:
        stored = uow.identity.token(issued.token.id)
    assert stored.token_sha256 != issued.secret
    assert issued.secret not in repr(vars(stored))


def test_expired_revoked_and_disabled_users_tokens_stop_working(
    authed_client: TestClient, ctx: ServiceContext, clock: Any
) -> None:
    """A token fails after its expiry, after revocation, and when its user is disabled."""
    a_person(ctx)
    short = identity.create_token(ctx, "j.ortiz", name="short", days=1)
    revoked = identity.create_token(ctx, "j.ortiz", name="revoked")
    kept = identity.create_token(ctx, "j.ortiz", name="kept")

    def status(secret: str) -> int:
        return authed_client.get(
            f"{API}/me", headers={"Authorization": f"Bearer {secret}"}
        ).status_code

    assert status(short.secret) == status(kept.secret) == 200
    identity.revoke_token(ctx, revoked.token.id, "leaked in a ticket")
    assert status(revoked.secret) == 401
    clock.advance(days=1, seconds=1)
    assert status(short.secret) == 401
    assert status(kept.secret) == 200
    identity.disable_user(ctx, "j.ortiz", "left the company")
    assert status(kept.secret) == 401


@pytest.mark.requirement("R12")
def test_a_disabled_username_is_never_given_to_someone_else(ctx: ServiceContext) -> None:
    """Usernames are not reused, even after the account is disabled (R12)."""
    a_person(ctx)
    identity.disable_user(ctx, "j.ortiz", "left")
    from firstarticle.domain.errors import ConflictError

    with pytest.raises(ConflictError):
        a_person(ctx)


def test_a_role_that_requires_totp_cannot_sign_in_without_the_code(
    authed_client: TestClient, ctx: ServiceContext, clock: Any
) -> None:
    """With TOTP enrolled the password alone is refused; password and code sign in once."""
    a_person(ctx)
    uri = identity.enrol_totp(ctx, "j.ortiz")
    secret = pyotp.parse_uri(uri).secret
    no_code = authed_client.post(
        f"{API}/session", json={"username": "j.ortiz", "password": PASSWORD}
    )
    assert no_code.status_code == 401
    code = pyotp.TOTP(secret).at(clock.current)
    sign_in(authed_client, totp_code=code)
    # The same code cannot be replayed for a second sign-in.
    replay = authed_client.post(
        f"{API}/session", json={"username": "j.ortiz", "password": PASSWORD, "totp_code": code}
    )
    assert replay.status_code == 401


def test_an_integration_account_cannot_have_a_password(ctx: ServiceContext) -> None:
    """System accounts use tokens only."""
    from firstarticle.domain.errors import ValidationError

    with pytest.raises(ValidationError):
        identity.create_user(
            ctx,
            username="erp",
            printed_name="ERP",
            roles=[Role.SYSTEM_ERP],
            all_sites=True,
            password=PASSWORD,
        )


def test_the_password_never_appears_in_an_error_answer(authed_client: TestClient) -> None:
    """A refused sign-in does not echo the password back."""
    secret = "hunter2-but-longer-than-12"
    response = authed_client.post(
        f"{API}/session", json={"username": "x" * 300, "password": secret}
    )
    assert response.status_code == 422
    assert secret not in response.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "approved"),
        ("signatures", []),
        ("holds", []),
        ("export_classification", {"regime": "not_controlled"}),
        ("export_regime", "not_controlled"),
    ],
)
@pytest.mark.requirement("A1")
def test_a_generic_update_cannot_set_status_signatures_holds_or_export_label(
    client: TestClient, ctx: ServiceContext, field: str, value: Any
) -> None:
    """PATCH of an FAI refuses protected fields with 422 and changes nothing (A1)."""
    import plant

    fai = plant.an_fai(ctx, plant.a_plant(ctx))
    before = client.get(f"{API}/first-articles/{fai.fai.id}").json()
    response = client.patch(f"{API}/first-articles/{fai.fai.id}", json={field: value})
    assert response.status_code == 422
    after = client.get(f"{API}/first-articles/{fai.fai.id}").json()
    assert after["version"] == before["version"]
    assert after["status"] == before["status"]


def test_an_administrator_of_one_site_pages_through_exactly_their_users(
    ctx: ServiceContext,
) -> None:
    """A site-bound administrator's user list counts and pages only the users of their sites."""
    from firstarticle.domain.access import AuthMethod
    from firstarticle.services import catalog

    catalog.create_site(ctx, code="WCH", name="Wichita")
    catalog.create_site(ctx, code="TLS", name="Toulouse")
    for n in range(5):
        for code in ("WCH", "TLS"):
            identity.create_user(
                ctx,
                username=f"{code.lower()}.user{n}",
                printed_name=f"User {n}",
                roles=[Role.OPERATOR],
                sites=[code],
            )
    admin = identity.create_user(
        ctx, username="tls.admin", printed_name="Luc", roles=[Role.ADMINISTRATOR], sites=["TLS"]
    )
    as_admin = ctx.as_principal(admin.principal(AuthMethod.PASSWORD_SESSION))
    first = identity.list_users(as_admin, limit=4, offset=0)
    second = identity.list_users(as_admin, limit=4, offset=4)
    names = [u.username for u in first.items + second.items]
    assert first.total == 6  # five operators and the administrator, all at TLS
    assert len(names) == 6
    assert all(name.startswith("tls.") for name in names)


def _attempt(ctx: ServiceContext, username: str, password: str, source: str) -> int:
    """One sign-in through the service from ``source``: 201, 401 or 429 as the API answers."""
    from firstarticle.domain.access import AuthenticationError, TooManyAttemptsError

    try:
        identity.login(ctx, username, password, source=source)
    except AuthenticationError:
        return 401
    except TooManyAttemptsError:
        return 429
    return 201


@pytest.mark.requirement("A9")
def test_password_spraying_from_one_address_is_slowed_whatever_the_account(
    ctx: ServiceContext, clock: Any, figure
) -> None:
    """One address tries 33 accounts for an hour, 10 guesses a minute: at most 100 of its
    failures are evaluated (A9), although no single account reaches its own limit."""
    names = [f"sprayed.{n:02d}" for n in range(33)]
    for name in names:
        a_person(ctx, name)
    evaluated = 0
    for minute in range(60):
        for guess in range(10):
            name = names[(minute * 10 + guess) % len(names)]
            evaluated += _attempt(ctx, name, "Summer2026!", "203.0.113.9") == 401
        clock.advance(minutes=1)
    figure(
        "A9",
        "failures evaluated from one address in an hour (600 tries, 33 accounts)",
        evaluated,
        "<= 100",
    )
    assert 0 < evaluated <= 100


@pytest.mark.requirement("A9")
def test_an_attacker_elsewhere_cannot_lock_a_person_out(
    ctx: ServiceContext, clock: Any, figure
) -> None:
    """Guessing j.ortiz's password from one address until it is refused leaves j.ortiz free
    to sign in from their own desk."""
    a_person(ctx)
    refused = 0
    for _ in range(40):
        refused += _attempt(ctx, "j.ortiz", "guess", "198.51.100.7") == 429
    own_desk = _attempt(ctx, "j.ortiz", PASSWORD, "10.20.30.40")
    figure("A9", "lockouts of a person caused by another address", int(own_desk != 201), "0")
    assert refused > 0
    assert own_desk == 201


@pytest.mark.requirement("A9")
def test_an_address_that_keeps_failing_waits_longer_each_time(
    ctx: ServiceContext, clock: Any
) -> None:
    """The first wait is one window; failing again after it doubles the next wait."""
    a_person(ctx)
    from firstarticle.domain.access import TooManyAttemptsError

    def fail_until_refused() -> int:
        for _ in range(100):
            try:
                identity.login(ctx, "j.ortiz", "guess", source="192.0.2.50")
            except TooManyAttemptsError as refusal:
                return int(refusal.details["retry_after_seconds"])
            except Exception:
                continue
        raise AssertionError("never refused")

    first = fail_until_refused()
    clock.advance(seconds=first + 1)
    second = fail_until_refused()
    assert second == 2 * first


def _only_chiefs(application: Any, *usernames: str) -> None:
    """Leave ``usernames`` the only active administrators of every site (in this test's
    transaction): other tests' administrators would otherwise keep the plant managed."""
    with application.uow() as uow:
        for user in uow.identity.users(10_000, 0).items:
            if (
                user.all_sites
                and Role.ADMINISTRATOR in user.roles
                and user.username not in usernames
            ):
                user.active = False
        uow.commit()


def _chief(ctx: ServiceContext, username: str) -> ServiceContext:
    from firstarticle.domain.access import AuthMethod

    a_person(ctx, username, roles=[Role.ADMINISTRATOR])
    user = identity.get_user(ctx, username)
    return ctx.as_principal(user.principal(AuthMethod.PASSWORD_SESSION))


@pytest.mark.requirement("A9")
def test_the_last_administrator_can_be_neither_disabled_nor_demoted(
    ctx: ServiceContext, application: Any
) -> None:
    """With one administrator of every site left, disabling or demoting them is refused
    (last_administrator); with a second one, it is allowed."""
    from firstarticle.domain.errors import ConflictError

    _chief(ctx, "chief.one")
    _only_chiefs(application, "chief.one")
    with pytest.raises(ConflictError) as disabled:
        identity.disable_user(ctx, "chief.one", reason="leaving")
    assert disabled.value.details["reason"] == "last_administrator"
    with pytest.raises(ConflictError) as demoted:
        identity.grant(
            ctx,
            "chief.one",
            revoke_roles=[Role.ADMINISTRATOR],
            roles=[Role.AUDITOR],
            reason="moves to audit",
        )
    assert demoted.value.details["reason"] == "last_administrator"
    _chief(ctx, "chief.two")
    assert not identity.disable_user(ctx, "chief.one", reason="leaving").active


def test_an_administrator_cannot_disable_their_own_account(ctx: ServiceContext) -> None:
    """Disabling oneself takes a second administrator, like every change of one's access."""
    from firstarticle.domain.access import ForbiddenError

    one = _chief(ctx, "chief.one")
    two = _chief(ctx, "chief.two")
    with pytest.raises(ForbiddenError):
        identity.disable_user(one, "chief.one", reason="done here")
    assert not identity.disable_user(two, "chief.one", reason="done here").active

"""Administration pages: people, their roles, export authorizations and tokens, and sites."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from webtools import a_person, shown_total, sign_in, statements

from firstarticle import bootstrap
from firstarticle.domain.access import Role
from firstarticle.services import ServiceContext, identity


def test_only_an_administrator_reaches_the_administration(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "j.ortiz")
    sign_in(web, "j.ortiz")
    assert "Administration" not in web.get("/web/").text
    assert web.get("/web/admin/users").status_code == 403


def test_an_administrator_adds_a_person_after_a_refused_try_that_kept_the_form(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "admin", Role.ADMINISTRATOR)
    csrf = sign_in(web, "admin")
    form = {
        "csrf_token": csrf,
        "username": "l.nguyen",
        "printed_name": "Linh Nguyen",
        "sites": "NOPE",
        "citizenships": "us",
        "password": "a long enough password 1",
        "roles": ["inspector"],
    }
    refused = web.post("/web/admin/users", data=form)
    assert refused.status_code == 404  # no site NOPE
    assert 'value="Linh Nguyen"' in refused.text
    assert 'value="inspector" checked' in refused.text
    assert "a long enough password 1" not in refused.text
    created = web.post("/web/admin/users", data={**form, "sites": "", "all_sites": "on"})
    assert "The person is created." in created.text
    assert identity.get_user(application.context("test-admin"), "l.nguyen").roles == {
        Role.INSPECTOR
    }


def test_an_authorization_is_recorded_and_a_token_shown_once_then_revoked(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "admin", Role.ADMINISTRATOR)
    a_person(application, "a.moreau", Role.DESIGN_ENGINEER)
    csrf = sign_in(web, "admin")
    missing = web.post(
        "/web/admin/users/a.moreau/authorizations",
        data={"csrf_token": csrf, "kind": "license", "regime": "itar", "reason": ""},
    )
    assert missing.status_code == 422
    assert 'id="authorization-reason-error"' in missing.text
    recorded = web.post(
        "/web/admin/users/a.moreau/authorizations",
        data={
            "csrf_token": csrf,
            "kind": "license",
            "regime": "itar",
            "categories": "xix",
            "reference": "DSP-5 0424",
            "expires_on": "2027-06-30",
            "reason": "License granted",
        },
    )
    assert "The export authorization is recorded." in recorded.text
    assert "DSP-5 0424" in recorded.text
    issued = web.post(
        "/web/admin/users/a.moreau/tokens", data={"csrf_token": csrf, "name": "laptop", "days": "7"}
    )
    secret = re.search(r'id="issued-secret" readonly size="60" value="([^"]+)"', issued.text)
    assert secret
    again = web.get("/web/admin/users/a.moreau")
    assert secret.group(1) not in again.text
    token_id = re.search(r"/tokens/([^/]+)/revocation", again.text)
    assert token_id
    revoked = web.post(
        f"/web/admin/users/a.moreau/tokens/{token_id.group(1)}/revocation",
        data={"csrf_token": csrf, "reason": "Laptop lost"},
    )
    assert "Revoked" in revoked.text


def test_an_administrator_adds_a_site(web: TestClient, application: bootstrap.Application) -> None:
    a_person(application, "admin", Role.ADMINISTRATOR)
    csrf = sign_in(web, "admin")
    response = web.post(
        "/web/admin/sites",
        data={"csrf_token": csrf, "code": "TLS", "name": "Toulouse", "timezone": "Europe/Paris"},
    )
    assert "The site is created." in response.text
    assert "Europe/Paris" in response.text


def test_the_people_list_runs_as_many_queries_for_many_people_as_for_few(
    web: TestClient, application: bootstrap.Application, engine: sa.Engine
) -> None:
    a_person(application, "admin", Role.ADMINISTRATOR)
    sign_in(web, "admin")
    for n in range(2):
        a_person(application, f"person.{n}", Role.INSPECTOR)
    web.get("/web/admin/users")
    with statements(engine) as few:
        before = shown_total(web.get("/web/admin/users").text)
    for n in range(2, 14):
        a_person(application, f"person.{n}", Role.INSPECTOR)
    with statements(engine) as many:
        after = shown_total(web.get("/web/admin/users").text)
    assert len(many) == len(few)
    assert after - before == 12

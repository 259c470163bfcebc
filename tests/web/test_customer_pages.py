"""Customers' channels and review workflows from the web: versions written from a form,
refused forms that keep what was typed, and people who may only read."""

from __future__ import annotations

import json
import re

import plant
from fastapi.testclient import TestClient
from webtools import a_person, sign_in, token_in

from firstarticle import bootstrap
from firstarticle.domain.access import Role
from firstarticle.services import ServiceContext, channels


def test_a_quality_engineer_writes_the_next_channel_version(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    customer = plant.a_plant(ctx).customer
    sign_in(web, "j.ortiz")
    assert customer.code in web.get("/web/admin/customers").text
    page = web.get(f"/web/admin/customers/{customer.id}").text
    written = web.post(
        f"/web/admin/customers/{customer.id}/channel",
        data={
            "csrf_token": token_in(page),
            "authority": "portal",
            "portal_name": "SupplierNet",
            "buy_off": "one_step",
            "form_revision": "B",
            "entry_paths": ["transcription"],
            "people": "AP-77 | Dana Reyes | dana@prime.example\n",
            "reason": "Prime moved FAI approvals to its portal",
        },
        follow_redirects=False,
    )
    assert written.status_code == 303, re.findall(r"field-error[^>]*>([^<]*)", written.text)
    shown = web.get(written.headers["location"]).text
    assert "The next channel version is in force" in shown
    assert "Prime moved FAI approvals to its portal" in shown
    view = channels.show_channel(ctx, customer.id)
    assert (view.current.version, view.current.authority.value) == (1, "portal")
    assert [p.name for p in view.current.people] == ["Dana Reyes"]
    assert view.current.form_revision.value == "B"


def test_a_refused_channel_form_keeps_what_was_typed_and_names_the_field(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    customer = plant.a_plant(ctx).customer
    sign_in(web, "j.ortiz")
    page = web.get(f"/web/admin/customers/{customer.id}").text
    refused = web.post(
        f"/web/admin/customers/{customer.id}/channel",
        data={
            "csrf_token": token_in(page),
            "authority": "customer_qms",
            "buy_off": "one_step",
            "form_revision": "C",
            "people": "| nobody",
            "reason": "typed by hand",
        },
    )
    assert refused.status_code == 422
    assert 'id="channel-people-error"' in refused.text
    assert "typed by hand" in refused.text
    assert channels.show_channel(ctx, customer.id).versions == []


def test_a_review_template_is_stored_from_its_json_and_bad_json_is_refused(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "admin.one", Role.ADMINISTRATOR)
    customer = plant.a_plant(ctx).customer
    sign_in(web, "admin.one")
    page = web.get(f"/web/admin/customers/{customer.id}").text
    assert "the built-in default" in page
    bad = web.post(
        f"/web/admin/customers/{customer.id}/template",
        data={"csrf_token": token_in(page), "document": "{stages: oops"},
    )
    assert bad.status_code == 422
    assert "not valid JSON" in bad.text
    document = {"stages": [{"key": "quality", "name": "Quality review", "role": "quality"}]}
    stored = web.post(
        f"/web/admin/customers/{customer.id}/template",
        data={"csrf_token": token_in(page), "document": json.dumps(document)},
    )
    assert "The next review template version is in force" in stored.text
    assert "Quality review" in stored.text
    assert "version 1" in stored.text


def test_an_operator_reads_the_channel_but_is_offered_no_change(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "op.one", Role.OPERATOR)
    customer = plant.a_plant(ctx).customer
    csrf = sign_in(web, "op.one")
    page = web.get(f"/web/admin/customers/{customer.id}").text
    assert "Channel in force" in page
    assert "Write version" not in page
    refused = web.post(
        f"/web/admin/customers/{customer.id}/channel",
        data={"csrf_token": csrf, "authority": "portal", "buy_off": "none", "form_revision": "C"},
    )
    assert refused.status_code == 403
    assert channels.show_channel(ctx, customer.id).versions == []

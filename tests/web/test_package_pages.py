"""The FAI page's forms and package tab, and the paged audit trail."""

from __future__ import annotations

import io
import zipfile

import plant
from fastapi.testclient import TestClient
from webtools import a_person, sign_in, token_in

from firstarticle import bootstrap
from firstarticle.services import ServiceContext, first_articles


def test_a_blocked_fai_offers_drafts_only_and_names_what_blocks(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    fai_id = plant.an_fai(ctx, plant.a_plant(ctx)).fai.id
    csrf = sign_in(web, "j.ortiz")
    tab = web.get(f"/web/fai/{fai_id}?tab=package").text
    assert "RESULT_MISSING" in tab
    assert "Build attempt" not in tab
    assert f"/api/v1/first-articles/{fai_id}/forms.pdf?revision=C&amp;draft=true" in tab
    draft = web.post(f"/web/fai/{fai_id}/packages", data={"csrf_token": csrf, "draft": "true"})
    assert draft.headers["content-type"] == "application/zip"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(draft.content)).namelist()
    pdf = web.get(f"/api/v1/first-articles/{fai_id}/forms.pdf?revision=C&draft=true")
    assert pdf.content.startswith(b"%PDF")


def test_a_ready_fai_is_packaged_as_its_next_attempt_and_listed_for_download(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    fai_id = plant.an_fai(ctx, plant.a_plant(ctx)).fai.id
    plant.approve(ctx, fai_id)
    sign_in(web, "j.ortiz")
    tab = web.get(f"/web/fai/{fai_id}?tab=package").text
    assert "Build attempt 1 for submission" in tab
    built = web.post(
        f"/web/fai/{fai_id}/packages",
        data={"csrf_token": token_in(tab)},
        follow_redirects=False,
    )
    assert built.status_code == 303
    listed = web.get(built.headers["location"]).text
    assert "The package is built and recorded" in listed
    link = f"/api/v1/first-articles/{fai_id}/packages/1"
    assert link in listed
    assert web.get(link).headers["content-type"] == "application/zip"


def test_a_package_form_without_the_session_token_builds_nothing(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    fai_id = plant.an_fai(ctx, plant.a_plant(ctx)).fai.id
    plant.approve(ctx, fai_id)
    sign_in(web, "j.ortiz")
    refused = web.post(f"/web/fai/{fai_id}/packages", data={"draft": "true"})
    assert refused.status_code == 403
    web.post(f"/web/fai/{fai_id}/packages", data={})
    assert "No package has been built" in web.get(f"/web/fai/{fai_id}?tab=package").text


def test_the_audit_trail_pages_through_a_long_history(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    fai_id = plant.an_fai(ctx, plant.a_plant(ctx)).fai.id
    for n in range(60):
        first_articles.update_first_article(ctx, fai_id, {"purchase_order": f"PO-{n}"})
    sign_in(web, "j.ortiz")
    first = web.get(f"/web/fai/{fai_id}?tab=audit").text
    assert "Page 1 of 2" in first
    assert first.count("<tr><td>") == 50
    second = web.get(f"/web/fai/{fai_id}?tab=audit&number=2").text
    assert second.count("<tr><td>") > 0

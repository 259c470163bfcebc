"""The web pages through HTTP: sign-in and its messages, CSRF on every form, refused forms
that keep what was typed, and lists whose query count does not grow with the data."""

from __future__ import annotations

import re
from typing import Any

import plant
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from webtools import a_person, shown_total, sign_in, statements, token_in

from firstarticle import bootstrap
from firstarticle.domain.access import Role
from firstarticle.domain.holds import GateKind, HoldKind
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.services import ServiceContext, catalog, first_articles, gate, holds, orders


@pytest.fixture
def fai_id(ctx: ServiceContext) -> str:
    shop = plant.a_plant(ctx)
    fai = plant.an_fai(ctx, shop)
    first_articles.transition(ctx, fai.fai.id, FaiAction.START)
    return fai.fai.id


def test_a_page_sends_a_stranger_to_sign_in_and_back_afterwards(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "j.ortiz")
    first = web.get("/web/fai?status=draft", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/web/sign-in?reason=signin")
    page = web.get(first.headers["location"])
    assert "Sign in to continue" in page.text
    response = web.post(
        "/web/sign-in",
        data={
            "username": "j.ortiz",
            "password": plant.PASSWORD,
            "form_token": token_in(page.text, "form_token"),
            "next": "/web/fai?status=draft",
        },
    )
    assert response.status_code == 200
    assert str(response.url).endswith("/web/fai?status=draft")


def test_a_wrong_password_keeps_the_username_and_says_why(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "j.ortiz")
    page = web.get("/web/sign-in")
    response = web.post(
        "/web/sign-in",
        data={
            "username": "j.ortiz",
            "password": "not it",
            "form_token": token_in(page.text, "form_token"),
        },
    )
    assert response.status_code == 401
    assert 'value="j.ortiz"' in response.text
    assert 'role="alert"' in response.text
    assert "not it" not in response.text


def test_a_sign_in_form_from_elsewhere_is_refused(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "j.ortiz")
    response = web.post(
        "/web/sign-in",
        data={"username": "j.ortiz", "password": plant.PASSWORD, "form_token": "forged"},
    )
    assert response.status_code == 403
    assert "fa_session" not in web.cookies


def test_an_idle_session_ends_with_a_clear_message(
    web: TestClient, application: bootstrap.Application, clock: Any
) -> None:
    a_person(application, "j.ortiz")
    sign_in(web, "j.ortiz")
    clock.advance(minutes=31)
    response = web.get("/web/fai")
    assert str(response.url).startswith("http://testserver/web/sign-in?reason=expired")
    assert "Your session ended" in response.text


def test_signing_out_ends_the_session_for_every_page(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "j.ortiz")
    csrf = sign_in(web, "j.ortiz")
    cookie = web.cookies["fa_session"]
    response = web.post("/web/sign-out", data={"csrf_token": csrf})
    assert "You are signed out" in response.text
    web.cookies.set("fa_session", cookie)  # a copied cookie no longer opens anything
    again = web.get("/web/", follow_redirects=False)
    assert again.headers["location"].startswith("/web/sign-in?reason=expired")


def test_a_form_without_the_session_csrf_token_changes_nothing(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, fai_id: str
) -> None:
    a_person(application, "l.nguyen", Role.INSPECTOR)
    sign_in(web, "l.nguyen")
    form = {"balloon": "2", "attribute": "accept", "measured_at": "2026-11-20T09:00"}
    response = web.post(f"/web/fai/{fai_id}/results", data={**form, "csrf_token": "forged"})
    assert response.status_code == 403
    assert not first_articles.get_first_article(ctx, fai_id).fai.results


def test_a_refused_result_keeps_what_was_typed_and_marks_the_field(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, fai_id: str
) -> None:
    a_person(application, "l.nguyen", Role.INSPECTOR)
    csrf = sign_in(web, "l.nguyen")
    response = web.post(
        f"/web/fai/{fai_id}/results",
        data={
            "csrf_token": csrf,
            "balloon": "1",
            "value": "25.0x",
            "units": "mm",
            "measured_at": "2026-11-20T09:00",
            "device": "Caliper 7",
        },
    )
    assert response.status_code == 422
    assert 'id="r-value" name="value" inputmode="decimal" size="10" value="25.0x"' in response.text
    assert 'aria-invalid="true" aria-describedby="result-value-error"' in response.text
    assert 'id="result-value-error"' in response.text
    assert 'value="Caliper 7"' in response.text
    assert not first_articles.get_first_article(ctx, fai_id).fai.results


def test_a_manual_result_is_entered_by_one_inspector_and_verified_by_another(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, fai_id: str
) -> None:
    a_person(application, "l.nguyen", Role.INSPECTOR)
    a_person(application, "r.okafor", Role.INSPECTOR)
    csrf = sign_in(web, "l.nguyen")
    entered = web.post(
        f"/web/fai/{fai_id}/results",
        data={
            "csrf_token": csrf,
            "balloon": "2",
            "attribute": "accept",
            "measured_at": "2026-11-20T09:00",
        },
    )
    assert "The result is recorded." in entered.text
    (result,) = first_articles.get_first_article(ctx, fai_id).fai.results
    own = web.post(f"/web/fai/{fai_id}/results/{result.id}/verification", data={"csrf_token": csrf})
    assert own.status_code == 422, "the person who entered it cannot verify it"
    web.post("/web/sign-out", data={"csrf_token": csrf})
    csrf = sign_in(web, "r.okafor")
    verified = web.post(
        f"/web/fai/{fai_id}/results/{result.id}/verification", data={"csrf_token": csrf}
    )
    assert "The result is verified." in verified.text
    (result,) = first_articles.get_first_article(ctx, fai_id).fai.results
    assert result.verified_by == "r.okafor"


def more_fais(ctx: ServiceContext, shop: plant.Plant, first: int, how_many: int) -> None:
    for n in range(first, first + how_many):
        wo = orders.create_work_order(
            ctx,
            site_id=shop.site.id,
            number=f"WO-MORE-{n}",
            part_revision_id=shop.revision.id,
            quantity=1,
            customer_id=shop.customer.id,
            serial_numbers=[f"M{n:03d}"],
        )
        first_articles.create_first_article(
            ctx,
            work_order_id=wo.id,
            fai_type=plant.model.FaiType.DETAIL,
            scope=plant.model.FaiScope.FULL,
            reason="More data",
        )
        catalog.create_part(ctx, number=f"7B{n:04d}-1", name="Spacer")
        holds.place_hold(
            ctx,
            site_id=shop.site.id,
            kind=HoldKind.SHIPMENT,
            part_revision_id=shop.revision.id,
            reason=f"Lot M{n:03d} under review",
            serial_numbers=[f"M{n:03d}"],
        )
        gate.check(
            ctx,
            gate.GateRequest(
                site=shop.site.code,
                customer=shop.customer.code,
                part_number=shop.part.number,
                part_revision=shop.revision.revision,
                kind=GateKind.SHIPMENT,
                serial_numbers=(f"M{n:03d}",),
            ),
        )


@pytest.mark.parametrize("path", ["/web/", "/web/fai", "/web/holds", "/web/gate", "/web/parts"])
def test_list_pages_run_as_many_queries_for_many_records_as_for_few(
    path: str,
    web: TestClient,
    application: bootstrap.Application,
    ctx: ServiceContext,
    engine: sa.Engine,
) -> None:
    """Twelve more FAIs, holds, gate decisions and parts: the page counts them all, with the
    same SQL statements."""
    a_person(application, "j.ortiz")
    shop = plant.a_plant(ctx)
    more_fais(ctx, shop, 0, 2)
    sign_in(web, "j.ortiz")
    web.get(path)  # the session's idle timer is refreshed at most once a minute
    with statements(engine) as few:
        before = shown_total(web.get(path).text)
    more_fais(ctx, shop, 2, 12)
    with statements(engine) as many:
        after = shown_total(web.get(path).text)
    assert len(many) == len(few), many
    assert after - before == 12


def test_the_fai_list_pages_through_the_filtered_fais(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    shop = plant.a_plant(ctx)
    more_fais(ctx, shop, 0, 27)
    sign_in(web, "j.ortiz")
    here = f"status=draft&site={shop.site.id}"
    first = web.get(f"/web/fai?{here}")
    assert "Page 1 of 2" in first.text
    assert first.text.count('href="/web/fai/') == 25
    kept = f"{here}&sort=created_at&order=desc".replace("&", "&amp;")
    assert f'href="/web/fai?number=2&amp;{kept}" rel="next"' in first.text
    second = web.get(f"/web/fai?number=2&{here}")
    assert second.text.count('href="/web/fai/') == 2
    approved = web.get(f"/web/fai?status=approved&site={shop.site.id}")
    assert approved.text.count('href="/web/fai/') == 0


def test_the_fai_list_sorts_across_pages_not_just_the_page_shown(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    shop = plant.a_plant(ctx)
    more_fais(ctx, shop, 0, 30)
    sign_in(web, "j.ortiz")
    # Other tests' FAIs may share a PostgreSQL database: look at this plant's only.
    here = f"site={shop.site.id}"
    shown: list[str] = []
    for number in (1, 2):
        page = web.get(f"/web/fai?{here}&sort=fair_identifier&order=asc&number={number}").text
        shown += re.findall(r'href="/web/fai/[^"]+">(FAIR-[^<]+)</a>', page)
    assert len(shown) == 30
    assert shown == sorted(shown)
    newest_first = web.get(f"/web/fai?{here}&sort=fair_identifier&order=desc").text
    assert re.findall(r'href="/web/fai/[^"]+">(FAIR-[^<]+)</a>', newest_first)[0] == shown[-1]
    refused = web.get("/web/fai?sort=password")
    assert refused.status_code == 422


def test_the_dashboard_filters_by_customer_and_part_and_links_to_the_list(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    west = plant.a_plant(ctx)
    east = plant.a_plant(ctx, code="EST", part_number="9B0001-1")
    more_fais(ctx, west, 0, 3)
    more_fais(ctx, east, 3, 2)
    sign_in(web, "j.ortiz")
    everything = web.get("/web/").text
    assert "First-pass yield by customer" in everything
    only_east = web.get(f"/web/?customer={east.customer.id}").text
    draft_tile = re.search(
        r'<a href="/web/fai\?status=draft([^"]*)">\s*<span class="count">(\d+)</span>', only_east
    )
    assert draft_tile is not None
    assert draft_tile.group(2) == "2"
    assert f"customer={east.customer.id}" in draft_tile.group(1)
    by_part = web.get(f"/web/?part={west.part.id}").text
    assert re.search(r'status=draft[^"]*">\s*<span class="count">3</span>', by_part), (
        "the part filter counts the west part's three drafts"
    )


def test_the_fai_page_says_what_each_person_may_do_and_why_not(
    web: TestClient, application: bootstrap.Application, fai_id: str
) -> None:
    a_person(application, "l.nguyen", Role.INSPECTOR)
    a_person(application, "j.ortiz")
    csrf = sign_in(web, "l.nguyen")
    inspector = web.get(f"/web/fai/{fai_id}").text
    assert "<strong>Sign field 20: verified by</strong>" in inspector
    assert "Your roles do not grant &#39;sign.verified&#39;." in inspector
    web.post("/web/sign-out", data={"csrf_token": csrf})
    sign_in(web, "j.ortiz")
    engineer = web.get(f"/web/fai/{fai_id}").text
    assert "blocking readiness finding(s) stand in the way" in engineer
    assert 'name="action" value="cancel"' in engineer  # open to the engineer, with a reason


def test_a_results_file_with_a_bad_row_is_refused_whole_and_the_report_names_the_row(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, fai_id: str
) -> None:
    a_person(application, "l.nguyen", Role.INSPECTOR)
    csrf = sign_in(web, "l.nguyen")
    data = (
        "balloon,serial_number,value,units,measured_at\n"
        "1,SN0001,25.01,mm,2026-11-20T09:00:00Z\n"
        "77,SN0001,3.2,mm,2026-11-20T09:00:00Z\n"
    )
    refused = web.post(
        f"/web/fai/{fai_id}/results/file",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("cmm.csv", data.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    assert "1 of 2 rows were refused; nothing was recorded" in refused.text
    assert "<td>77</td>" in refused.text
    assert not first_articles.get_first_article(ctx, fai_id).fai.results
    partial = web.post(
        f"/web/fai/{fai_id}/results/file",
        data={"csrf_token": csrf, "format": "csv", "partial": "on"},
        files={"file": ("cmm.csv", data.encode(), "text/csv")},
    )
    assert partial.status_code == 200
    assert "1 results recorded" in partial.text
    assert len(first_articles.get_first_article(ctx, fai_id).fai.results) == 1


def test_an_upload_without_the_session_csrf_token_records_nothing(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, fai_id: str
) -> None:
    a_person(application, "l.nguyen", Role.INSPECTOR)
    sign_in(web, "l.nguyen")
    response = web.post(
        f"/web/fai/{fai_id}/results/file",
        data={"format": "csv"},
        files={"file": ("cmm.csv", b"balloon,value,units\n1,25.01,mm\n", "text/csv")},
    )
    assert response.status_code == 403
    assert not first_articles.get_first_article(ctx, fai_id).fai.results


def test_form_2_rows_and_form_1_fields_are_filled_from_their_tabs(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, fai_id: str
) -> None:
    a_person(application, "j.ortiz")
    csrf = sign_in(web, "j.ortiz")
    row = {
        "csrf_token": csrf,
        "kind": "material",
        "name": "",
        "specification": "AMS-QQ-A-250/12",
        "customer_approval": "yes",
        "certificate_number": "MTR-88172",
    }
    refused = web.post(f"/web/fai/{fai_id}/form2", data=row)
    assert refused.status_code == 422
    assert 'id="form2-name-error"' in refused.text
    assert 'value="MTR-88172"' in refused.text
    added = web.post(f"/web/fai/{fai_id}/form2", data={**row, "name": "Aluminium 7075-T7351"})
    assert "The Form 2 row is added." in added.text
    (material,) = first_articles.get_first_article(ctx, fai_id).fai.form2
    assert (material.name, material.certificate_number) == ("Aluminium 7075-T7351", "MTR-88172")
    form1 = web.get(f"/web/fai/{fai_id}?tab=form1").text
    version = re.search(r'name="expected_version" value="(\d+)"', form1)
    assert version
    saved = web.post(
        f"/web/fai/{fai_id}/form1",
        data={
            "csrf_token": csrf,
            "expected_version": version.group(1),
            "supplier_code": "AP-55102",
            "comments": "First production run",
        },
    )
    assert "Form 1 is updated." in saved.text
    assert first_articles.get_first_article(ctx, fai_id).fai.comments == "First production run"
    stale = web.post(
        f"/web/fai/{fai_id}/form1",
        data={"csrf_token": csrf, "expected_version": version.group(1), "comments": "Late"},
    )
    assert stale.status_code == 409, "a form from before another change is refused"


def test_a_bad_address_answers_a_page_not_a_program_error(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "j.ortiz")
    sign_in(web, "j.ortiz")
    bad = web.get("/web/fai?status=nonsense")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")
    assert "(status)" in bad.text
    missing = web.get("/web/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert web.get("/web/fai/no-such-fai").status_code == 404


def test_evidence_with_a_malformed_hash_is_refused_by_its_field(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, fai_id: str
) -> None:
    a_person(application, "j.ortiz")
    csrf = sign_in(web, "j.ortiz")
    evidence = {
        "csrf_token": csrf,
        "kind": "traveler_step",
        "title": "Traveler op 20",
        "uri": "https://mes.example-plant.com/travelers/WO-1/ops/20",
        "sha256": "abc",
    }
    refused = web.post(f"/web/fai/{fai_id}/evidence", data=evidence)
    assert refused.status_code == 422
    assert 'id="evidence-sha256-error"' in refused.text
    assert 'value="Traveler op 20"' in refused.text
    linked = web.post(f"/web/fai/{fai_id}/evidence", data={**evidence, "sha256": "4f1c2a9e" * 8})
    assert "The evidence is linked." in linked.text
    assert len(first_articles.get_first_article(ctx, fai_id).evidence) == 1


def test_pages_are_never_cached_or_framed_and_load_only_their_own_assets(
    web: TestClient, application: bootstrap.Application
) -> None:
    a_person(application, "j.ortiz")
    sign_in(web, "j.ortiz")
    page = web.get("/web/")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in re.findall(r'(?:href|src)="(/web/static/[^"]+)"', page.text):
        assert web.get(asset).status_code == 200
    assert "http" not in "".join(re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', page.text))


def test_an_assembly_revision_page_shows_its_bill_of_materials(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    """The revision PLM released with a BOM lists each line with its find number, type and
    quantity; a detail's revision page has no BOM section."""
    a_person(application, "j.ortiz")
    shop = plant.a_plant(ctx)
    order = plant.an_assembly_work_order(ctx, shop)
    assembly = catalog.get_revision(ctx, order.part_revision_id)
    sign_in(web, "j.ortiz")
    page = web.get(f"/web/parts/{assembly.part_id}").text
    assert "Bill of materials of rev A" in page
    for find, number in (("10", "7A1234-101"), ("20", "MS24665-132"), ("30", "KLR-28V")):
        assert re.search(rf"<td>{find}</td><td>{re.escape(number)}</td>", page)
    assert "Standard catalogue" in page
    detail = web.get(f"/web/parts/{shop.part.id}").text
    assert "Bill of materials" not in detail

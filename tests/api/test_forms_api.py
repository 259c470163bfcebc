"""The forms and the submission package over HTTP: downloads, problems, recorded attempts."""

from __future__ import annotations

import hashlib
import io

import plant
from openpyxl import load_workbook

from firstarticle.domain.access import AuthorizationKind, Role
from firstarticle.services import catalog, identity

API = "/api/v1/first-articles"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ready_fai(ctx) -> str:
    fai_id = plant.an_fai(ctx, plant.a_plant(ctx)).fai.id
    plant.approve(ctx, fai_id)
    return fai_id


def test_the_forms_download_as_xlsx_with_their_file_name(client, ctx):
    fai_id = _ready_fai(ctx)
    response = client.get(f"{API}/{fai_id}/forms.xlsx", params={"revision": "B"})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert 'filename="FAIR-WCH-2026-0001-forms.xlsx"' in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["Form 1"]
    assert ("4", "FAIR Number", "FAIR-WCH-2026-0001") in [
        r[:3] for r in sheet.iter_rows(values_only=True)
    ]


def test_a_blocked_fai_answers_409_submission_blocked_with_the_findings(client, ctx):
    fai_id = plant.an_fai(ctx, plant.a_plant(ctx)).fai.id
    response = client.get(f"{API}/{fai_id}/forms.pdf")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "submission_blocked"
    assert "SIGNATURE_MISSING" in {f["rule"] for f in body["findings"]}
    draft = client.get(f"{API}/{fai_id}/forms.pdf", params={"draft": "true"})
    assert draft.status_code == 200
    assert draft.headers["content-type"] == "application/pdf"
    assert draft.content.startswith(b"%PDF")
    check = client.get(f"{API}/{fai_id}/presubmission").json()
    assert check["ready"] is False
    assert "RESULT_MISSING" in {f["rule"] for f in check["findings"]}


def test_bad_arguments_and_unknown_fais_are_problems_with_stable_codes(client, ctx):
    fai_id = _ready_fai(ctx)
    wrong = client.get(f"{API}/{fai_id}/forms.xlsx", params={"revision": "A"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "invalid_request")
    missing = client.post(f"{API}/no-such-fai/packages")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_a_submission_package_is_recorded_and_listed_with_its_hash(client, ctx):
    fai_id = _ready_fai(ctx)
    built = client.post(f"{API}/{fai_id}/packages")
    assert built.status_code == 201
    assert built.headers["content-type"] == "application/zip"
    assert built.headers["x-package-attempt"] == "1"
    assert 'filename="FAIR-WCH-2026-0001-attempt-1.zip"' in built.headers["content-disposition"]
    draft = client.post(f"{API}/{fai_id}/packages", params={"draft": "true"})
    assert draft.status_code == 200
    listed = client.get(f"{API}/{fai_id}/packages").json()
    assert [(p["attempt"], p["sha256"]) for p in listed] == [
        (1, hashlib.sha256(built.content).hexdigest())
    ]


def test_a_recorded_package_downloads_byte_for_byte_by_its_attempt(client, ctx):
    fai_id = _ready_fai(ctx)
    built = client.post(f"{API}/{fai_id}/packages")
    kept = client.get(f"{API}/{fai_id}/packages/1")
    assert kept.status_code == 200
    assert kept.headers["content-type"] == "application/zip"
    assert kept.content == built.content
    missing = client.get(f"{API}/{fai_id}/packages/2")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    nonsense = client.get(f"{API}/{fai_id}/packages/0")
    assert (nonsense.status_code, nonsense.json()["code"]) == (422, "invalid_request")


def test_an_operator_may_build_a_draft_but_not_record_a_submission(authed_client, ctx):
    fai_id = _ready_fai(ctx)
    identity.create_user(
        ctx, username="op.one", printed_name="Op One", roles=[Role.OPERATOR], sites=["WCH"]
    )
    identity.add_authorization(
        ctx, "op.one", kind=AuthorizationKind.US_PERSON, reason="Passport seen"
    )
    token = identity.create_token(ctx, "op.one", name="script").secret
    headers = {"Authorization": f"Bearer {token}"}
    refused = authed_client.post(f"{API}/{fai_id}/packages", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    draft = authed_client.post(f"{API}/{fai_id}/packages?draft=true", headers=headers)
    assert draft.status_code == 200
    assert authed_client.get(f"{API}/{fai_id}/packages", headers=headers).json() == []


def _empty_revision(ctx) -> str:
    part = catalog.create_part(ctx, number="7B5000-1", name="Bracket, copy")
    catalog.add_revision(ctx, part.id, revision="A", drawings=[catalog.DrawingSpec("7B5000", "A")])
    return f"/api/v1/parts/{part.id}/revisions/A/characteristics/form3-sheet"


def test_a_flat_form3_sheet_uploads_as_a_characteristic_list(client, ctx):
    fai_id = _ready_fai(ctx)
    exported = client.get(f"{API}/{fai_id}/forms.xlsx").content
    url = _empty_revision(ctx)
    files = {"file": ("form3.xlsx", exported, XLSX)}
    checked = client.post(url, params={"dry_run": "true"}, files=files)
    assert (checked.status_code, checked.json()["status"]) == (200, "checked")
    imported = client.post(url, files=files)
    assert imported.status_code == 201
    assert imported.json()["char_nos"] == ["1", "2"]
    again = client.post(url, files=files)
    assert (again.status_code, again.json()["code"]) == (422, "form3_sheet_refused")
    assert {i["code"] for i in again.json()["issues"]} == {"char_no_exists"}
    not_multipart = client.post(url, content=exported, headers={"content-type": XLSX})
    assert not_multipart.status_code == 415
    not_xlsx = client.post(url, files={"file": ("a.xlsx", b"plain", XLSX)})
    assert (not_xlsx.status_code, not_xlsx.json()["code"]) == (422, "invalid_workbook")

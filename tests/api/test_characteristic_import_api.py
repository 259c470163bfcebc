"""Characteristic lists over HTTP: QIF upload, revision diff, xlsx export, problem+json."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from firstarticle.api import characteristic_import as routes
from firstarticle.domain import model
from firstarticle.services import ServiceContext, catalog
from firstarticle.storage import orm

API = "/api/v1"
PART = "NIST-CTC-01"
UPLOAD = f"{API}/parts/{{part_id}}/revisions/{{rev}}/characteristics/qif"
NO_SUCH_PART = "00000000-0000-0000-0000-000000000000"
# Routes name parts by id; the part fixture puts its id here for the upload helpers.
_current = {"part_id": NO_SUCH_PART}


def upload_url(rev: str) -> str:
    return UPLOAD.format(part_id=_current["part_id"], rev=rev)


PROBLEM_JSON = "application/problem+json"
CTC_01 = "NISTmodels/nist_ctc_01_asme1_ap242.qif"


@pytest.fixture
def ctc_01(shared_data: Path) -> bytes:
    """The NIST CTC 01 model (the test skips where the shared data is absent)."""
    return (shared_data / "qif" / "samples" / CTC_01).read_bytes()


@pytest.fixture
def part(ctx: ServiceContext) -> Iterator[model.Part]:
    """A part with revisions A and B, each defined by one model-based definition."""
    p = catalog.create_part(ctx, number=PART, name="NIST CTC 01")
    for rev in ("A", "B"):
        catalog.add_revision(
            ctx,
            p.id,
            revision=rev,
            drawings=[
                catalog.DrawingSpec("CTC-01-MBD", rev, model.DefinitionKind.MODEL_BASED_DEFINITION)
            ],
        )
    _current["part_id"] = p.id
    yield p
    _current["part_id"] = NO_SUCH_PART


def upload(
    client: TestClient, data: bytes, rev: str = "A", name: str = "ctc_01.qif", **params: Any
) -> Any:
    files = {"file": (name, data, "application/xml")}
    return client.post(upload_url(rev), files=files, params=params)


def characteristic_rows(connection: sa.Connection) -> int:
    t = orm.characteristics
    return int(connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())


def audit_rows(connection: sa.Connection) -> int:
    t = orm.audit_entries
    return int(connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    assert body["detail"]
    return body


def test_an_uploaded_model_creates_the_characteristic_list(
    client: TestClient, part: model.Part, ctc_01: bytes
) -> None:
    """201 with what was created; the revision then shows the 14 characteristics."""
    response = upload(client, ctc_01)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["read"], body["created"], body["unchanged"]) == (14, 14, False)
    assert body["source_document"] == "ctc_01.qif"
    twelve = next(c for c in body["characteristics"] if c["balloon"] == "12")
    assert twelve["requirement"] == "⌀25.00 ±0.15 mm"
    assert twelve["source_item"] == "1494"
    revision_id = client.get(f"{API}/parts/{part.id}").json()["revisions"][0]["id"]
    revision = client.get(f"{API}/revisions/{revision_id}").json()
    assert len(revision["drawings"][0]["characteristics"]) == 14


def test_uploading_the_same_file_again_is_a_200_that_changes_nothing(
    client: TestClient, connection: sa.Connection, part: model.Part, ctc_01: bytes
) -> None:
    """The repeat says it was already imported, and writes no row."""
    upload(client, ctc_01)
    before = (characteristic_rows(connection), audit_rows(connection))
    again = upload(client, ctc_01, name="renamed.qif")
    assert again.status_code == 200
    assert (again.json()["unchanged"], again.json()["created"]) == (True, 0)
    assert (characteristic_rows(connection), audit_rows(connection)) == before


def test_a_dry_run_is_a_200_that_writes_nothing(
    client: TestClient, connection: sa.Connection, part: model.Part, ctc_01: bytes
) -> None:
    """dry_run=true answers what would be created."""
    response = upload(client, ctc_01, dry_run="true")
    assert response.status_code == 200
    assert (response.json()["dry_run"], response.json()["read"]) == (True, 14)
    assert characteristic_rows(connection) == 0


def test_a_changed_model_in_the_same_revision_is_a_409(
    client: TestClient, connection: sa.Connection, part: model.Part, ctc_01: bytes
) -> None:
    """Another file for a revision that has one: conflict, nothing written."""
    upload(client, ctc_01)
    changed = ctc_01.replace(b">0.15<", b">0.10<", 1)
    before = characteristic_rows(connection)
    problem(upload(client, changed), 409, "conflict")
    assert characteristic_rows(connection) == before


def test_the_diff_of_two_revisions_names_what_changed(
    client: TestClient, part: model.Part, ctc_01: bytes
) -> None:
    """Rev B tightens one tolerance: one change, affecting the design, balloon 12."""
    upload(client, ctc_01, rev="A")
    changed = ctc_01.replace(
        b'linearUnit="mm">0.15</MaxValue>', b'linearUnit="mm">0.10</MaxValue>', 1
    ).replace(b'linearUnit="mm">-0.15</MinValue>', b'linearUnit="mm">-0.10</MinValue>', 1)
    assert upload(client, changed, rev="B").status_code == 201
    response = client.get(f"{API}/parts/{part.id}/diff", params={"from": "A", "to": "B"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["added"], body["removed"], body["unchanged"]) == ([], [], 13)
    (change,) = body["changed"]
    assert change["after"]["balloon"] == "12"
    assert change["matched_by"] == "source_item"
    assert [c["field"] for c in change["changes"]] == ["requirement", "limits"]
    assert change["changes"][0]["after"] == "⌀25.00 ±0.10 mm"
    assert (body["affects_design"], body["balloons_to_reinspect"]) == (True, ["12"])


def test_the_xlsx_export_is_a_workbook_download(
    client: TestClient, part: model.Part, ctc_01: bytes
) -> None:
    """The spreadsheet content type, a file name, and one row per characteristic."""
    upload(client, ctc_01)
    response = client.get(f"{API}/parts/{part.id}/revisions/A/characteristics.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == routes.XLSX
    assert (
        'filename="NIST-CTC-01_A_characteristics.xlsx"' in (response.headers["content-disposition"])
    )
    sheet = load_workbook(io.BytesIO(response.content))["Characteristics"]
    assert sheet.max_row == 15


# ---------------------------------------------------------------------------------------------
# Bad uploads: problem+json, nothing written
# ---------------------------------------------------------------------------------------------


def test_a_body_that_is_not_multipart_is_a_415(client: TestClient, part: model.Part) -> None:
    """JSON or raw XML bodies are refused with the media type to use."""
    problem(client.post(upload_url("A"), json={"file": "x"}), 415, "unsupported_media_type")
    raw = client.post(
        upload_url("A"), content=b"<QIFDocument/>", headers={"content-type": "text/xml"}
    )
    problem(raw, 415, "unsupported_media_type")


def test_a_form_without_the_file_is_a_422(client: TestClient, part: model.Part) -> None:
    """A multipart form lacking the 'file' field names the field."""
    response = client.post(
        upload_url("A"), files={"document": ("a.qif", b"<x/>", "application/xml")}
    )
    body = problem(response, 422, "validation_failed")
    assert "'file'" in body["detail"]


def test_unexpected_form_fields_are_refused_not_ignored(
    client: TestClient, part: model.Part, ctc_01: bytes
) -> None:
    """drawing_number sent as a form field is a 422 pointing to the query parameter."""
    response = client.post(
        upload_url("A"),
        files={"file": ("a.qif", ctc_01, "application/xml")},
        data={"drawing_number": "CTC-01-MBD"},
    )
    body = problem(response, 422, "validation_failed")
    assert "query parameters" in body["detail"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not xml at all",
        b'<?xml version="1.0"?>\n<!DOCTYPE QIFDocument [<!ENTITY a "a">]>\n'
        b'<QIFDocument xmlns="http://qifstandards.org/xsd/qif3"><QPId>&a;</QPId></QIFDocument>',
        b'<QIFDocument xmlns="http://example.com/not-qif"/>',
    ],
    ids=["empty", "not XML", "entity declaration", "foreign root"],
)
def test_an_unreadable_or_hostile_file_is_a_422_that_writes_nothing(
    client: TestClient, connection: sa.Connection, part: model.Part, data: bytes
) -> None:
    """The file is refused with the reader's reason, and no row or audit entry appears."""
    before = (characteristic_rows(connection), audit_rows(connection))
    body = problem(upload(client, data, name="bad.qif"), 422, "invalid_qif_file")
    assert body["detail"].startswith("bad.qif")
    assert (characteristic_rows(connection), audit_rows(connection)) == before


@pytest.mark.requirement("A6")
def test_a_declared_body_over_the_limit_is_a_413(
    client: TestClient, part: model.Part, ctc_01: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content-Length above the limit is refused before the body is read."""
    monkeypatch.setattr(routes, "MAX_UPLOAD_BYTES", 64 * 1024)
    problem(upload(client, ctc_01), 413, "payload_too_large")


@pytest.mark.requirement("A6")
def test_a_streamed_body_over_the_limit_is_a_413(
    client: TestClient, connection: sa.Connection, part: model.Part, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunked upload without Content-Length is cut off once it passes the limit."""
    monkeypatch.setattr(routes, "MAX_UPLOAD_BYTES", 64 * 1024)
    boundary = "qifboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.qif"\r\nContent-Type: application/xml\r\n\r\n'
        ).encode()
        for _ in range(100):
            yield b"<!-- padding -->" * 64
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        upload_url("A"),
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    problem(response, 413, "payload_too_large")
    assert characteristic_rows(connection) == 0


def test_an_unknown_part_is_a_404(client: TestClient, ctc_01: bytes) -> None:
    """The part id is named in the problem (never a part number: URLs carry ids)."""
    body = problem(upload(client, ctc_01), 404, "not_found")
    assert NO_SUCH_PART in body["detail"]


def test_a_diff_without_both_revisions_is_a_422(client: TestClient, part: model.Part) -> None:
    """'from' and 'to' are required query parameters."""
    problem(client.get(f"{API}/parts/{part.id}/diff", params={"from": "A"}), 422, "invalid_request")


def test_the_upload_is_documented_as_a_multipart_file(client: TestClient) -> None:
    """OpenAPI shows the file field, so clients know what to send."""
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/parts/{part_id}/revisions/{revision}/characteristics/qif"]
    schema = operation["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"]["format"] == "binary"
    assert "/api/v1/parts/{part_id}/diff" in spec["paths"]

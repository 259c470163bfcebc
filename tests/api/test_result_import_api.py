"""Results files over HTTP: multipart upload with format, partial and dry run; QIF export.

The plant is built through the services on the test transaction the client shares; the
requests then go through the whole HTTP stack, problem+json included.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from plant import a_plant

from firstarticle.api import result_import as result_import_api
from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.integrations.inspection.qif import read_qif_results, validate_qif
from firstarticle.services import ServiceContext, first_articles
from firstarticle.storage import orm

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
CSV = (
    "balloon,serial_number,value,units,attribute,measured_at,device\n"
    "1,SN0001,25.01,mm,,2026-11-20T09:00:00Z,CMM-1\n"
    "2,SN0001,,,accept,2026-11-20T09:00:00Z,\n"
)
QIF_TRUNCATED = (
    b'<QIFDocument xmlns="http://qifstandards.org/xsd/qif3" versionQIF="3.0.0" idMax="1"><QPId>'
)
RESULTS_SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "qif"


@pytest.fixture
def fai_id(ctx: ServiceContext) -> str:
    """The bracket FAI in progress: balloon 1 (25.00 ±0.05 mm), balloon 2 (a note), SN0001."""
    plant = a_plant(ctx)
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    ).fai
    first_articles.transition(ctx, fai.id, FaiAction.START)
    return fai.id


def upload(
    client: TestClient, fai_id: str, data: bytes, name: str = "results.csv", **query: Any
) -> Any:
    return client.post(
        f"{API}/first-articles/{fai_id}/results/import",
        params={k: str(v).lower() for k, v in query.items()},
        files={"file": (name, data, "application/octet-stream")},
        headers={"X-Actor": "inspector.a"},
    )


def problem_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["detail"]
    return body


def results_in(connection: sa.Connection, fai_id: str) -> int:
    t = orm.inspection_results
    stmt = sa.select(sa.func.count()).select_from(t).where(t.c.first_article_id == fai_id)
    return int(connection.execute(stmt).scalar_one())


def test_a_csv_upload_records_results_and_answers_201_with_the_report(
    client: TestClient, fai_id: str, connection: sa.Connection
) -> None:
    """Two rows, two results; the report names the file, its hash and the counts."""
    response = upload(client, fai_id, CSV.encode())
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["status"], report["format"], report["results_recorded"]) == (
        "imported",
        "csv",
        2,
    )
    assert report["file_name"] == "results.csv"
    assert len(report["sha256"]) == 64
    assert results_in(connection, fai_id) == 2
    fai = client.get(f"{API}/first-articles/{fai_id}").json()
    (line,) = [x for x in fai["form3"] if x["char_no"] == "1"]
    assert line["results"][0]["recorded_by"] == "inspector.a"


def test_refused_rows_answer_422_problem_json_with_the_report_and_write_nothing(
    client: TestClient, fai_id: str, connection: sa.Connection
) -> None:
    """An unknown balloon: 422 result_import_refused, the row listed, no result written."""
    data = (CSV + "77,SN0001,1.0,mm,,2026-11-20T09:00:00Z,\n").encode()
    body = problem_of(upload(client, fai_id, data), 422, "result_import_refused")
    assert body["report"]["refused"] == [
        {
            "row": 4,
            "code": "unmatched_balloon",
            "message": "balloon 77 is not a characteristic of 7A1234-101 rev C",
            "balloon": "77",
            "serial": "SN0001",
            "column": "balloon",
        }
    ]
    assert results_in(connection, fai_id) == 0


def test_partial_import_over_http_records_the_valid_rows(
    client: TestClient, fai_id: str, connection: sa.Connection
) -> None:
    """partial=true: 201 partially_imported, two of three rows recorded."""
    data = (CSV + "77,SN0001,1.0,mm,,2026-11-20T09:00:00Z,\n").encode()
    response = upload(client, fai_id, data, partial=True)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "partially_imported"
    assert results_in(connection, fai_id) == 2


def test_a_dry_run_and_a_resent_file_answer_200_and_write_nothing(
    client: TestClient, fai_id: str, connection: sa.Connection
) -> None:
    """dry_run checks only; sending the imported file again is a no-op."""
    dry = upload(client, fai_id, CSV.encode(), dry_run=True)
    assert (dry.status_code, dry.json()["status"]) == (200, "dry_run")
    assert results_in(connection, fai_id) == 0
    assert upload(client, fai_id, CSV.encode()).status_code == 201
    again = upload(client, fai_id, CSV.encode(), name="again.csv")
    assert (again.status_code, again.json()["status"]) == (200, "already_imported")
    assert results_in(connection, fai_id) == 2


def test_a_spreadsheet_is_415_and_a_broken_qif_is_422(client: TestClient, fai_id: str) -> None:
    """A binary file is no supported format; malformed XML is a file that cannot be read."""
    problem_of(
        upload(client, fai_id, b"PK\x03\x04" + b"\x00" * 64, "r.xlsx"),
        415,
        "unsupported_result_format",
    )
    body = problem_of(upload(client, fai_id, QIF_TRUNCATED, "r.qif"), 422, "result_file_invalid")
    assert "not well-formed XML" in body["detail"]


def test_a_body_that_is_not_multipart_is_415(client: TestClient, fai_id: str) -> None:
    """The file must come as multipart/form-data."""
    response = client.post(
        f"{API}/first-articles/{fai_id}/results/import",
        content=CSV.encode(),
        headers={"Content-Type": "text/csv"},
    )
    problem_of(response, 415, "unsupported_media_type")


def test_an_upload_over_the_limit_is_413(
    client: TestClient, fai_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the size limit the upload is refused before anything is read."""
    monkeypatch.setattr(result_import_api, "MAX_UPLOAD_BYTES", 1024)
    problem_of(upload(client, fai_id, CSV.encode() * 40), 413, "payload_too_large")


def test_an_unknown_format_and_an_extra_field_are_422(client: TestClient, fai_id: str) -> None:
    """format=xlsx is not a choice; fields other than 'file' are refused by name."""
    problem_of(upload(client, fai_id, CSV.encode(), format="xlsx"), 422, "invalid_request")
    response = client.post(
        f"{API}/first-articles/{fai_id}/results/import",
        files={"file": ("r.csv", CSV.encode())},
        data={"partial": "true"},
    )
    body = problem_of(response, 422, "validation_failed")
    assert "partial" in body["detail"]


def test_an_unknown_fai_is_404(client: TestClient) -> None:
    """Importing into an FAI that does not exist is not found."""
    problem_of(upload(client, "no-such-fai", CSV.encode()), 404, "not_found")


def test_the_qif_export_is_an_attachment_that_validates(client: TestClient, fai_id: str) -> None:
    """GET results.qif: application/xml named after the FAIR, valid QIF with both results."""
    assert upload(client, fai_id, CSV.encode()).status_code == 201
    response = client.get(f"{API}/first-articles/{fai_id}/results.qif")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    fair = client.get(f"{API}/first-articles/{fai_id}").json()["fair_identifier"]
    assert f'filename="{fair}.qif"' in response.headers["content-disposition"]
    validate_qif(io.BytesIO(response.content))
    qif = read_qif_results(io.BytesIO(response.content))
    assert sorted((a.balloon, a.status) for a in qif.actuals) == [("1", "PASS"), ("2", "PASS")]


def test_a_qif_sample_uploaded_over_http_is_read_as_qif(
    client: TestClient, ctx: ServiceContext
) -> None:
    """The widget results sample against an FAI of another part: refused as a whole, 422."""
    sample = RESULTS_SAMPLES / "samples" / "Results" / "QIF_Results_Sample.QIF"
    if not sample.is_file():
        pytest.skip(f"QIF samples not found at {sample}")
    plant = a_plant(ctx, code="QWX")
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    ).fai
    body = problem_of(
        upload(client, fai.id, sample.read_bytes(), sample.name), 422, "result_import_refused"
    )
    assert body["report"]["format"] == "qif"
    assert [i["code"] for i in body["report"]["refused"]] == ["wrong_part", "wrong_revision"]

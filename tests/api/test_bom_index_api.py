"""The BOM over HTTP: PLM mirrors it with the part revision, the revision shows it, and an
assembly FAI's index is rebuilt from it (POST /first-articles/{id}/index/from-bom)."""

from __future__ import annotations

from typing import Any

import plant
import pytest
from fastapi.testclient import TestClient

from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.services import first_articles

ASSEMBLY: dict[str, Any] = {
    "external_id": "PLM-ASM-9",
    "source_version": 1,
    "part_number": "ASM-900",
    "part_name": "Valve assembly",
    "revision": "A",
    "drawings": [{"number": "ASM-900", "revision": "A"}],
    "bill_of_materials": [
        {
            "find_number": "10",
            "part_number": "7A1234-101",
            "part_name": "Bracket",
            "part_type": "detail",
            "revision": "C",
            "quantity": 2,
        },
        {"find_number": "20", "part_number": "KLR-28V", "part_name": "Relay", "part_type": "cots"},
    ],
}


def test_plm_sends_a_bom_and_the_revision_shows_it(client: TestClient) -> None:
    """The mirror body takes the BOM; GET /revisions/{id} lists its lines."""
    sent = client.post("/api/v1/mirror/part-revisions", json=ASSEMBLY)
    assert sent.status_code == 201, sent.text
    revision = client.get(f"/api/v1/revisions/{sent.json()['record_id']}").json()
    assert [
        (b["find_number"], b["part_number"], b["part_type"], b["revision"], b["quantity"])
        for b in revision["bill_of_materials"]
    ] == [("10", "7A1234-101", "detail", "C", 2), ("20", "KLR-28V", "cots", None, 1)]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"part_type": "bolt"}, "part_type"),
        ({"part_name": "Bracket\u202e"}, "part_name"),
    ],
)
def test_a_malformed_bom_line_is_refused_before_anything_is_written(
    client: TestClient, line: dict[str, Any], field: str
) -> None:
    """A quantity below one, an unknown part type, a text breaking the text rule: 422."""
    body = {**ASSEMBLY, "bill_of_materials": [{**ASSEMBLY["bill_of_materials"][0], **line}]}
    sent = client.post("/api/v1/mirror/part-revisions", json=body)
    assert sent.status_code == 422
    assert field in sent.text
    assert client.get("/api/v1/parts", params={"limit": 100}).json()["total"] == 0


def test_duplicate_find_numbers_are_refused_with_the_field(client: TestClient) -> None:
    """Two lines at find number 10: validation_failed naming find_number."""
    lines = ASSEMBLY["bill_of_materials"]
    body = {**ASSEMBLY, "bill_of_materials": [lines[0], {**lines[1], "find_number": "10"}]}
    sent = client.post("/api/v1/mirror/part-revisions", json=body)
    assert (sent.status_code, sent.json()["code"]) == (422, "validation_failed")
    assert sent.json()["field"] == "find_number"


def test_the_index_is_rebuilt_from_the_bom_with_the_fairs_found_now(
    client: TestClient, ctx: Any
) -> None:
    """Created before the detail had an FAI, the assembly's index names no FAIR; rebuilt
    afterwards, it names the detail's FAIR and readiness says it is not approved yet."""
    p = plant.a_plant(ctx)
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    detail = plant.an_fai(ctx, p)
    answer = client.post(f"/api/v1/first-articles/{assembly.fai.id}/index/from-bom")
    assert answer.status_code == 200, answer.text
    index = answer.json()["form1"]["index"]
    assert [(e["part_number"], e["fair_identifier"], e["origin"]) for e in index] == [
        ("7A1234-101", detail.fai.fair_identifier, "bom"),
        ("MS24665-132", None, "bom"),
        ("KLR-28V", None, "bom"),
    ]
    readiness = client.get(f"/api/v1/first-articles/{assembly.fai.id}/readiness").json()
    [finding] = [f for f in readiness["findings"] if f["rule"].startswith("INDEX_")]
    assert finding["rule"] == "INDEX_FAI_NOT_APPROVED"
    assert detail.fai.fair_identifier in finding["message"]
    assert "7A1234-101 rev C" in finding["message"]


def test_a_revision_without_a_bom_refuses_the_rebuild(client: TestClient, ctx: Any) -> None:
    """An assembly FAI of a revision PLM sent no BOM for: 409 no_bill_of_materials."""
    p = plant.a_plant(ctx)
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=p.work_order.id,
        fai_type=model.FaiType.ASSEMBLY,
        scope=model.FaiScope.FULL,
        reason="New assembly",
    )
    answer = client.post(f"/api/v1/first-articles/{fai.fai.id}/index/from-bom")
    assert (answer.status_code, answer.json()["code"]) == (409, "no_bill_of_materials")


def test_a_cancelled_fai_refuses_the_rebuild(client: TestClient, ctx: Any) -> None:
    """A package that can no longer change: 409 conflict, its index as it was."""
    p = plant.a_plant(ctx)
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    first_articles.transition(ctx, assembly.fai.id, FaiAction.CANCEL, reason="Wrong order")
    answer = client.post(f"/api/v1/first-articles/{assembly.fai.id}/index/from-bom")
    assert (answer.status_code, answer.json()["code"]) == (409, "conflict")
    assert answer.json()["current_status"] == "cancelled"


def test_an_unknown_fai_is_not_found(client: TestClient) -> None:
    """404 not_found, as for every FAI route."""
    answer = client.post("/api/v1/first-articles/no-such-fai/index/from-bom")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")

"""An FAI's Form 3 over HTTP is bounded: the detail carries the first lines, the rest page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from plant import an_fai

from firstarticle.domain import model
from firstarticle.services import catalog, orders
from firstarticle.services.catalog import CharacteristicSpec as Spec

API = "/api/v1/first-articles"


def _big_fai(ctx, lines: int) -> str:
    site = catalog.create_site(ctx, code="BIG", name="Plant BIG")
    customer = catalog.create_customer(ctx, code="CBIG", name="Prime", vendor_code="V-1")
    part = catalog.create_part(ctx, number="9Z0001-1", name="Panel")
    revision = catalog.add_revision(
        ctx, part.id, revision="A", drawings=[catalog.DrawingSpec("9Z0001", "A")]
    )
    catalog.add_characteristics(
        ctx,
        revision.id,
        "9Z0001",
        [
            Spec(
                str(n),
                model.CharacteristicType.DIMENSIONAL,
                nominal=Decimal("10.00"),
                upper_tolerance=Decimal("0.1"),
                lower_tolerance=Decimal("-0.1"),
                units="mm",
            )
            for n in range(1, lines + 1)
        ],
    )
    order = orders.create_work_order(
        ctx,
        site_id=site.id,
        number="WO-BIG-1",
        part_revision_id=revision.id,
        quantity=1,
        customer_id=customer.id,
        serial_numbers=["SN-BIG-1"],
    )

    class Shop:  # the shape plant.an_fai reads
        work_order = order

    return an_fai(ctx, Shop).fai.id  # type: ignore[arg-type]


@pytest.mark.requirement("A6")
def test_the_detail_carries_the_first_lines_and_the_rest_page_in_balloon_order(client, ctx):
    fai_id = _big_fai(ctx, 230)
    detail = client.get(f"{API}/{fai_id}").json()
    assert (len(detail["form3"]), detail["form3_total"]) == (detail["form3_inline"], 230)
    seen = []
    for offset in range(0, 230, 100):
        page = client.get(f"{API}/{fai_id}/form3", params={"limit": 100, "offset": offset})
        assert page.json()["total"] == 230
        seen += [line["char_no"] for line in page.json()["items"]]
    assert seen == [str(n) for n in range(1, 231)]
    assert [x["char_no"] for x in detail["form3"]] == seen[: detail["form3_inline"]]


def test_a_page_larger_than_the_cap_is_refused(client, ctx):
    fai_id = _big_fai(ctx, 3)
    refused = client.get(f"{API}/{fai_id}/form3", params={"limit": 100_000})
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed")

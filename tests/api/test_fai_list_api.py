"""The FAI list over HTTP: filters by customer, part and program, stable sorting, problems."""

from __future__ import annotations

import plant

API = "/api/v1/first-articles"


def test_the_list_filters_and_sorts_with_stable_pages(client, ctx):
    west = plant.a_plant(ctx)
    east = plant.a_plant(ctx, code="EST", part_number="9B0001-1")
    west_ids = {plant.an_fai(ctx, west).fai.id for _ in range(3)}
    plant.an_fai(ctx, east)
    by_customer = client.get(API, params={"customer_id": west.customer.id}).json()
    assert {f["id"] for f in by_customer["items"]} == west_ids
    by_part = client.get(API, params={"part_id": east.part.id}).json()
    assert by_part["total"] == 1
    assert client.get(API, params={"program": "NONE"}).json()["total"] == 0
    pages = [
        client.get(API, params={"sort": "status", "order": "asc", "limit": 1, "offset": n}).json()
        for n in range(4)
    ]
    assert len({p["items"][0]["id"] for p in pages}) == 4


def test_an_unknown_sort_or_order_is_a_problem_not_a_500(client):
    for params in ({"sort": "password"}, {"order": "sideways"}, {"part_id": "x" * 65}):
        response = client.get(API, params=params)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_request")

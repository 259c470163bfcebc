"""Bad input gets a clear 4xx problem+json with a stable code, and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import plant
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from firstarticle import bootstrap
from firstarticle.api.app import create_app
from firstarticle.config import Settings
from firstarticle.domain import model
from firstarticle.services import ServiceContext, catalog
from firstarticle.storage import orm

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
PAST = "2026-11-20T09:30:00+00:00"  # the fixed test clock reads 2026-11-20 14:00 UTC
JSON_HEADERS = {"content-type": "application/json"}
LIST_ROUTES = ["/sites", "/customers", "/parts", "/work-orders", "/first-articles"]


_TABLES: dict[str, list[sa.Table]] = {}


def row_counts(connection: sa.Connection) -> dict[str, int]:
    """Rows in every firstarticle table present in the test database, in one query."""
    key = str(connection.engine.url)
    if key not in _TABLES:
        present = set(sa.inspect(connection).get_table_names())
        _TABLES[key] = [t for t in orm.metadata.sorted_tables if t.name in present]
    tables = _TABLES[key]
    counts = sa.select(
        *(sa.select(sa.func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables)
    )
    return dict(connection.execute(counts).one()._mapping)


@contextmanager
def writes_nothing(connection: sa.Connection) -> Iterator[None]:
    """Assert that the block leaves every table's row count as it found it."""
    before = row_counts(connection)
    yield
    after = row_counts(connection)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"rows written by a refused request: {changed}"


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Check ``response`` is an RFC 9457 problem with ``status`` (and ``code``); return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["type"].endswith("/" + body["code"])
    if code is not None:
        assert body["code"] == code, body
    return body


@dataclass
class World:
    """A plant with a draft FAI, and the ids the routes take."""

    plant: plant.Plant
    fai_id: str
    fair_identifier: str

    @property
    def ids(self) -> dict[str, str]:
        p = self.plant
        return {
            "site": p.site.id,
            "customer": p.customer.id,
            "part": p.part.id,
            "revision": p.revision.id,
            "wo": p.work_order.id,
            "fai": self.fai_id,
            "fair": self.fair_identifier,
        }

    def path(self, template: str) -> str:
        return API + template.format(**self.ids)


@pytest.fixture
def world(ctx: ServiceContext) -> World:
    p = plant.a_plant(ctx)
    fai = plant.an_fai(ctx, p)
    return World(p, fai.fai.id, fai.fai.fair_identifier)


def fill(value: Any, world: World) -> Any:
    """``value`` with "{site}", "{wo}", "{fai}"... placeholders replaced by the world's ids."""
    if isinstance(value, str):
        for key, replacement in world.ids.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


def result(**fields: Any) -> dict[str, Any]:
    """A valid device result for balloon 1 (25.00 ±0.05 mm), with ``fields`` replaced."""
    return {
        "balloon": "1",
        "measured_at": PAST,
        "source": "device_import",
        "value": "25.01",
        "units": "mm",
        **fields,
    }


# --- unknown fields, malformed JSON, wrong types -----------------------------------------

UNKNOWN_FIELDS = [
    pytest.param("POST", "/sites", {"code": "NEW", "name": "New", "colour": "red"}, id="site"),
    pytest.param(
        "POST", "/customers", {"code": "NEWC", "name": "New", "discount": 5}, id="customer"
    ),
    pytest.param("POST", "/parts", {"number": "P-9", "name": "Pin", "mass": "1"}, id="part"),
    pytest.param(
        "POST",
        "/parts/{part}/revisions",
        {"revision": "D", "drawings": [{"number": "7A1234", "revision": "D", "sheet": 2}]},
        id="nested-drawing",
    ),
    pytest.param(
        "POST",
        "/first-articles",
        {"work_order_id": "{wo}", "reason": "New part", "status": "approved"},
        id="fai-status",
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/results",
        {"results": [result(conformance="conforming")]},
        id="result-conformance",
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/transitions",
        {"action": "start", "actor": "someone.else"},
        id="transition-actor",
    ),
]


@pytest.mark.parametrize(("method", "template", "body"), UNKNOWN_FIELDS)
def test_unknown_fields_are_refused_as_invalid_request_and_nothing_is_written(
    client: TestClient,
    connection: sa.Connection,
    world: World,
    method: str,
    template: str,
    body: dict[str, Any],
) -> None:
    """extra="forbid": a misspelt or unexpected field is a 422, never silently dropped."""
    with writes_nothing(connection):
        response = client.request(method, world.path(template), json=fill(body, world))
    problem = assert_problem(response, 422, "invalid_request")
    assert [e["type"] for e in problem["errors"]] == ["extra_forbidden"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"code": "NEW", "name": ', id="truncated"),
        pytest.param(b'{"code": "NEW" "name": "x"}', id="missing-comma"),
        pytest.param(b"{'code': 'NEW', 'name': 'x'}", id="single-quotes"),
        pytest.param(b'{"code": "NEW", "name": "x",}', id="trailing-comma"),
        pytest.param(b"", id="empty"),
    ],
)
def test_malformed_json_is_a_422_invalid_request(
    client: TestClient, connection: sa.Connection, raw: bytes
) -> None:
    """A body that is not JSON is refused with invalid_request and creates nothing."""
    with writes_nothing(connection):
        response = client.post(f"{API}/sites", content=raw, headers=JSON_HEADERS)
    assert_problem(response, 422, "invalid_request")


def test_a_body_that_is_not_utf8_is_a_problem_with_a_named_code(
    client: TestClient, connection: sa.Connection
) -> None:
    """Undecodable bytes are refused like any malformed body, with a meaningful code."""
    with writes_nothing(connection):
        response = client.post(f"{API}/sites", content=b"\xff\xfe{", headers=JSON_HEADERS)
    problem = assert_problem(response, response.status_code)
    assert response.status_code in {400, 422}
    assert problem["code"] != "http_400"


WRONG_TYPES = [
    pytest.param("POST", "/sites", {"code": 123, "name": "x"}, id="site-code-number"),
    pytest.param("POST", "/sites", {"code": "A B", "name": "x"}, id="site-code-pattern"),
    pytest.param(
        "POST",
        "/customers",
        {"code": "C9", "name": "x", "requires_fai": "maybe"},
        id="customer-bool",
    ),
    pytest.param(
        "POST", "/customers", {"code": "C9", "name": "x", "channel": "fax"}, id="customer-enum"
    ),
    pytest.param("POST", "/parts", {"number": ["P1"], "name": "x"}, id="part-number-list"),
    pytest.param("POST", "/parts", {"number": "P1", "name": "   "}, id="part-name-blank"),
    pytest.param(
        "POST",
        "/work-orders",
        {"site_id": "{site}", "number": "W9", "part_revision_id": "{revision}", "quantity": "ten"},
        id="wo-quantity-text",
    ),
    pytest.param(
        "POST",
        "/work-orders",
        {"site_id": "{site}", "number": "W9", "part_revision_id": "{revision}", "quantity": 0},
        id="wo-quantity-zero",
    ),
    pytest.param(
        "POST", "/work-orders/{wo}/serials", {"serial_numbers": "SN9"}, id="serials-not-list"
    ),
    pytest.param("POST", "/work-orders/{wo}/serials", {"serial_numbers": []}, id="serials-empty"),
    pytest.param(
        "POST", "/first-articles/{fai}/results", {"results": [result(value=True)]}, id="value-bool"
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/results",
        {"results": [result(measured_at="yesterday")]},
        id="measured-at-text",
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/results",
        {"results": [result(source="guess")]},
        id="result-source",
    ),
    pytest.param("POST", "/first-articles/{fai}/results", {"results": []}, id="results-empty"),
    pytest.param(
        "POST", "/first-articles/{fai}/transitions", {"action": "fly"}, id="transition-action"
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/customer-decisions",
        {"outcome": "maybe", "customer_person_id": "x", "decided_at": PAST},
        id="decision-outcome",
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/evidence",
        {"kind": "other", "uri": "https://x/y", "sha256": "abc", "title": "t"},
        id="evidence-sha",
    ),
    pytest.param(
        "PATCH", "/first-articles/{fai}", {"expected_version": "one"}, id="patch-version-text"
    ),
    pytest.param(
        "POST",
        "/revisions/{revision}/characteristics",
        {"characteristics": [{"drawing_number": "7A1234", "balloon": "9", "ctype": "colour"}]},
        id="characteristic-type",
    ),
]


def test_wrong_types_and_values_are_a_422_invalid_request(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """Fields of the wrong type or outside their schema are refused before any service runs."""
    for case in WRONG_TYPES:
        method, template, body = case.values
        with writes_nothing(connection):
            response = client.request(method, world.path(template), json=fill(body, world))
        problem = assert_problem(response, 422, "invalid_request")
        assert problem["errors"], case.id
        assert all(e["location"] for e in problem["errors"]), case.id


# --- numbers ------------------------------------------------------------------------------

BAD_NUMBERS = [
    pytest.param("NaN", id="json-NaN"),
    pytest.param("Infinity", id="json-Infinity"),
    pytest.param("-Infinity", id="json-minus-Infinity"),
    pytest.param('"NaN"', id="string-NaN"),
    pytest.param('"sNaN"', id="string-sNaN"),
    pytest.param('"Infinity"', id="string-Infinity"),
    pytest.param('"-inf"', id="string-minus-inf"),
    pytest.param("1e400", id="json-1e400"),
    pytest.param('"1e400"', id="string-1e400"),
    pytest.param('"1234567890123456789012345678901"', id="31-digits"),
    pytest.param('"0.0000000000001"', id="13-decimal-places"),
    pytest.param('"25,01"', id="decimal-comma"),
    pytest.param('""', id="empty-string"),
]


RESULT_TEMPLATE = (
    '{"results": [{"balloon": "1", "measured_at": "' + PAST + '", "source": "device_import", '
    '"value": NUMBER, "units": "mm"}]}'
)
LIMIT_TEMPLATE = (
    '{"characteristics": [{"drawing_number": "7A1234", "balloon": "99", '
    '"upper_limit": NUMBER, "units": "mm"}]}'
)


@pytest.mark.parametrize(
    ("template", "raw"),
    [
        pytest.param("/first-articles/{fai}/results", RESULT_TEMPLATE, id="measured-value"),
        pytest.param("/revisions/{revision}/characteristics", LIMIT_TEMPLATE, id="limit"),
    ],
)
def test_non_finite_or_oversized_numbers_are_refused(
    client: TestClient, connection: sa.Connection, world: World, template: str, raw: str
) -> None:
    """NaN, Infinity, values beyond 30 digits or 12 places never reach the records."""
    for case in BAD_NUMBERS:
        (number,) = case.values
        with writes_nothing(connection):
            response = client.post(
                world.path(template), content=raw.replace("NUMBER", number), headers=JSON_HEADERS
            )
        problem = assert_problem(response, 422, "invalid_request")
        assert problem["errors"][0]["location"][-1] in {"value", "upper_limit"}, case.id


def test_thirty_digit_values_with_twelve_places_are_accepted_and_kept_exact(
    client: TestClient, world: World
) -> None:
    """The largest value the schema allows is stored and read back digit for digit."""
    response = client.post(
        world.path("/revisions/{revision}/characteristics"),
        json={
            "characteristics": [
                {
                    "drawing_number": "7A1234",
                    "balloon": "99",
                    "upper_limit": "999999999999999999.999999999999",
                    "units": "mm",
                }
            ]
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()[0]["requirement"]["upper_limit"] == "999999999999999999.999999999999"


# --- times --------------------------------------------------------------------------------


def test_a_measured_at_without_a_time_zone_is_refused(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """Naive datetimes (and bare dates) are not accepted as measurement times."""
    for measured_at in ["2026-11-20T09:30:00", "2026-11-20 09:30", "2026-11-20"]:
        with writes_nothing(connection):
            response = client.post(
                world.path("/first-articles/{fai}/results"),
                json={"results": [result(measured_at=measured_at)]},
            )
        problem = assert_problem(response, 422, "invalid_request")
        assert problem["errors"][0]["location"][-1] == "measured_at", measured_at


def test_a_customer_decision_without_a_time_zone_is_refused(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """decided_at must carry its time zone too."""
    with writes_nothing(connection):
        response = client.post(
            world.path("/first-articles/{fai}/customer-decisions"),
            json={
                "outcome": "approved",
                "customer_person_id": plant.BUYER,
                "decided_at": "2026-11-20T09:00",
                "reference": "QMS-1",
            },
        )
    assert_problem(response, 422, "invalid_request")


def test_a_measured_at_in_the_future_is_refused_as_validation_failed(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """A result cannot be measured after the server's now, whatever offset it is written in."""
    for measured_at in [
        "2026-11-20T14:00:01+00:00",
        "2026-11-20T15:30:00+01:00",
        "2026-11-20T13:30:00-01:00",
    ]:
        with writes_nothing(connection):
            response = client.post(
                world.path("/first-articles/{fai}/results"),
                json={"results": [result(measured_at=measured_at)]},
            )
        problem = assert_problem(response, 422, "validation_failed")
        assert problem["field"] == "measured_at", measured_at


def test_a_customer_decision_in_the_future_is_refused(
    client: TestClient, connection: sa.Connection, world: World, ctx: ServiceContext
) -> None:
    """decided_at after the server's now is validation_failed (the FAI submitted, the
    customer's QMS channel naming the person)."""
    plant.submit(ctx, world.fai_id)
    plant.qms_channel(ctx, world.plant.customer.id)
    with writes_nothing(connection):
        response = client.post(
            world.path("/first-articles/{fai}/customer-decisions"),
            json={
                "outcome": "approved",
                "customer_person_id": plant.BUYER,
                "decided_at": "2026-11-21T00:00:00Z",
                "reference": "QMS-1",
            },
        )
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["field"] == "decided_at"


# --- unknown ids, duplicates ----------------------------------------------------------------

UNKNOWN_IDS = [
    pytest.param("GET", "/sites/nope", None, id="site"),
    pytest.param("GET", "/customers/nope", None, id="customer"),
    pytest.param("GET", "/parts/nope", None, id="part"),
    pytest.param("GET", "/revisions/nope", None, id="revision"),
    pytest.param("GET", "/work-orders/nope", None, id="work-order"),
    pytest.param("GET", "/first-articles/nope", None, id="fai"),
    pytest.param("GET", "/first-articles/by-fair/FAIR-NOPE-2026-0001", None, id="by-fair"),
    pytest.param("GET", "/first-articles/nope/readiness", None, id="readiness"),
    pytest.param("GET", "/first-articles/nope/audit", None, id="audit"),
    pytest.param(
        "POST",
        "/parts/nope/revisions",
        {"revision": "A", "drawings": [{"number": "D1", "revision": "A"}]},
        id="revision-of-unknown-part",
    ),
    pytest.param(
        "POST",
        "/revisions/nope/characteristics",
        {"characteristics": [{"drawing_number": "D1", "balloon": "1", "requirement": "x"}]},
        id="characteristics-of-unknown-revision",
    ),
    pytest.param(
        "POST",
        "/revisions/{revision}/characteristics",
        {"characteristics": [{"drawing_number": "NOPE", "balloon": "1", "requirement": "x"}]},
        id="characteristics-of-unknown-drawing",
    ),
    pytest.param(
        "POST",
        "/work-orders",
        {"site_id": "nope", "number": "W9", "part_revision_id": "{revision}", "quantity": 1},
        id="work-order-unknown-site",
    ),
    pytest.param(
        "POST",
        "/work-orders",
        {"site_id": "{site}", "number": "W9", "part_revision_id": "nope", "quantity": 1},
        id="work-order-unknown-revision",
    ),
    pytest.param(
        "POST",
        "/work-orders",
        {
            "site_id": "{site}",
            "number": "W9",
            "part_revision_id": "{revision}",
            "quantity": 1,
            "customer_id": "nope",
        },
        id="work-order-unknown-customer",
    ),
    pytest.param(
        "POST", "/work-orders/nope/serials", {"serial_numbers": ["SN9"]}, id="serials-unknown-wo"
    ),
    pytest.param(
        "POST",
        "/first-articles",
        {"work_order_id": "nope", "reason": "New part"},
        id="fai-unknown-work-order",
    ),
    pytest.param(
        "POST",
        "/first-articles",
        {"work_order_id": "{wo}", "reason": "New part", "serial_numbers": ["SN9999"]},
        id="fai-unknown-serial",
    ),
    pytest.param(
        "POST", "/first-articles/{fai}/units", {"serial_numbers": ["SN9999"]}, id="unknown-unit"
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/results",
        {"results": [result(serial_number="SN9999")]},
        id="result-unknown-serial",
    ),
    pytest.param(
        "PATCH",
        "/first-articles/{fai}/nonconformances/nope",
        {"status": "closed", "disposition": "rework"},
        id="unknown-nc",
    ),
    pytest.param(
        "PATCH", "/first-articles/{fai}/form3/999", {"tooling": "Gauge 7"}, id="unknown-form3-row"
    ),
    pytest.param(
        "POST",
        "/first-articles/nope/transitions",
        {"action": "start"},
        id="transition-unknown-fai",
    ),
]


def test_unknown_ids_are_a_404_not_found_and_nothing_is_written(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """Referring to a record that does not exist is 404 not_found, in the path or the body."""
    for case in UNKNOWN_IDS:
        method, template, body = case.values
        with writes_nothing(connection):
            response = client.request(method, world.path(template), json=fill(body, world))
        problem = assert_problem(response, 404, "not_found")
        assert problem["record"], case.id
        assert problem["key"], case.id


def test_verifying_an_unknown_result_is_a_404_not_found(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """POST .../results/{unknown}/verification names a result that does not exist: 404."""
    with writes_nothing(connection):
        response = client.post(
            world.path("/first-articles/{fai}/results/nope/verification"),
            headers={"X-Actor": "inspector.b"},
        )
    assert_problem(response, 404, "not_found")


DUPLICATES = [
    pytest.param("POST", "/sites", {"code": "WCH", "name": "Again"}, id="site-code"),
    pytest.param("POST", "/sites", {"code": "wch", "name": "Again"}, id="site-code-lowercase"),
    pytest.param("POST", "/customers", {"code": "CWCH", "name": "Again"}, id="customer-code"),
    pytest.param("POST", "/parts", {"number": "7A1234-101", "name": "Again"}, id="part-number"),
    pytest.param(
        "POST",
        "/parts/{part}/revisions",
        {"revision": "C", "drawings": [{"number": "7A1234", "revision": "C"}]},
        id="revision",
    ),
    pytest.param(
        "POST",
        "/revisions/{revision}/characteristics",
        {"characteristics": [{"drawing_number": "7A1234", "balloon": "1", "requirement": "x"}]},
        id="balloon",
    ),
    pytest.param(
        "POST",
        "/revisions/{revision}/characteristics",
        {
            "characteristics": [
                {"drawing_number": "7A1234", "balloon": "50", "requirement": "x"},
                {"drawing_number": "7A1234", "balloon": "50", "requirement": "y"},
            ]
        },
        id="balloon-twice-in-one-request",
    ),
    pytest.param(
        "POST",
        "/work-orders",
        {
            "site_id": "{site}",
            "number": "WO-WCH-1",
            "part_revision_id": "{revision}",
            "quantity": 1,
        },
        id="work-order-number",
    ),
    pytest.param(
        "POST",
        "/work-orders",
        {
            "site_id": "{site}",
            "number": "WO-NEW",
            "part_revision_id": "{revision}",
            "quantity": 1,
            "operations": [{"sequence": 10, "name": "Mill"}, {"sequence": 10, "name": "Drill"}],
        },
        id="operation-sequence",
    ),
    pytest.param("POST", "/work-orders/{wo}/serials", {"serial_numbers": ["SN0001"]}, id="serial"),
    pytest.param(
        "POST",
        "/first-articles",
        {"work_order_id": "{wo}", "reason": "Again", "fair_identifier": "{fair}"},
        id="fair-identifier",
    ),
    pytest.param(
        "POST", "/first-articles/{fai}/form3", {"balloons": ["1"]}, id="balloon-already-in-scope"
    ),
    pytest.param(
        "POST", "/first-articles/{fai}/units", {"serial_numbers": ["SN0001"]}, id="unit-in-scope"
    ),
    pytest.param("PATCH", "/first-articles/{fai}", {"expected_version": 99}, id="stale-version"),
]


def test_duplicates_and_stale_versions_are_a_409_conflict(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """A code, number or identifier that already exists is a conflict; nothing is written."""
    for case in DUPLICATES:
        method, template, body = case.values
        with writes_nothing(connection):
            response = client.request(method, world.path(template), json=fill(body, world))
        assert_problem(response, 409, "conflict")


def test_a_second_nonconformance_link_with_the_same_number_is_a_conflict(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """NC numbers are linked once per FAI and kind."""
    path = world.path("/first-articles/{fai}/nonconformances")
    assert client.post(path, json={"number": "NC-1", "balloons": ["1"]}).status_code == 201
    with writes_nothing(connection):
        response = client.post(path, json={"number": "NC-1"})
    assert_problem(response, 409, "conflict")


def test_an_explicit_fair_identifier_does_not_block_automatic_numbering(
    client: TestClient, world: World
) -> None:
    """After FAIR-WCH-2026-0002 is taken by hand, the next automatic FAIR skips it."""
    wo = world.plant.work_order.id
    explicit = client.post(
        f"{API}/first-articles",
        json={"work_order_id": wo, "reason": "Imported", "fair_identifier": "FAIR-WCH-2026-0002"},
    )
    assert explicit.status_code == 201, explicit.text

    automatic = client.post(f"{API}/first-articles", json={"work_order_id": wo, "reason": "Next"})

    assert automatic.status_code == 201, automatic.text
    assert automatic.json()["fair_identifier"] == "FAIR-WCH-2026-0003"


# --- paging, routes, methods --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": 0}, "invalid_request"),
        ({"limit": -1}, "invalid_request"),
        ({"limit": "ten"}, "invalid_request"),
        ({"offset": -1}, "invalid_request"),
        ({"limit": 201}, "validation_failed"),
        ({"limit": 10**6}, "validation_failed"),
    ],
    ids=["limit-0", "limit-negative", "limit-text", "offset-negative", "limit-201", "limit-1e6"],
)
def test_a_limit_of_zero_or_above_the_cap_is_a_422(
    client: TestClient, query: dict[str, Any], code: str
) -> None:
    """Every list refuses limits outside 1..200 and negative offsets."""
    for route in LIST_ROUTES:
        response = client.get(API + route, params=query)
        problem = assert_problem(response, 422, code)
        assert "limit" in problem["detail"] or "offset" in problem["detail"], route


def test_an_offset_beyond_64_bits_is_refused_not_a_server_error(client: TestClient) -> None:
    """offset=10**20 gets a 422 problem rather than an internal error, on every list."""
    for route in LIST_ROUTES:
        response = client.get(API + route, params={"offset": 10**20})
        assert_problem(response, 422)


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    """Paths that no route serves answer a not_found problem, not an HTML or plain page."""
    for path in ["/api/v1/nothing", "/api/v2/sites", "/api/v1/first-articles/x/y/z", "/x.ico"]:
        problem = assert_problem(client.get(path), 404, "not_found")
        assert problem["instance"] == path


def test_a_wrong_method_is_a_405_problem_and_writes_nothing(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """Methods a route does not support answer method_not_allowed."""
    for method, template in [
        ("DELETE", "/sites"),
        ("PUT", "/sites/{site}"),
        ("DELETE", "/first-articles/{fai}"),
        ("GET", "/first-articles/{fai}/transitions"),
        ("PATCH", "/work-orders/{wo}"),
    ]:
        with writes_nothing(connection):
            response = client.request(method, world.path(template))
        assert_problem(response, 405, "method_not_allowed")


def test_a_405_names_the_allowed_methods(client: TestClient) -> None:
    """RFC 9110: a 405 response carries an Allow header."""
    response = client.delete(f"{API}/sites")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


# --- domain rules on results and patches -----------------------------------------------------


def test_a_value_in_incomparable_units_is_a_422_unit_mismatch(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """A length requirement cannot be judged against degrees, kilograms or pressure."""
    for units in ["deg", "kg", "psi"]:
        with writes_nothing(connection):
            response = client.post(
                world.path("/first-articles/{fai}/results"),
                json={"results": [result(value="25.01", units=units)]},
            )
        problem = assert_problem(response, 422, "unit_mismatch")
        assert problem["value_units"] == units
        assert problem["requirement_units"] == "mm"


def test_a_value_in_convertible_units_is_accepted(client: TestClient, world: World) -> None:
    """0.9846 in is 25.00884 mm: conforming against 25.00 ±0.05 mm."""
    response = client.post(
        world.path("/first-articles/{fai}/results"),
        json={"results": [result(value="0.9846", units="inch")]},
    )
    assert response.status_code == 201, response.text
    line = next(line for line in response.json()["form3"] if line["char_no"] == "1")
    assert (line["results"][0]["units"], line["results"][0]["conformance"]) == (
        "in",
        "conforming",
    )


def test_a_batch_of_results_is_all_or_nothing(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """One bad result in a batch refuses the whole batch; the good one is not stored."""
    with writes_nothing(connection):
        response = client.post(
            world.path("/first-articles/{fai}/results"),
            json={
                "results": [
                    result(),
                    {"balloon": "2", "measured_at": PAST, "value": "1", "units": "mm"},
                ]
            },
        )
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["field"] == "value"


def test_a_patch_cannot_set_status_or_derived_fields(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """PATCH changes Form 1 header fields only; status moves through transitions."""
    path = world.path("/first-articles/{fai}")
    before = client.get(path).json()
    for body in [
        {"status": "approved"},
        {"submission_attempt": 5},
        {"fair_identifier": "FAIR-OTHER"},
        {"reason": "Changed", "status": "approved"},
    ]:
        with writes_nothing(connection):
            response = client.patch(path, json=body)
        problem = assert_problem(response, 422, "invalid_request")
        assert {e["type"] for e in problem["errors"]} == {"extra_forbidden"}, body
    assert client.get(path).json() == before


def test_a_patch_cannot_blank_the_reason(
    client: TestClient, connection: sa.Connection, world: World
) -> None:
    """Form 1 field 14's reason is required; null or blank is validation_failed."""
    path = world.path("/first-articles/{fai}")
    for body in ({"reason": None}, {"reason": "   "}):
        with writes_nothing(connection):
            response = client.patch(path, json=body)
        assert assert_problem(response, 422, "validation_failed")["field"] == "reason"
    assert client.get(path).json()["reason"] == "New part"


def test_results_for_a_balloon_not_on_the_revision_are_404(
    client: TestClient, connection: sa.Connection, ctx: ServiceContext, world: World
) -> None:
    """A balloon of another part, or of no drawing, is not found on this FAI's revision."""
    other = plant.a_plant(ctx, code="KC", part_number="9B0001-1")
    catalog.add_characteristics(
        ctx,
        other.revision.id,
        "7A1234",
        [catalog.CharacteristicSpec("77", model.CharacteristicType.NOTE, requirement="Marking")],
    )
    for balloon in ("77", "404", other.revision.characteristics[0].id):
        with writes_nothing(connection):
            response = client.post(
                world.path("/first-articles/{fai}/results"),
                json={"results": [result(balloon=balloon, value=None, attribute="accept")]},
            )
        problem = assert_problem(response, 404, "not_found")
        assert problem["record"] == "Characteristic"


# --- the shape of every error -------------------------------------------------------------

ERRORS = [
    pytest.param("GET", "/api/v1/nowhere", None, 404, id="unknown-route"),
    pytest.param("DELETE", "/api/v1/sites", None, 405, id="wrong-method"),
    pytest.param("POST", "/api/v1/sites", {"code": "X"}, 422, id="missing-field"),
    pytest.param("GET", "/api/v1/sites?limit=500", None, 422, id="limit-cap"),
    pytest.param("GET", "/api/v1/first-articles/nope", None, 404, id="unknown-id"),
    pytest.param("POST", "/api/v1/sites", {"code": "WCH", "name": "x"}, 409, id="duplicate"),
    pytest.param(
        "POST",
        "/api/v1/first-articles/{fai}/transitions",
        {"action": "submit"},
        409,
        id="transition-not-allowed",
    ),
    pytest.param(
        "POST",
        "/api/v1/first-articles/{fai}/transitions",
        {"action": "cancel"},
        422,
        id="reason-missing",
    ),
]


def test_every_error_is_a_complete_problem_that_echoes_the_request_id(
    client: TestClient, world: World
) -> None:
    """type, title, status, detail, code and instance; X-Request-ID comes back unchanged."""
    for number, case in enumerate(ERRORS):
        method, path, body, status = case.values
        path = path.replace("{fai}", world.fai_id)
        request_id = f"trace-{number}-{case.id}"
        response = client.request(method, path, json=body, headers={"X-Request-ID": request_id})
        problem = assert_problem(response, status)
        assert response.headers["X-Request-ID"] == request_id
        assert problem["request_id"] == request_id
        assert problem["instance"] == path.split("?")[0]


def test_an_unusable_request_id_is_replaced_by_a_fresh_one(client: TestClient) -> None:
    """Over-long or unprintable X-Request-ID values are not echoed; a new id is issued."""
    for given in ["x" * 65, "bad\x7fid"]:
        response = client.get(f"{API}/sites/nope", headers={"X-Request-ID": given})
        issued = response.headers["X-Request-ID"]
        assert issued != given
        assert len(issued) == 32
        assert int(issued, 16) >= 0
        assert response.json()["request_id"] == issued


def test_a_request_without_an_id_gets_one(client: TestClient) -> None:
    """Every response carries an X-Request-ID, fresh for each request."""
    first = client.get(f"{API}/sites").headers["X-Request-ID"]
    second = client.get(f"{API}/sites").headers["X-Request-ID"]
    assert first != second
    assert len(first) == 32


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("password=hunter2 at db.internal:5432")


def test_an_unexpected_failure_is_a_500_problem_that_hides_its_cause(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug answers internal_error without leaking the exception text."""
    monkeypatch.setattr(catalog, "list_sites", _boom)
    response = client.get(f"{API}/sites", headers={"X-Request-ID": "boom-1"})
    problem = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert problem["request_id"] == "boom-1"


def test_an_unexpected_failure_still_echoes_the_request_id_header(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The X-Request-ID header is present on a 500 like on every other response."""
    monkeypatch.setattr(catalog, "list_sites", _boom)
    response = client.get(f"{API}/sites", headers={"X-Request-ID": "boom-2"})
    assert response.status_code == 500
    assert response.headers.get("X-Request-ID") == "boom-2"


# --- every write route of the OpenAPI document against malformed bodies --------------------

MALFORMED_BODIES = [
    pytest.param(b"{}", id="empty-object"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'"x"', id="string"),
    pytest.param(b'{"unexpected": 1}', id="unknown-field"),
    pytest.param(b"null", id="null"),
    pytest.param(b"12", id="number"),
]


# Actions that take no body at all (a nonce, a TOTP secret for the caller): whatever is sent
# is not read, so there is nothing malformed to refuse.
BODILESS_ACTIONS = frozenset(
    {"/api/v1/signing-nonces", "/api/v1/me/totp", "/api/v1/outbox/retry-dead"}
)


def _write_operations(spec: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(method, path, accepts an empty object) for every POST and PATCH operation."""
    schemas = spec.get("components", {}).get("schemas", {})
    out = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in {"post", "patch"}:
                continue
            body = operation.get("requestBody")
            if body is None and path in BODILESS_ACTIONS:
                continue
            empty_ok = True
            if body is not None:
                # Upload routes take multipart/form-data and answer a JSON body with a 415.
                schema = body["content"].get("application/json", {}).get("schema", {})
                ref = schema.get("$ref", "")
                empty_ok = not schemas.get(ref.rsplit("/", 1)[-1], schema).get("required")
            out.append((method.upper(), path, empty_ok))
    return out


def _fill(path: str, world: World) -> str:
    values = {
        "site_id": world.plant.site.id,
        "customer_id": world.plant.customer.id,
        "part_id": world.plant.part.id,
        "revision_id": world.plant.revision.id,
        "work_order_id": world.plant.work_order.id,
        "fai_id": world.fai_id,
        "fair_identifier": world.fair_identifier,
        "balloon": "1",
    }
    while "{" in path:
        start = path.index("{")
        end = path.index("}", start)
        path = path[:start] + values.get(path[start + 1 : end], "unknown") + path[end + 1 :]
    return path


@pytest.mark.parametrize("raw", MALFORMED_BODIES)
def test_every_write_route_answers_malformed_bodies_with_a_4xx_problem(
    client: TestClient, connection: sa.Connection, world: World, raw: bytes
) -> None:
    """Each POST/PATCH of /openapi.json, given a malformed body: never a 5xx, always a problem."""
    spec = client.get("/openapi.json").json()
    operations = _write_operations(spec)
    assert len(operations) >= 15
    failures = []
    for method, template, empty_ok in operations:
        path = _fill(template, world)
        before = row_counts(connection)
        response = client.request(method, path, content=raw, headers=JSON_HEADERS)
        media = response.headers.get("content-type", "")
        if response.status_code < 400 and raw == b"{}" and empty_ok:
            continue  # every field of this body is optional: {} is a valid request
        if not (400 <= response.status_code < 500 and media.startswith(PROBLEM_JSON)):
            failures.append(f"{method} {template}: {response.status_code} {media}")
            continue
        if not response.json().keys() >= PROBLEM_KEYS:
            failures.append(f"{method} {template}: incomplete problem {response.json()}")
        if row_counts(connection) != before:
            failures.append(f"{method} {template}: a refused request wrote rows")
    assert not failures, "\n".join(failures)


# --- bugs that show on PostgreSQL only ------------------------------------------------------

OVERLONG = [
    pytest.param(
        "POST",
        "/revisions/{revision}/characteristics",
        {
            "characteristics": [
                {"drawing_number": "7A1234", "balloon": "60", "upper_limit": "5", "units": "u" * 40}
            ]
        },
        "CharacteristicIn.units allows 64 characters, characteristics.units is VARCHAR(32)",
        id="characteristic-units",
    ),
    pytest.param(
        "POST",
        "/first-articles/{fai}/results",
        {
            "results": [
                {"balloon": "2", "measured_at": PAST, "attribute": "accept", "units": "u" * 40}
            ]
        },
        "ResultIn.units allows 64 characters, inspection_results.units is VARCHAR(32)",
        id="result-units",
    ),
    pytest.param(
        "POST",
        "/first-articles",
        {
            "work_order_id": "{wo}",
            "reason": "Delta",
            "baseline_part_number": "7A1234-101",
            "baseline_part_revision": "R" * 20,
        },
        "FirstArticleIn.baseline_part_revision allows 64 characters, the column is VARCHAR(16)",
        id="fai-baseline-revision",
    ),
    pytest.param(
        "PATCH",
        "/first-articles/{fai}",
        {"baseline_part_revision": "R" * 20},
        "FirstArticlePatch.baseline_part_revision allows 64 characters, the column VARCHAR(16)",
        id="patch-baseline-revision",
    ),
    pytest.param(
        "POST",
        "/sites",
        {"code": "NUL", "name": "Plant\u0000North"},
        "Text fields accept NUL, which PostgreSQL text columns refuse",
        id="nul-in-name",
    ),
    pytest.param(
        "POST",
        "/parts",
        {"number": "P-\u0000", "name": "Pin"},
        "Code fields accept NUL, which PostgreSQL text columns refuse",
        id="nul-in-code",
    ),
]


@pytest.mark.parametrize(("method", "template", "body", "why"), OVERLONG)
def test_text_the_schema_accepts_is_stored_or_refused_never_a_server_error(
    client: TestClient,
    world: World,
    method: str,
    template: str,
    body: dict[str, Any],
    why: str,
) -> None:
    """Values beyond a column's limits, or with NUL, are refused as 4xx, never a 500."""
    response = client.request(method, world.path(template), json=fill(body, world))
    assert 400 <= response.status_code < 500, f"{why}: {response.text}"


# --- settings ------------------------------------------------------------------------------


def test_the_configured_default_page_size_applies_when_no_limit_is_given(
    connection: sa.Connection, database_url: str
) -> None:
    """FIRSTARTICLE_PAGE_SIZE_DEFAULT=7 makes an unpaged list answer limit 7."""
    settings = Settings(database_url=database_url, page_size_default=7)
    application = bootstrap.build(settings, bind=connection)
    app = plant.trusting(create_app(application), application)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(f"{API}/sites")
    assert response.status_code == 200, response.text
    assert response.json()["limit"] == 7


def test_a_bidirectional_override_in_a_name_is_refused_before_anything_is_written(
    client,
) -> None:
    """A part name that would read differently than it is stored answers 422, and no part."""
    answer = client.post(
        "/api/v1/parts", json={"number": "BIDI-1", "name": "Bracket \u202eretfa gnihtoN"}
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_request"
    numbers = [
        p["number"] for p in client.get("/api/v1/parts", params={"limit": 200}).json()["items"]
    ]
    assert "BIDI-1" not in numbers

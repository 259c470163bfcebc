"""Operations endpoints: health, the OpenAPI document, and paging of every list."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import plant
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import firstarticle
from firstarticle import bootstrap
from firstarticle.api.app import create_app
from firstarticle.config import Settings
from firstarticle.services import ServiceContext

API = "/api/v1"
LIST_ROUTES = ["/sites", "/customers", "/parts", "/work-orders", "/first-articles"]

# The routes the API promised when these tests were written; more may be added, none removed.
EXPECTED_OPERATIONS = {
    ("POST", "/api/v1/sites"),
    ("GET", "/api/v1/sites"),
    ("GET", "/api/v1/sites/{site_id}"),
    ("POST", "/api/v1/customers"),
    ("GET", "/api/v1/customers"),
    ("GET", "/api/v1/customers/{customer_id}"),
    ("POST", "/api/v1/parts"),
    ("GET", "/api/v1/parts"),
    ("GET", "/api/v1/parts/{part_id}"),
    ("POST", "/api/v1/parts/{part_id}/revisions"),
    ("GET", "/api/v1/revisions/{revision_id}"),
    ("POST", "/api/v1/revisions/{revision_id}/characteristics"),
    ("POST", "/api/v1/work-orders"),
    ("GET", "/api/v1/work-orders"),
    ("GET", "/api/v1/work-orders/{work_order_id}"),
    ("POST", "/api/v1/work-orders/{work_order_id}/serials"),
    ("POST", "/api/v1/first-articles"),
    ("GET", "/api/v1/first-articles"),
    ("GET", "/api/v1/first-articles/by-fair/{fair_identifier}"),
    ("GET", "/api/v1/first-articles/{fai_id}"),
    ("PATCH", "/api/v1/first-articles/{fai_id}"),
    ("GET", "/api/v1/first-articles/{fai_id}/readiness"),
    ("GET", "/api/v1/first-articles/{fai_id}/audit"),
    ("POST", "/api/v1/first-articles/{fai_id}/index"),
    ("POST", "/api/v1/first-articles/{fai_id}/form2"),
    ("PATCH", "/api/v1/first-articles/{fai_id}/form3/{balloon}"),
    ("POST", "/api/v1/first-articles/{fai_id}/form3"),
    ("POST", "/api/v1/first-articles/{fai_id}/units"),
    ("POST", "/api/v1/first-articles/{fai_id}/results"),
    ("POST", "/api/v1/first-articles/{fai_id}/results/{result_id}/verification"),
    ("POST", "/api/v1/first-articles/{fai_id}/nonconformances"),
    ("PATCH", "/api/v1/first-articles/{fai_id}/nonconformances/{nc_id}"),
    ("POST", "/api/v1/first-articles/{fai_id}/evidence"),
    ("POST", "/api/v1/first-articles/{fai_id}/transitions"),
    ("POST", "/api/v1/first-articles/{fai_id}/customer-decisions"),
}


def operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_health_answers_200_while_the_process_lives(client: TestClient) -> None:
    """/health is liveness: status ok and the package version, with a request id."""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": firstarticle.__version__}
    assert response.headers["X-Request-ID"]


def test_ready_answers_200_with_the_database_at_the_migration_head(client: TestClient) -> None:
    """/ready says the database answers and its schema is the package's head."""
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["schema_revision"] == body["head_revision"] is not None


def unreachable_application(tmp_path: Path) -> bootstrap.Application:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'nowhere.db'}"
    return bootstrap.build(Settings(database_url=url))


def test_without_a_database_health_stays_live_and_ready_answers_503(tmp_path: Path) -> None:
    """With no reachable database the process is alive but not ready, and nothing raises."""
    application = unreachable_application(tmp_path)
    try:
        with TestClient(create_app(application), raise_server_exceptions=False) as client:
            live, ready = client.get("/health"), client.get("/ready")
    finally:
        application.engine.dispose()
    assert live.status_code == 200
    assert ready.status_code == 503
    body = ready.json()
    assert (body["status"], body["database"]) == ("unavailable", "unavailable")
    assert body["detail"]


def test_ready_answers_503_when_the_schema_is_behind(tmp_path: Path) -> None:
    """A database one migration behind the package is not ready (schema_not_at_head)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    bootstrap.upgrade_database(url, "0001")
    application = bootstrap.build(Settings(database_url=url))
    try:
        with TestClient(create_app(application)) as client:
            response = client.get("/ready")
    finally:
        application.engine.dispose()
    assert response.status_code == 503
    assert response.json()["detail"] == "schema_not_at_head"
    assert response.json()["schema_revision"] == "0001"


def served_operations(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) of every APIRoute, through included routers of any FastAPI version."""
    found = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(method, prefix + route.path) for method in route.methods}
        inner = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps routers nested
        if inner is not None:
            context = getattr(route, "include_context", None)
            found |= served_operations(inner.routes, prefix + getattr(context, "prefix", ""))
    return found


def test_the_openapi_document_lists_every_api_v1_route(client: TestClient) -> None:
    """Every versioned route the application serves appears in /openapi.json, and no other."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "firstarticle"
    assert spec["info"]["version"] == firstarticle.__version__

    app = client.app
    assert isinstance(app, FastAPI)
    served = {op for op in served_operations(app.routes) if op[1].startswith(API + "/")}
    documented = operations(spec)
    assert served >= EXPECTED_OPERATIONS
    assert {op for op in documented if op[1].startswith(API + "/")} == served
    assert {path for _, path in documented if not path.startswith(API + "/")} == {
        "/health",
        "/ready",
        "/metrics",
    }


def test_every_documented_operation_is_routed(client: TestClient) -> None:
    """Calling each documented operation never meets a route-level 404 or 405."""
    spec = client.get("/openapi.json").json()
    for method, path in sorted(operations(spec)):
        concrete = re.sub(r"\{[^}]+\}", "unknown", path)
        response = client.request(method, concrete, json={})
        assert response.status_code != 405, (method, path)
        if response.status_code == 404:
            assert "record" in response.json(), (method, path)  # a record, not the route


def test_every_operation_has_an_id_a_tag_and_a_success_response(client: TestClient) -> None:
    """Generated clients need operation ids, and readers need tags and documented answers."""
    spec = client.get("/openapi.json").json()
    ids = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            ids.append(operation["operationId"])
            if path.startswith(API):
                assert operation.get("tags"), (method, path)
            # A redirect (single sign-on) is that route's success.
            assert any(code[0] in "23" for code in operation["responses"]), (method, path)
    assert len(ids) == len(set(ids))


@pytest.fixture
def three_plants(ctx: ServiceContext) -> list[plant.Plant]:
    """Three sites, each with a customer, a part, a work order and a draft FAI."""
    plants = []
    for code, number in [("KC", "1A-100"), ("TLS", "2B-200"), ("WCH", "3C-300")]:
        p = plant.a_plant(ctx, code=code, part_number=number)
        plant.an_fai(ctx, p)
        plants.append(p)
    return plants


@pytest.mark.usefixtures("three_plants")
@pytest.mark.parametrize("route", LIST_ROUTES)
def test_a_list_pages_with_total_limit_and_offset(client: TestClient, route: str) -> None:
    """Pages of 2 over 3 records: totals stay, pages do not overlap and together cover all."""
    first = client.get(API + route, params={"limit": 2}).json()
    second = client.get(API + route, params={"limit": 2, "offset": 2}).json()
    beyond = client.get(API + route, params={"limit": 2, "offset": 10}).json()
    everything = client.get(API + route).json()

    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (3, 2, 0, 2)
    assert (second["total"], second["limit"], second["offset"], len(second["items"])) == (
        3,
        2,
        2,
        1,
    )
    assert (beyond["total"], beyond["items"]) == (3, [])
    assert (everything["total"], everything["limit"], everything["offset"]) == (3, 50, 0)
    paged = [item["id"] for item in first["items"] + second["items"]]
    assert paged == [item["id"] for item in everything["items"]]
    assert len(set(paged)) == 3


@pytest.mark.usefixtures("three_plants")
@pytest.mark.requirement("A6")
def test_the_page_size_is_capped_at_200(client: TestClient) -> None:
    """limit=200 is served; limit=201 is a 422 problem on every list."""
    for route in LIST_ROUTES:
        served = client.get(API + route, params={"limit": 200})
        assert served.status_code == 200, served.text
        assert served.json()["limit"] == 200
        refused = client.get(API + route, params={"limit": 201})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_sites_customers_and_parts_are_listed_in_code_order(
    client: TestClient, three_plants: list[plant.Plant]
) -> None:
    """Reference lists are ordered by their code or number, stable across pages."""
    sites = [s["code"] for s in client.get(f"{API}/sites").json()["items"]]
    customers = [c["code"] for c in client.get(f"{API}/customers").json()["items"]]
    parts = [p["number"] for p in client.get(f"{API}/parts").json()["items"]]
    assert sites == ["KC", "TLS", "WCH"]
    assert customers == ["CKC", "CTLS", "CWCH"]
    assert parts == ["1A-100", "2B-200", "3C-300"]


def test_lists_filter_by_site_and_status(
    client: TestClient, ctx: ServiceContext, three_plants: list[plant.Plant]
) -> None:
    """site_id and status filters narrow the list and its total alike."""
    wichita = three_plants[2]
    work_orders = client.get(f"{API}/work-orders", params={"site_id": wichita.site.id}).json()
    assert work_orders["total"] == 1
    assert work_orders["items"][0]["number"] == "WO-WCH-1"

    drafts = client.get(
        f"{API}/first-articles", params={"site_id": wichita.site.id, "status": "draft"}
    ).json()
    assert drafts["total"] == 1
    assert drafts["items"][0]["fair_identifier"] == "FAIR-WCH-2026-0001"
    approved = client.get(f"{API}/first-articles", params={"status": "approved"}).json()
    assert (approved["total"], approved["items"]) == (0, [])
    unknown = client.get(f"{API}/first-articles", params={"status": "done"})
    assert unknown.status_code == 422


def test_the_interactive_documentation_loads_nothing_from_another_host(
    client: TestClient,
) -> None:
    """/docs works on a plant network without internet: every script, style and icon it
    names is served by firstarticle itself."""
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    urls = re.findall(r"""url: ?['"]([^'"]+)['"]""", page.text)
    assert assets
    for link in assets + urls:
        assert link.startswith("/"), f"{link} is loaded from elsewhere"
        assert client.get(link).status_code == 200, link
    assert "https://" not in page.text
    assert "http://" not in page.text


def test_the_document_declares_how_to_authenticate(client: TestClient) -> None:
    """A person can authorize in /docs: bearer tokens and the session cookie are declared,
    and sign-in itself needs no credentials."""
    document = client.get("/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "session"}
    assert {"bearer": []} in document["security"]
    assert document["paths"]["/api/v1/session"]["post"]["security"] == []
    assert document["paths"]["/health"]["get"]["security"] == []


def test_every_error_answer_is_declared_as_problem_json(client: TestClient) -> None:
    """The 4xx and 5xx answers of every operation name the problem+json media type."""
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) and path != "/ready":
                    assert "application/problem+json" in answer.get("content", {}), (
                        f"{method.upper()} {path} {status}"
                    )


def test_the_document_states_the_username_rule_and_the_configured_lifetimes(
    client: TestClient, application: bootstrap.Application
) -> None:
    """A generated client knows which usernames a new user may take, how long a token may
    live and when a session ends, as this server is configured."""
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    username = schemas["UserIn"]["properties"]["username"]
    assert re.fullmatch(username["pattern"], "j.ortiz@plant-2")
    assert not re.fullmatch(username["pattern"], "j ortiz")
    assert username["maxLength"] == 100
    days = schemas["TokenIn"]["properties"]["days"]
    settings = application.settings
    (integer,) = [o for o in days["anyOf"] if o.get("type") == "integer"]
    assert (integer["minimum"], integer["maximum"]) == (1, settings.token_days_max)
    assert str(settings.token_days_default) in days["description"]
    session = document["components"]["securitySchemes"]["session"]["description"]
    assert f"{settings.session_idle_minutes} minutes" in session
    assert f"{settings.session_absolute_hours} hours" in session


def test_a_token_longer_than_the_configured_lifetime_is_refused_as_documented(
    client: TestClient, application: bootstrap.Application
) -> None:
    """The documented maximum is the enforced one: one day more is a 422 problem."""
    plant.person(application.context("test-admin"), "svc.erp")
    too_long = application.settings.token_days_max + 1
    answer = client.post("/api/v1/users/svc.erp/tokens", json={"name": "ERP", "days": too_long})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")

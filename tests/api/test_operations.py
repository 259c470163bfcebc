"""What plant IT watches: /metrics counts gate decisions and requests; logs carry request ids."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import plant
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from firstarticle import bootstrap
from firstarticle.api.app import create_app
from firstarticle.api.observability import metrics_allowed
from firstarticle.logs import JsonFormatter, TextFormatter
from firstarticle.services import ServiceContext, identity

TOKEN = "scrape-token-for-tests-0123456789"
GATE = {
    "site": "NOPE",
    "customer": "NOBODY",
    "part_number": "X-1",
    "part_revision": "A",
    "serial_numbers": ["SN1"],
    "kind": "shipment",
}


@pytest.fixture
def scraper(application: bootstrap.Application) -> Iterator[TestClient]:
    """A client of an app whose /metrics takes a token (the test client has no address)."""
    application.settings = application.settings.model_copy(update={"metrics_token": TOKEN})
    with TestClient(create_app(application), raise_server_exceptions=False) as test_client:
        yield test_client


def samples(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of the metric ``name``, keyed by its sorted labels."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_the_gate_counter_rises_by_the_calls_made(scraper: TestClient, client: TestClient) -> None:
    """Five denied gate calls add five to the deny counter under their reason code."""
    before = samples(scraper, "firstarticle_gate_decisions_total")
    for _ in range(5):
        answer = client.post("/api/v1/gate/checks", json=GATE)
        assert answer.status_code == 200
        assert answer.json()["decision"] == "deny"
    after = samples(scraper, "firstarticle_gate_decisions_total")
    codes = {r["code"] for r in answer.json()["reasons"]}
    for code in codes:
        key = (("decision", "deny"), ("reason", code))
        assert after[key] - before.get(key, 0.0) == 5


def test_requests_are_counted_by_route_template_and_status(
    scraper: TestClient, client: TestClient
) -> None:
    """The route label is the template, never the URL a caller typed."""
    key = (("method", "GET"), ("route", "/api/v1/first-articles/{fai_id}"), ("status", "404"))
    before = samples(scraper, "firstarticle_http_requests_total").get(key, 0.0)
    assert client.get("/api/v1/first-articles/SECRET-PART-7A5000").status_code == 404
    after = samples(scraper, "firstarticle_http_requests_total")
    assert after[key] - before == 1
    assert not any("SECRET" in value for labels in after for _, value in labels)


def test_the_audit_chain_length_is_exported(scraper: TestClient) -> None:
    """A gauge gives the ledger's length, read at the scrape."""
    (length,) = samples(scraper, "firstarticle_audit_chain_length").values()
    assert length >= 0


def test_metrics_refuse_a_caller_without_the_token_or_an_allowed_address(
    scraper: TestClient,
) -> None:
    """The test client has no address in the allowed ranges: no token, no metrics."""
    assert scraper.get("/metrics").status_code == 403
    assert scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.1", True), ("::1", True), ("10.1.2.3", False), ("testclient", False), (None, False)],
)
def test_metrics_are_open_to_the_configured_ranges(host: str | None, allowed: bool) -> None:
    """Loopback by default; anything else needs the token."""
    assert metrics_allowed(host, "", "127.0.0.0/8,::1/128", "") is allowed


def test_a_request_log_line_carries_its_request_id_and_no_url(
    authed_client: TestClient, ctx: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    """One line per request with id, user, route template, status and duration."""
    caller = plant.person(ctx, "log.reader")
    token = identity.create_token(ctx, "log.reader", name="logs").secret
    with caplog.at_level(logging.INFO, logger="firstarticle.http"):
        response = authed_client.get(
            "/api/v1/first-articles/SECRET-PART-7A5000",
            headers={"X-Request-ID": "req-4711", "Authorization": f"Bearer {token}"},
        )
    (record,) = [r for r in caplog.records if r.name == "firstarticle.http"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-4711" == response.headers["X-Request-ID"]
    assert line["route"] == "/api/v1/first-articles/{fai_id}"
    assert line["status"] == 404
    assert line["duration_ms"] >= 0
    assert line["user_id"] == caller.user_id
    assert "SECRET" not in json.dumps(line)
    assert "request_id=req-4711" in TextFormatter().format(record)


def test_a_server_line_carries_its_message_once_without_terminal_colours() -> None:
    """uvicorn's coloured copy of a message stays out of the JSON line."""
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, "", 0, "Started server process [%d]", (42,), None
    )
    record.color_message = "Started server process [\x1b[36m%d\x1b[0m]"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Started server process [42]"
    assert "color_message" not in line

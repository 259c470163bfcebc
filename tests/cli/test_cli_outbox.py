"""Notifications from the command line, on a SQLite file with the in-memory transport: an
administrator subscribes, the worker drains, a dead message is listed and sent again."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from firstarticle import cli
from firstarticle.config import get_settings


def _reset() -> None:
    get_settings.cache_clear()
    cli.common.reset()


@pytest.fixture
def run(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """The CLI on a fresh database; notifications kept in memory, one attempt each."""
    monkeypatch.setenv("FIRSTARTICLE_DATABASE_URL", f"sqlite:///{tmp_path / 'outbox.db'}")
    monkeypatch.setenv("FIRSTARTICLE_NOTIFY_TRANSPORT", "memory")
    monkeypatch.setenv("FIRSTARTICLE_OUTBOX_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("FIRSTARTICLE_ACTOR", "admin.cli")
    monkeypatch.setenv("COLUMNS", "200")
    _reset()

    def invoke(*args: str):
        result = CliRunner().invoke(cli.app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    invoke("db", "upgrade")
    invoke("site", "create", "WCH", "Wichita")
    invoke("part", "create", "7A1234-101", "Bracket")
    invoke("part", "add-revision", "7A1234-101", "C", "--drawing", "7A1234:C")
    yield invoke
    _reset()


def test_a_dead_message_is_listed_and_sent_again_from_the_command_line(run):
    """subscribe, hold, worker fails (dead), list --status dead, retry --all-dead, worker
    delivers the same event id."""
    assert "hold_placed at WCH -> email holds@plant.example" in run(
        "notifications", "subscribe", "WCH", "hold_placed", "--email", "holds@plant.example"
    )
    run("hold", "place", "WCH", "7A1234-101", "C", "Awaiting review")
    mailer = cli.common.application().delivery().mailer
    mailer.failing = True
    assert "0 delivered, 0 to retry, 1 dead" in run("outbox", "run", "--once")
    (dead,) = json.loads(run("outbox", "list", "--status", "dead", "--json"))["items"]
    assert dead["last_error"] == "smtp: ConnectionRefusedError"
    assert "1 dead message(s) queued again" in run("outbox", "retry", "--all-dead")
    mailer.failing = False
    assert "1 delivered" in run("outbox", "run", "--once", "--worker-id", "cli-worker")
    assert [e.event_id for e in mailer.sent] == [dead["event_id"]]
    assert json.loads(run("outbox", "list", "--json"))["items"][0]["status"] == "delivered"


def test_a_webhook_secret_is_shown_once_and_never_listed(run):
    """add prints whsec_...; list --json has no secret; disable is refused the second time."""
    added = run("webhooks", "add", "https://qms.customer.example/hooks")
    secret = added.split("secret (shown once, keep it with the receiver): ")[1].strip()
    assert secret.startswith("whsec_")
    listed = run("webhooks", "list", "--json")
    (endpoint,) = json.loads(listed)["items"]
    assert secret not in listed
    assert "secret" not in endpoint
    run("webhooks", "disable", endpoint["id"])
    again = CliRunner().invoke(cli.app, ["webhooks", "disable", endpoint["id"]])
    assert again.exit_code == 1
    assert "webhook_disabled" in again.output

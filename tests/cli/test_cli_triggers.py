"""The re-FAI trigger commands on the demo plant: record an event, list, decide."""

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
    """The CLI over a fresh demo database, as FIRSTARTICLE_ACTOR (default j.ortiz)."""
    monkeypatch.setenv("FIRSTARTICLE_DATABASE_URL", f"sqlite:///{tmp_path / 'triggers.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    _reset()
    assert CliRunner().invoke(cli.app, ["demo", "load"]).exit_code == 0

    def invoke(*args: str, actor: str = "j.ortiz"):
        monkeypatch.setenv("FIRSTARTICLE_ACTOR", actor)
        return CliRunner().invoke(cli.app, list(args))

    yield invoke
    _reset()


EVENT = (
    "trigger",
    "event",
    "TLS",
    "7A5100-1",
    "A",
    "natural",
    "Lightning strike on the furnace controller",
    "--occurred-at",
    "2026-11-19T22:10:00+01:00",
)


def test_an_event_is_listed_open_and_then_decided(run):
    """event -> list --status open shows it -> decide none -> list shows it decided."""
    recorded = run(*EVENT)
    assert recorded.exit_code == 0, recorded.output
    assert "evaluation open" in recorded.output
    listed = json.loads(run("trigger", "list", "--status", "open", "--json").output)
    [item] = [i for i in listed["items"] if i["what"].startswith("natural event: Lightning")]
    assert item["kind"] == "event"
    decided = run("trigger", "decide", item["id"], "none", "Controller replaced and verified.")
    assert decided.exit_code == 0, decided.output
    assert "evaluation decided: none; hold released" in decided.output
    again = run("trigger", "decide", item["id"], "full", "Second thoughts.")
    assert again.exit_code == 1
    assert "evaluation_decided" in again.output


def test_bad_input_exits_2_or_1_with_the_code(run):
    """A time without a zone is the service's refusal (1); a non-time is unusable input (2)."""
    naive = run(*EVENT[:-1], "2026-11-19T22:10:00")
    assert naive.exit_code == 1
    assert "validation_failed" in naive.output
    garbage = run(*EVENT[:-1], "yesterday")
    assert garbage.exit_code == 2
    unknown = run("trigger", "decide", "no-such-trigger", "none", "x")
    assert unknown.exit_code == 1
    assert "not_found" in unknown.output

"""`firstarticle tasks` as a person or a timer uses it, on the demo plant: inboxes, completion,
escalation and templates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firstarticle import cli
from firstarticle.config import get_settings


def _reset() -> None:
    get_settings.cache_clear()
    cli.common.reset()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo plant of this module's own, since its tests complete tasks."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-tasks') / 'tasks.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIRSTARTICLE_DATABASE_URL", url)
        _reset()
        result = CliRunner().invoke(cli.app, ["demo", "load"])
        assert result.exit_code == 0, result.output
    _reset()
    yield url
    _reset()


@pytest.fixture
def run(demo_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIRSTARTICLE_DATABASE_URL", demo_url)
    monkeypatch.setenv("COLUMNS", "200")
    _reset()

    def invoke(*args: str):
        return CliRunner().invoke(cli.app, list(args))

    yield invoke
    _reset()


def _quality_review(run) -> dict:
    result = run("--as", "m.keller", "tasks", "inbox", "--role", "quality", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)["items"]
    return next(i for i in items if i["name"] == "Quality review of the FAIR")


def test_the_quality_inbox_lists_aero_primes_required_review(run):
    """The demo's Aero Prime FAI waiting for review shows its required quality stage."""
    task = _quality_review(run)
    assert task["required"] is True
    assert [c["key"] for c in task["checklist"]] == ["traceability", "sources"]


def test_an_unknown_checklist_item_exits_1_and_completion_exits_0(run):
    """A wrong key is refused with its code; answering both items completes the task and
    the engineering stage appears in the engineering inbox."""
    task = _quality_review(run)
    wrong = run("--as", "m.keller", "tasks", "complete", task["id"], "--answer", "colour=yes")
    assert wrong.exit_code == 1
    assert "checklist_item_unknown" in wrong.output
    refused = run("--as", "t.brandt", "tasks", "complete", task["id"], "--answer", "sources=yes")
    assert refused.exit_code == 1
    assert "task_not_permitted" in refused.output
    done = run(
        "--as", "m.keller", "tasks", "complete", task["id"],
        "--answer", "traceability=yes", "--answer", "sources=na:no special process",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    shown = json.loads(run("tasks", "show", task["id"], "--json").output)
    assert shown["status"] == "done"
    engineering = json.loads(
        run("--as", "k.wright", "tasks", "inbox", "--role", "engineering", "--json").output
    )
    assert any(i["fair_identifier"] == task["fair_identifier"] for i in engineering["items"])


def test_escalation_is_idempotent_within_a_period(run):
    """Run twice at once: the second run escalates nothing new."""
    first = run("tasks", "escalate", "--json")
    assert first.exit_code == 0, first.output
    again = json.loads(run("tasks", "escalate", "--json").output)
    assert again["escalated"] == []


def test_a_template_is_shown_and_set_from_a_file(run, tmp_path: Path):
    """`template set --file` stores version 2; a bad file exits 1 with validation_failed."""
    shown = json.loads(run("tasks", "template", "show", "AEROPRIME", "--json").output)
    assert (shown["version"], shown["is_default"]) == (1, False)
    good = tmp_path / "review.json"
    good.write_text(json.dumps({"stages": [{"key": "look", "role": "quality"}]}))
    assert run("tasks", "template", "set", "AEROPRIME", "--file", str(good)).exit_code == 0
    shown = json.loads(run("tasks", "template", "show", "AEROPRIME", "--json").output)
    assert shown["version"] == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stages": [{"key": "look", "role": "quality", "forms": [7]}]}))
    result = run("tasks", "template", "set", "AEROPRIME", "--file", str(bad))
    assert result.exit_code == 1
    assert "validation_failed" in result.output
    helix = json.loads(run("tasks", "template", "show", "HELIX", "--json").output)
    assert helix["is_default"] is True

"""Customer channels and decisions from the command line, on the demo plant: the customer's
time is required with its offset, a transcription needs a second person, yield is counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from firstarticle import cli
from firstarticle.config import get_settings

SUBMITTED = "FAIR-TLS-2026-0003"  # Orbital Dynamics (customer QMS), submitted, attempt 1


def _reset() -> None:
    get_settings.cache_clear()
    cli.common.reset()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-decisions') / 'cli.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIRSTARTICLE_DATABASE_URL", url)
        _reset()
        result = CliRunner().invoke(cli.app, ["demo", "load"])
        assert result.exit_code == 0, result.output
    _reset()
    yield url
    _reset()


@pytest.fixture
def run(demo_db: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIRSTARTICLE_DATABASE_URL", demo_db)
    monkeypatch.setenv("COLUMNS", "200")
    _reset()

    def invoke(*args: str, actor: str = "j.ortiz"):
        monkeypatch.setenv("FIRSTARTICLE_ACTOR", actor)
        _reset()
        return CliRunner().invoke(cli.app, list(args))

    yield invoke
    _reset()


@pytest.fixture
def evidence(tmp_path) -> str:
    path = tmp_path / "od-qms-decision.eml"
    path.write_bytes(b"From: p.raman@orbital.example\r\nSubject: FAIR approved\r\n\r\nApproved.")
    return str(path)


def transcribe(run, evidence: str, *more: str):
    return run(
        "fai",
        "decision",
        "transcribe",
        SUBMITTED,
        "--outcome",
        "approved",
        "--person",
        "OD-SQE-311",
        "--reference",
        "OD-QMS-88123",
        "--evidence",
        evidence,
        *more,
    )


def test_the_channel_of_a_demo_customer_is_shown_with_its_people(run):
    """`customer channel show` names the authority, the version and who may decide."""
    result = run("customer", "channel", "show", "AEROPRIME")
    assert result.exit_code == 0, result.output
    assert "version 1, authority portal (Net-Inspect)" in result.output
    assert "AP-Q-1042" in result.output


def test_a_channel_change_is_the_next_version(run):
    """`customer channel set` writes version 2; a portal without a name is refused."""
    refused = run("customer", "channel", "set", "HELIX", "--authority", "portal")
    assert refused.exit_code == 1
    assert "validation_failed" in refused.output
    result = run(
        "customer",
        "channel",
        "set",
        "HELIX",
        "--authority",
        "email_package",
        "--person",
        "HX-QA-2;Mei Tanaka;m.tanaka@helix.example",
        "--person",
        "HX-QA-3;Ken Ito",
    )
    assert result.exit_code == 0, result.output
    assert "version 2, authority email_package" in result.output
    assert "HX-QA-3" in result.output


def test_the_customer_time_is_required_with_its_offset(run, evidence):
    """No --decided-at, or one without offset: a usage error, nothing recorded."""
    assert transcribe(run, evidence).exit_code == 2
    without_offset = transcribe(run, evidence, "--decided-at", "2026-11-20T07:30")
    assert without_offset.exit_code == 2
    assert "offset" in without_offset.output
    listed = run("fai", "decision", "list", SUBMITTED)
    assert "OD-QMS-88123" not in listed.output


def test_a_transcription_is_verified_by_a_second_person(run, evidence):
    """The author's own verification is refused (exit 1, its code); another person's
    approves the FAI."""
    result = transcribe(run, evidence, "--decided-at", "2026-11-18T07:30:00-06:00")
    assert result.exit_code == 0, result.output
    assert "waiting for a second person" in result.output
    decision_id = result.output.split("decision ")[1].split()[0]
    listed = run("fai", "decision", "list", SUBMITTED)
    assert "pending_verification" in listed.output
    assert "2026-11-18T07:30-06:00" in listed.output

    own = run("fai", "decision", "verify", SUBMITTED, decision_id)
    assert own.exit_code == 1
    assert "transcription_self_verification" in own.output

    verified = run("fai", "decision", "verify", SUBMITTED, decision_id, actor="m.keller")
    assert verified.exit_code == 0, verified.output
    assert f"{SUBMITTED} is now approved" in verified.output


def test_first_pass_yield_is_reported_with_its_counts(run):
    """`fai yield` prints the ratio and the counts behind it."""
    result = run("fai", "yield", "--customer", "NORTHWIND")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("NORTHWIND: first-pass yield")
    assert "first decisions" in result.output

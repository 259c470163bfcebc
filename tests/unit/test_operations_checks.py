"""The installation checks of ``firstarticle doctor``: which settings are dangerous."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firstarticle.domain.operations import (
    CheckStatus,
    DatabaseFacts,
    InstallationFacts,
    assess,
    healthy,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SOUND_POSTGRES = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "TimeZone": "UTC",
}


def facts(settings: dict[str, str], **changes: object) -> InstallationFacts:
    database = DatabaseFacts(
        dialect="postgresql",
        server_version="15.19",
        settings=settings,
        schema_revision="0004",
        head_revision="0004",
        server_time=NOW,
        audit_length=10,
    )
    fields: dict[str, object] = {
        "database": database,
        "process_time": NOW,
        "time_zone": "UTC",
        "audit_ok": True,
    }
    fields.update(changes)
    return InstallationFacts(**fields)  # type: ignore[arg-type]


def statuses(installation: InstallationFacts) -> dict[str, CheckStatus]:
    return {c.id: c.status for c in assess(installation)}


def test_a_sound_postgresql_installation_passes() -> None:
    """Durable settings, schema at head, clocks together, chain verified: healthy."""
    assert healthy(assess(facts(SOUND_POSTGRES)))


@pytest.mark.parametrize("setting", ["fsync", "synchronous_commit", "full_page_writes"])
def test_each_durability_setting_turned_off_fails(setting: str) -> None:
    """Any of the three off loses acknowledged commits in a crash: the installation fails."""
    checks = assess(facts({**SOUND_POSTGRES, setting: "off"}))
    assert {c.id: c.status for c in checks}[f"postgresql.{setting}"] is CheckStatus.FAIL
    assert not healthy(checks)


def test_synchronous_commit_local_or_remote_write_is_durable_here() -> None:
    """Only 'off' skips the local flush; the replication levels keep it."""
    assert healthy(assess(facts({**SOUND_POSTGRES, "synchronous_commit": "local"})))


def test_a_schema_behind_the_package_fails() -> None:
    database = facts(SOUND_POSTGRES).database
    behind = DatabaseFacts(**{**database.__dict__, "schema_revision": "0003"})
    assert statuses(facts(SOUND_POSTGRES, database=behind))["schema.revision"] is CheckStatus.FAIL


def test_a_clock_far_from_the_databases_fails() -> None:
    skewed = facts(SOUND_POSTGRES, process_time=NOW + timedelta(seconds=30))
    assert statuses(skewed)["clock.skew"] is CheckStatus.FAIL


def test_a_broken_audit_chain_fails_and_an_unverified_one_warns() -> None:
    broken = facts(SOUND_POSTGRES, audit_ok=False, audit_problem="entry 7: hash")
    assert statuses(broken)["audit.chain"] is CheckStatus.FAIL
    assert statuses(facts(SOUND_POSTGRES, audit_ok=None))["audit.chain"] is CheckStatus.WARN


def test_sqlite_without_full_synchronous_fails_and_sqlite_itself_only_warns() -> None:
    sqlite = DatabaseFacts(
        dialect="sqlite",
        server_version="3.40",
        settings={"journal_mode": "wal", "synchronous": "normal", "foreign_keys": "on"},
        schema_revision="0004",
        head_revision="0004",
    )
    found = statuses(facts({}, database=sqlite))
    assert found["sqlite.synchronous"] is CheckStatus.FAIL
    assert found["database.production"] is CheckStatus.WARN

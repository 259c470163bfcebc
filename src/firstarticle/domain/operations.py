"""What makes an installation sound: the checks ``firstarticle doctor`` reports.

Pure rules over facts read elsewhere (storage/diagnostics.py, settings, the audit verifier).
Each check has a stable id; ``fail`` means a dangerous setting that a validated installation
must not run with, ``warn`` something to look at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class CheckStatus(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One line of the report: a stable id, a status, and what was seen."""

    id: str
    status: CheckStatus
    detail: str


@dataclass(frozen=True)
class DatabaseFacts:
    """What the database says about itself."""

    dialect: str
    server_version: str
    settings: Mapping[str, str]
    schema_revision: str | None
    head_revision: str | None
    server_time: datetime | None = None
    audit_length: int = 0


@dataclass(frozen=True)
class InstallationFacts:
    """What the running process knows: the database's facts, clock, chain, integrations."""

    database: DatabaseFacts
    process_time: datetime
    time_zone: str
    audit_ok: bool | None  # None: not verified in this run
    audit_problem: str | None = None
    integrations: Mapping[str, bool] = field(default_factory=dict)


# A clock this far from the database's makes audit times disagree with the database's own.
CLOCK_SKEW_MAX = timedelta(seconds=2)

# Settings whose value "off" loses acknowledged commits after a crash (RELIABILITY.md C3).
_POSTGRES_DURABILITY = ("fsync", "synchronous_commit", "full_page_writes")


def _postgres(settings: Mapping[str, str]) -> list[Check]:
    checks = []
    for name in _POSTGRES_DURABILITY:
        value = settings.get(name, "?")
        bad = value.lower() == "off"
        checks.append(
            Check(
                f"postgresql.{name}",
                CheckStatus.FAIL if bad else CheckStatus.OK,
                f"{name} = {value}"
                + (": acknowledged commits can be lost in a crash" if bad else ""),
            )
        )
    zone = settings.get("TimeZone", "?")
    checks.append(
        Check(
            "postgresql.timezone",
            CheckStatus.OK if zone.upper() in {"UTC", "ETC/UTC"} else CheckStatus.WARN,
            f"server TimeZone = {zone} (firstarticle stores UTC; UTC avoids surprises in SQL)",
        )
    )
    return checks


def _sqlite(settings: Mapping[str, str]) -> list[Check]:
    journal = settings.get("journal_mode", "?")
    sync = settings.get("synchronous", "?")
    keys = settings.get("foreign_keys", "?")
    return [
        Check(
            "sqlite.journal_mode",
            CheckStatus.OK if journal == "wal" else CheckStatus.WARN,
            f"journal_mode = {journal}",
        ),
        Check(
            "sqlite.synchronous",
            CheckStatus.OK if sync in {"full", "extra"} else CheckStatus.FAIL,
            f"synchronous = {sync}"
            + ("" if sync in {"full", "extra"} else ": commits can be lost"),
        ),
        Check(
            "sqlite.foreign_keys",
            CheckStatus.OK if keys == "on" else CheckStatus.FAIL,
            f"foreign_keys = {keys}",
        ),
        Check(
            "database.production",
            CheckStatus.WARN,
            "SQLite is the embedded default; run production on PostgreSQL",
        ),
    ]


def assess(facts: InstallationFacts) -> list[Check]:
    """Every check, in the order a validation engineer reads them."""
    db = facts.database
    checks = [Check("database.server", CheckStatus.OK, f"{db.dialect} {db.server_version}")]
    checks += _postgres(db.settings) if db.dialect == "postgresql" else _sqlite(db.settings)
    at_head = db.schema_revision == db.head_revision
    checks.append(
        Check(
            "schema.revision",
            CheckStatus.OK if at_head else CheckStatus.FAIL,
            f"database at {db.schema_revision or 'no revision'}, package head {db.head_revision}"
            + ("" if at_head else ": run 'firstarticle db upgrade'"),
        )
    )
    if db.server_time is not None:
        skew = abs(db.server_time - facts.process_time)
        checks.append(
            Check(
                "clock.skew",
                CheckStatus.OK if skew <= CLOCK_SKEW_MAX else CheckStatus.FAIL,
                f"this host and the database differ by {skew.total_seconds():.3f} s "
                f"(at most {CLOCK_SKEW_MAX.total_seconds():.0f} s)",
            )
        )
    checks.append(
        Check("clock.time_zone", CheckStatus.OK, f"process time zone {facts.time_zone}; stored UTC")
    )
    if facts.audit_ok is None:
        checks.append(
            Check("audit.chain", CheckStatus.WARN, f"{db.audit_length} entries, not verified")
        )
    else:
        checks.append(
            Check(
                "audit.chain",
                CheckStatus.OK if facts.audit_ok else CheckStatus.FAIL,
                f"{db.audit_length} entries, "
                + ("verified" if facts.audit_ok else f"BROKEN: {facts.audit_problem}"),
            )
        )
    for name, configured in sorted(facts.integrations.items()):
        checks.append(
            Check(
                f"integration.{name}",
                CheckStatus.OK,
                "configured" if configured else "not configured",
            )
        )
    return checks


def healthy(checks: list[Check]) -> bool:
    """True when no check failed (warnings do not fail an installation)."""
    return all(c.status is not CheckStatus.FAIL for c in checks)

"""A deterministic plant data set at scale S or L (``../shared/PERFORMANCE.md``).

The same seed gives the same rows, ids included. PostgreSQL is loaded with COPY, SQLite with
batched inserts, in chunks of FAIs so that memory stays flat whatever the scale. Statuses are mixed
as in a real plant: most FAIs approved, some in review or rejected and reworked, a tenth partial
FAIs on a later revision of the part before them.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from rich.progress import Progress

from firstarticle.storage import orm

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK = 500  # FAIs written per round of COPY statements (a multiple of 10: partials pair up)


@dataclass(frozen=True)
class Scale:
    """How big a plant is."""

    name: str
    sites: int
    fais: int
    characteristics_per_fai: int
    nonconformances: int
    holds: int
    gate_decisions: int
    customers: int

    @property
    def characteristics(self) -> int:
        return self.fais * self.characteristics_per_fai


SCALES = {
    "S": Scale("S", 2, 1_000, 100, 2_000, 1_000, 2_000, 4),
    "L": Scale("L", 100, 100_000, 100, 200_000, 100_000, 200_000, 40),
}

# Lifecycle statuses with their share of a plant's FAIs (most are approved).
STATUS_MIX = (
    ("approved", 70),
    ("in_progress", 8),
    ("draft", 4),
    ("pending_internal_review", 4),
    ("internally_approved", 2),
    ("submitted", 4),
    ("conditionally_accepted", 2),
    ("rejected", 3),
    ("superseded", 2),
    ("cancelled", 1),
)
_STATUSES = [s for s, weight in STATUS_MIX for _ in range(weight)]
ZONES = ("America/Los_Angeles", "America/Chicago", "Europe/Berlin", "Asia/Tokyo", "UTC")
CHANNELS = ("portal", "qms", "source_inspection", "email_package")


class Kind:
    """Id spaces, one per table, so that ids are deterministic and never collide."""

    SITE, CUSTOMER, PART, REVISION, DRAWING, CHARACTERISTIC = 1, 2, 3, 4, 5, 6
    WORK_ORDER, SERIAL, FAI, UNIT, FORM3 = 7, 8, 9, 10, 11
    RESULT, NC, HOLD, DECISION = 12, 13, 14, 15


def ident(kind: int, n: int) -> str:
    """The id of row ``n`` of a table: a UUID-shaped string, the same for the same seed."""
    return str(uuid.UUID(int=(kind << 96) | n))


@dataclass
class Plan:
    """What the generator wrote, for the workloads that query it."""

    scale: Scale
    site_ids: list[str]
    rows: dict[str, int]


def _sites_and_customers(scale: Scale) -> dict[str, list[dict[str, Any]]]:
    sites = [
        {
            "id": ident(Kind.SITE, s),
            "code": f"S{s:03d}",
            "name": f"Plant {s:03d}",
            "timezone": ZONES[s % len(ZONES)],
            "nonconformance_authority": "qms",
        }
        for s in range(scale.sites)
    ]
    customers = [
        {
            "id": ident(Kind.CUSTOMER, c),
            "code": f"CUST{c:03d}",
            "name": f"Customer {c:03d}",
            "channel": CHANNELS[c % len(CHANNELS)],
            "requires_fai": True,
            "ships_on_conditional_acceptance": c % 3 == 0,
            "vendor_code": f"V{c:05d}",
            "form_revision": "B" if c % 7 == 6 else "C",
        }
        for c in range(scale.customers)
    ]
    return {"sites": sites, "customers": customers}


def _chunk(scale: Scale, seed: int, first: int, last: int) -> dict[str, list[dict[str, Any]]]:
    """The rows of FAIs ``first`` to ``last - 1``, with their parts, orders and results."""
    rng = random.Random(f"{seed}:{first}")
    out: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "parts",
            "part_revisions",
            "drawings",
            "characteristics",
            "work_orders",
            "serial_numbers",
            "first_articles",
            "scope_units",
            "form3_rows",
            "inspection_results",
            "nonconformance_links",
            "holds",
            "gate_decisions",
        )
    }
    per = scale.characteristics_per_fai
    nc_per_fai = scale.nonconformances / scale.fais
    holds_per_fai = scale.holds / scale.fais
    decisions_per_fai = scale.gate_decisions / scale.fais
    for j in range(first, last):
        site = ident(Kind.SITE, j % scale.sites)
        customer = ident(Kind.CUSTOMER, j % scale.customers)
        partial = j % 10 == 9  # a partial FAI on revision B of the part before it
        part_n = j - 1 if partial else j
        part = ident(Kind.PART, part_n)
        revision = ident(Kind.REVISION, j)
        created = EPOCH + timedelta(minutes=j * 7 + rng.randrange(60))
        status = _STATUSES[rng.randrange(len(_STATUSES))]
        if not partial:
            regime = "itar" if j % 20 == 3 else ("ear" if j % 20 == 7 else "not_controlled")
            out["parts"].append(
                {
                    "id": part,
                    "number": f"P{part_n:07d}",
                    "name": f"Bracket {part_n}",
                    "export_regime": regime,
                    "export_category": "XI(c)" if regime == "itar" else None,
                }
            )
        has_successor = j % 10 == 8
        out["part_revisions"].append(
            {
                "id": revision,
                "part_id": part,
                "revision": "B" if partial else "A",
                "status": "obsolete" if has_successor else "released",
                "released_at": created - timedelta(days=30),
            }
        )
        drawing = ident(Kind.DRAWING, j)
        out["drawings"].append(
            {
                "id": drawing,
                "part_revision_id": revision,
                "number": f"DWG-{part_n:07d}",
                "revision": "B" if partial else "A",
                "kind": "drawing",
            }
        )
        wo = ident(Kind.WORK_ORDER, j)
        out["work_orders"].append(
            {
                "site_id": site,
                "id": wo,
                "number": f"WO-{j:08d}",
                "part_revision_id": revision,
                "quantity": 1,
                "customer_id": customer,
                "router": f"R-{j:08d}",
                "purchase_order": f"PO-{j // 5:07d}",
                "status": "completed" if status == "approved" else "in_progress",
                "program": f"PRG-{j % 50:02d}",
            }
        )
        serial = ident(Kind.SERIAL, j)
        out["serial_numbers"].append(
            {"site_id": site, "id": serial, "work_order_id": wo, "number": f"SN-{j:08d}"}
        )
        fai = ident(Kind.FAI, j)
        out["first_articles"].append(
            {
                "site_id": site,
                "id": fai,
                "fair_identifier": f"FAIR-{j:08d}",
                "part_revision_id": revision,
                "work_order_id": wo,
                "customer_id": customer,
                "fai_type": "detail",
                "scope": "partial" if partial else "full",
                "reason": "Design change to revision B" if partial else "New part",
                "baseline_part_number": f"P{part_n:07d}" if partial else None,
                "baseline_part_revision": "A" if partial else None,
                "baseline_fair_identifier": f"FAIR-{j - 1:08d}" if partial else None,
                "supplier_code": "V-PLANT",
                "purchase_order": f"PO-{j // 5:07d}",
                "status": status,
                "submission_attempt": 2 if status == "rejected" else 1,
                "created_at": created,
                "updated_at": created + timedelta(days=rng.randrange(1, 40)),
                "version": 1,
            }
        )
        out["scope_units"].append(
            {
                "site_id": site,
                "id": ident(Kind.UNIT, j),
                "first_article_id": fai,
                "serial_id": serial,
                "serial_number": f"SN-{j:08d}",
            }
        )
        measured = created + timedelta(hours=4)
        for k in range(per):
            n = j * per + k
            char = ident(Kind.CHARACTERISTIC, n)
            nominal = Decimal(rng.randrange(1_000, 200_000)) / 100
            value = nominal + Decimal(rng.randrange(-40, 41)) / 1000
            out["characteristics"].append(
                {
                    "id": char,
                    "drawing_id": drawing,
                    "balloon": str(k + 1),
                    "ctype": "dimensional",
                    "requirement_text": f"{nominal} ±0.05",
                    "nominal": nominal,
                    "lower_limit": nominal - Decimal("0.05"),
                    "upper_limit": nominal + Decimal("0.05"),
                    "units": "mm",
                    "designator": "key" if k % 25 == 0 else None,
                }
            )
            out["form3_rows"].append(
                {
                    "site_id": site,
                    "id": ident(Kind.FORM3, n),
                    "first_article_id": fai,
                    "characteristic_id": char,
                }
            )
            out["inspection_results"].append(
                {
                    "site_id": site,
                    "id": ident(Kind.RESULT, n),
                    "first_article_id": fai,
                    "characteristic_id": char,
                    "serial_id": serial,
                    "value": value,
                    "units": "mm",
                    "source": "device_import",
                    "source_reference": f"cmm/{j}.qif",
                    "device": "CMM-01",
                    "measured_at": measured,
                    "recorded_by": "cmm-import",
                    "recorded_at": measured,
                }
            )
        for m in range(_count(rng, nc_per_fai)):
            n = j * 8 + m
            open_ = status not in {"approved", "superseded"} and m == 0
            out["nonconformance_links"].append(
                {
                    "site_id": site,
                    "id": ident(Kind.NC, n),
                    "first_article_id": fai,
                    "kind": "nonconformance",
                    "number": f"NC-{n:08d}",
                    "status": "open" if open_ else "closed",
                    "disposition": None if open_ else "rework",
                    "title": "Out of tolerance",
                    "characteristic_ids": [ident(Kind.CHARACTERISTIC, j * per + m)],
                    "origin": "qms",
                }
            )
        for m in range(_count(rng, holds_per_fai)):
            active = status != "approved" and m == 0
            out["holds"].append(
                {
                    "site_id": site,
                    "id": ident(Kind.HOLD, j * 8 + m),
                    "kind": "shipment",
                    "source": "fai_required",
                    "status": "active" if active else "released",
                    "part_revision_id": revision,
                    "customer_id": customer,
                    "work_order_id": wo,
                    "serial_numbers": [],
                    "lots": [],
                    "first_article_id": fai,
                    "reason": "FAI required before shipment",
                    "placed_by": "system",
                    "placed_at": created,
                    "released_by": None if active else "system",
                    "released_at": None if active else created + timedelta(days=20),
                    "release_reason": None if active else "FAI approved",
                }
            )
        for m in range(_count(rng, decisions_per_fai)):
            allow = status == "approved"
            out["gate_decisions"].append(
                {
                    "site_id": site,
                    "id": ident(Kind.DECISION, j * 8 + m),
                    "part_revision_id": revision,
                    "at": created + timedelta(days=21, minutes=m),
                    "kind": "shipment",
                    "decision": "allow" if allow else "deny",
                    "caller": "erp",
                    "request": {"serial_numbers": [f"SN-{j:08d}"], "kind": "shipment"},
                    "reasons": [] if allow else [{"code": "fai_not_approved"}],
                    "data_version": {"fai": 1},
                }
            )
    return out


def _count(rng: random.Random, mean: float) -> int:
    """A whole count with the given mean (at most 8, the width of each FAI's id block)."""
    whole = int(mean)
    return min(8, whole + (1 if rng.random() < mean - whole else 0))


# Tables in the order their foreign keys need.
ORDER = (
    "parts",
    "part_revisions",
    "drawings",
    "characteristics",
    "work_orders",
    "serial_numbers",
    "first_articles",
    "scope_units",
    "form3_rows",
    "inspection_results",
    "nonconformance_links",
    "holds",
    "gate_decisions",
)


def _write(conn: sa.Connection, name: str, rows: list[dict[str, Any]]) -> None:
    """Append ``rows`` to a table: COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    table = orm.metadata.tables[name]
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = [c.name for c in table.columns if c.name in rows[0]]
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[c]) if c in json_columns else row.get(c) for c in columns]
            )


def chunks(scale: Scale, seed: int) -> Iterator[tuple[int, dict[str, list[dict[str, Any]]]]]:
    """The data set as chunks of rows, FAIs in order."""
    for first in range(0, scale.fais, CHUNK):
        last = min(scale.fais, first + CHUNK)
        yield last - first, _chunk(scale, seed, first, last)


def load(engine: sa.Engine, scale: Scale, seed: int = 1, progress: bool = True) -> Plan:
    """Write the data set into an empty, migrated database; each chunk commits on its own."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for name, rows in _sites_and_customers(scale).items():
            conn.execute(orm.metadata.tables[name].insert(), rows)
            counts[name] = len(rows)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"data set {scale.name}", total=scale.fais)
        for done, rows_by_table in chunks(scale, seed):
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # A bulk load, not a request: the server's statement timeout does not apply.
                    conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
                for name in ORDER:
                    _write(conn, name, rows_by_table[name])
                    counts[name] = counts.get(name, 0) + len(rows_by_table[name])
            bar.advance(task, done)
    if engine.dialect.name == "postgresql":
        # Autovacuum would do this soon after a real load; the planner needs the statistics.
        # At scale L it outlasts the server's statement timeout, which is for requests.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("SET statement_timeout = 0"))
            conn.execute(sa.text("ANALYZE"))
    return Plan(scale, [ident(Kind.SITE, s) for s in range(scale.sites)], counts)


def loaded(engine: sa.Engine, scale: Scale) -> Plan | None:
    """The plan of a data set of ``scale`` this database already holds whole, else None (a
    second run at L need not spend its minutes loading again)."""
    try:
        with engine.connect() as conn:
            sites = conn.execute(sa.text("SELECT count(*) FROM sites")).scalar_one()
            fais = conn.execute(sa.text("SELECT count(*) FROM first_articles")).scalar_one()
            last = conn.execute(
                sa.text("SELECT count(*) FROM first_articles WHERE id = :id"),
                {"id": ident(Kind.FAI, scale.fais - 1)},
            ).scalar_one()
    except sa.exc.DBAPIError:
        return None
    if (sites, fais, last) != (scale.sites, scale.fais, 1):
        return None
    return Plan(scale, [ident(Kind.SITE, s) for s in range(scale.sites)], {"first_articles": fais})

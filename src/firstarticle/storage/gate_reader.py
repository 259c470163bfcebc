"""The gate's read path: plain SQL statements instead of loading aggregates.

The gate answers ERP on every shipment, so it reads exactly the facts it needs. On PostgreSQL
:meth:`SqlGateReader.facts` reads them all in one statement (one round trip): the
configuration's ids, the asked serials with their work orders, the covering FAIs with their
open NCs and the active holds with their overrides. Elsewhere (SQLite, in process, where a
statement costs no round trip) the same facts come from one statement each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain import model
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.holds import (
    BuildRecord,
    CoveringFai,
    DefinitionState,
    Hold,
    HoldKind,
    HoldOverride,
    HoldSource,
    OpenNonconformance,
)
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.storage import gate_statements as q
from firstarticle.storage import orm
from firstarticle.storage.repositories import SerialRecord
from firstarticle.storage.types import UtcDateTime


@dataclass(frozen=True)
class Configuration:
    """The ids behind the caller's site, customer, part number and revision (None: unknown),
    with what PLM says of the revision and its export labels, read in the same statement."""

    site_id: str | None
    customer_id: str | None
    requires_fai: bool
    ships_on_conditional_acceptance: bool
    part_revision_id: str | None
    revision_status: str | None = None
    superseded: bool = False
    labels: tuple[ExportClassification, ...] = ()

    @property
    def definition(self) -> DefinitionState:
        """What PLM says of the revision now (meaningful when the revision is known)."""
        return _definition(self.revision_status, self.superseded)


def _definition(status: str | None, superseded: bool) -> DefinitionState:
    revision_status = model.RevisionStatus(status)
    if revision_status is model.RevisionStatus.OBSOLETE:
        return DefinitionState.OBSOLETE
    if revision_status is not model.RevisionStatus.RELEASED:
        return DefinitionState.NOT_RELEASED
    return DefinitionState.SUPERSEDED if superseded else DefinitionState.CURRENT


class SqlGateReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def definition(self, part_revision_id: str) -> DefinitionState:
        """What PLM says of the revision now, in one statement: its status, and whether a
        revision of the same part was released after it."""
        r = orm.part_revisions
        row = self.session.execute(
            sa.select(r.c.status, q.superseded(r)).where(r.c.id == part_revision_id)
        ).one()
        return _definition(row.status, bool(row.superseded))

    def configuration(
        self, site_code: str, customer_code: str, part_number: str, revision: str
    ) -> Configuration:
        """Everything the gate reads of the configuration itself, in one statement: the
        site, the customer and its rules, the revision with its status, whether a later
        one was released, and the export labels of the part and the revision."""
        row = self.session.execute(
            q.configuration_statement(),
            _codes(site_code, customer_code, part_number, revision),
        ).one()
        return _configuration(row._mapping)

    def covering(
        self, site_id: str, part_revision_id: str, customer_id: str
    ) -> list[tuple[CoveringFai, int]]:
        """The FAIs that could cover the configuration, oldest first, with their versions."""
        rows = self.session.execute(
            q.covering_statement(),
            {"site_id": site_id, "part_revision_id": part_revision_id, "customer_id": customer_id},
        ).mappings()
        return _covering(rows)

    def facts(
        self,
        site_code: str,
        customer_code: str,
        part_number: str,
        revision: str,
        serial_numbers: Sequence[str],
    ) -> GateFacts:
        """The configuration, the asked serials (of any revision, with their work orders),
        the covering FAIs and the active holds: one statement on PostgreSQL."""
        codes = _codes(site_code, customer_code, part_number, revision)
        numbers = sorted(set(serial_numbers))
        if self.session.get_bind().dialect.name == "postgresql":
            row = self.session.execute(q.facts_statement(), {**codes, "numbers": numbers}).one()
            return GateFacts(
                _configuration(row._mapping),
                [_serial(s) for s in row.serials],
                _covering(row.covering),
                _holds(_timestamps(row.holds, _HOLD_TIMES)),
            )
        config = self.configuration(site_code, customer_code, part_number, revision)
        serials: list[SerialRecord] = []
        if config.site_id is not None and numbers:
            serials = [
                _serial(s)
                for s in self.session.execute(
                    q.serials_statement(), {"site_id": config.site_id, "numbers": numbers}
                ).mappings()
            ]
        if config.site_id is None or config.part_revision_id is None:
            return GateFacts(config, serials, [], [])
        covering: list[tuple[CoveringFai, int]] = []
        if config.customer_id is not None:
            covering = self.covering(config.site_id, config.part_revision_id, config.customer_id)
        holds = self.active_holds(config.site_id, config.part_revision_id)
        return GateFacts(config, serials, covering, holds)

    def built_on(
        self,
        site_id: str,
        part_revision_id: str,
        serial_numbers: Sequence[str],
        lot: str | None,
    ) -> list[BuildRecord]:
        """The work orders the asked serials, and the lot, were built on (one statement each)."""
        s, w = orm.serial_numbers, orm.work_orders
        records: list[BuildRecord] = []
        if serial_numbers:
            rows = self.session.execute(
                sa.select(s.c.number, w.c.id, w.c.number, w.c.router, w.c.purchase_order)
                .join(w, (w.c.site_id == s.c.site_id) & (w.c.id == s.c.work_order_id))
                .where(
                    s.c.site_id == site_id,
                    s.c.number.in_(set(serial_numbers)),
                    w.c.part_revision_id == part_revision_id,
                )
                .order_by(s.c.number)
            ).all()
            records += [BuildRecord(f"serial {r[0]}", *r[1:]) for r in rows]
        if lot is not None:
            by_serial = (
                sa.select(w.c.id)
                .join(s, (s.c.site_id == w.c.site_id) & (s.c.work_order_id == w.c.id))
                .where(s.c.site_id == site_id, s.c.lot == lot)
            )
            rows = self.session.execute(
                sa.select(w.c.id, w.c.number, w.c.router, w.c.purchase_order)
                .where(
                    w.c.site_id == site_id,
                    w.c.part_revision_id == part_revision_id,
                    sa.or_(w.c.lot == lot, w.c.id.in_(by_serial)),
                )
                .order_by(w.c.number)
            ).all()
            records += [BuildRecord(f"lot {lot}", *r) for r in rows]
        return records

    def revision_orders(self, customer_id: str, part_revision_id: str) -> frozenset[str]:
        """The purchase orders the customer recorded as calling for this revision, in force."""
        r = orm.revision_orders
        return frozenset(
            self.session.scalars(
                sa.select(r.c.purchase_order).where(
                    r.c.customer_id == customer_id,
                    r.c.part_revision_id == part_revision_id,
                    r.c.withdrawn_at.is_(None),
                )
            )
        )

    def nonconformance_coverage(
        self, site_id: str, nc_holders: Sequence[str], partials: Sequence[str]
    ) -> tuple[list[OpenNonconformance], dict[str, frozenset[str]]]:
        """The open NCs of ``nc_holders`` with their characteristics, and the Form 3
        characteristic ids of ``partials`` (two statements; asked only when a corrective-action
        partial could clear something)."""
        n, f3 = orm.nonconformance_links, orm.form3_rows
        ncs = [
            OpenNonconformance(fai_id, number, frozenset(ids or ()))
            for fai_id, number, ids in self.session.execute(
                sa.select(n.c.first_article_id, n.c.number, n.c.characteristic_ids).where(
                    n.c.site_id == site_id,
                    n.c.first_article_id.in_(nc_holders),
                    n.c.status == "open",
                )
            )
        ]
        form3: dict[str, set[str]] = {fai_id: set() for fai_id in partials}
        for fai_id, characteristic_id in self.session.execute(
            sa.select(f3.c.first_article_id, f3.c.characteristic_id).where(
                f3.c.site_id == site_id, f3.c.first_article_id.in_(partials)
            )
        ):
            form3[fai_id].add(characteristic_id)
        return ncs, {k: frozenset(v) for k, v in form3.items()}

    def active_holds(self, site_id: str, part_revision_id: str) -> list[Hold]:
        """The revision's active holds at the site with their overrides."""
        return _holds(
            self.session.execute(
                q.active_holds_statement(),
                {"site_id": site_id, "part_revision_id": part_revision_id},
            ).mappings()
        )


@dataclass(frozen=True)
class GateFacts:
    """What one gate question reads: see :meth:`SqlGateReader.facts`."""

    configuration: Configuration
    serials: list[SerialRecord]
    covering: list[tuple[CoveringFai, int]]
    holds: list[Hold]


def _codes(site_code: str, customer_code: str, part_number: str, revision: str) -> dict[str, str]:
    return {
        "site_code": site_code,
        "customer_code": customer_code,
        "part_number": part_number,
        "revision": revision,
    }


def _configuration(row: Mapping[str, Any]) -> Configuration:
    labels: tuple[ExportClassification, ...] = ()
    if row["revision_id"] is not None:
        labels = (ExportClassification(row["part_regime"], row["part_category"]),)
        if row["revision_regime"] is not None:
            labels += (ExportClassification(row["revision_regime"], row["revision_category"]),)
    return Configuration(
        row["site_id"],
        row["id"],
        bool(row["requires_fai"]),
        bool(row["ships_on_conditional_acceptance"]),
        row["revision_id"],
        row["revision_status"],
        bool(row["superseded"]),
        labels,
    )


def _serial(row: Mapping[str, Any]) -> SerialRecord:
    return SerialRecord(
        row["number"],
        row["lot"],
        row["work_order_id"],
        row["work_order_number"],
        row["part_revision_id"],
        row["router"],
        row["purchase_order"],
    )


def _covering(rows: Iterable[Mapping[str, Any]]) -> list[tuple[CoveringFai, int]]:
    """One covering FAI per id with its open NCs, in the rows' order."""
    by_id: dict[str, tuple[CoveringFai, int, list[str]]] = {}
    for row in rows:
        fai_id = row["id"]
        if fai_id not in by_id:
            partial = row["scope"] == model.FaiScope.PARTIAL
            base_status = row["baseline_status"]
            fai = CoveringFai(
                fai_id,
                row["fair_identifier"],
                FaiStatus(row["status"]),
                (),
                row["router"],
                bool(row["customer_approved"]),
                (row["baseline_fair_identifier"] or "(none named)") if partial else None,
                FaiStatus(base_status) if base_status is not None else None,
                str(row["refai_trigger"]) if row["refai_trigger"] is not None else None,
            )
            by_id[fai_id] = (fai, row["version"], [])
        if row["nc_number"] is not None:
            by_id[fai_id][2].append(row["nc_number"])
    return [
        (dataclasses.replace(fai, open_nonconformances=tuple(ncs)), version)
        for fai, version, ncs in by_id.values()
    ]


# The holds' timestamp columns, which JSON carries as ISO text.
_HOLD_TIMES = frozenset(
    c.name
    for c in q.holds_select(sa.null(), sa.null()).selected_columns
    if isinstance(c.type, UtcDateTime)
)


def _timestamps(rows: list[dict[str, Any]], names: frozenset[str]) -> list[dict[str, Any]]:
    """Rows read as JSON with their timestamps as aware UTC datetimes again."""
    for row in rows:
        for name in names:
            if row.get(name) is not None:
                row[name] = datetime.fromisoformat(row[name]).astimezone(UTC)
    return rows


def _holds(rows: Iterable[Mapping[str, Any]]) -> list[Hold]:
    """One hold per id with its overrides, in the rows' order."""
    holds: dict[str, Hold] = {}
    for row in rows:
        hold = holds.get(row["id"])
        if hold is None:
            hold = Hold(
                site_id=row["site_id"],
                kind=HoldKind(row["kind"]),
                source=HoldSource(row["source"]),
                part_revision_id=row["part_revision_id"],
                reason=row["reason"],
                placed_by=row["placed_by"],
                placed_at=row["placed_at"],
                customer_id=row["customer_id"],
                work_order_id=row["work_order_id"],
                serial_numbers=list(row["serial_numbers"]),
                lots=list(row["lots"]),
                first_article_id=row["first_article_id"],
                id=row["id"],
            )
            holds[hold.id] = hold
        if row["o_id"] is not None:
            hold.overrides.append(
                HoldOverride(
                    site_id=row["site_id"],
                    hold_id=hold.id,
                    reason=row["o_reason"],
                    expires_at=row["o_expires_at"],
                    requested_by=row["o_requested_by"],
                    requested_at=row["o_requested_at"],
                    serial_numbers=list(row["o_serial_numbers"]),
                    lots=list(row["o_lots"]),
                    second_signer=row["o_second_signer"],
                    second_signed_at=row["o_second_signed_at"],
                    revoked_by=row["o_revoked_by"],
                    revoked_at=row["o_revoked_at"],
                    id=row["o_id"],
                )
            )
    return list(holds.values())

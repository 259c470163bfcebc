"""Customer channel configurations and customer decisions in SQL (Core statements).

Configuration versions and evidence are appended, never updated; a decision record changes
only its verification status (pending -> in effect or refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain import channels as ch
from firstarticle.domain import decisions as dec
from firstarticle.domain.model import FormRevision, new_id
from firstarticle.storage import orm

_cfg = orm.customer_channels
_sub = orm.submission_channels
_ev = orm.customer_decision_evidence
_rec = orm.customer_decision_records
_set = orm.condition_settlements


class SqlChannelStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- configurations ---

    def add_configuration(self, config: ch.ChannelConfiguration) -> None:
        self.session.execute(
            sa.insert(_cfg).values(
                id=config.id,
                customer_id=config.customer_id,
                program=config.program,
                version=config.version,
                authority=config.authority,
                portal_name=config.portal_name,
                buy_off=config.buy_off,
                form_revision=config.form_revision,
                ships_while_conditional=config.ships_while_conditional,
                conditions_meaning=config.conditions_meaning,
                entry_paths=sorted(p.value for p in config.entry_paths),
                people=[p.as_dict() for p in config.people],
                set_by=config.set_by,
                set_at=config.set_at,
                reason=config.reason,
            )
        )

    def configurations(self, customer_id: str, program: str = "") -> list[ch.ChannelConfiguration]:
        """Every version for the customer and program, oldest first."""
        stmt = (
            sa.select(_cfg)
            .where(_cfg.c.customer_id == customer_id, _cfg.c.program == program)
            .order_by(_cfg.c.version)
        )
        return [_configuration(r._mapping) for r in self.session.execute(stmt)]

    def current(self, customer_id: str, program: str = "") -> ch.ChannelConfiguration | None:
        stmt = (
            sa.select(_cfg)
            .where(_cfg.c.customer_id == customer_id, _cfg.c.program == program)
            .order_by(_cfg.c.version.desc())
            .limit(1)
        )
        row = self.session.execute(stmt).one_or_none()
        return _configuration(row._mapping) if row else None

    def add_submission(
        self, site_id: str, first_article_id: str, attempt: int, config: ch.ChannelConfiguration
    ) -> None:
        self.session.execute(
            sa.insert(_sub).values(
                site_id=site_id,
                id=new_id(),
                first_article_id=first_article_id,
                attempt=attempt,
                channel_id=config.id,
                channel_version=config.version,
            )
        )

    def submitted_under(self, site_id: str, first_article_id: str) -> dict[int, int]:
        """attempt -> configuration version the FAI was submitted under."""
        stmt = sa.select(_sub.c.attempt, _sub.c.channel_version).where(
            _sub.c.site_id == site_id, _sub.c.first_article_id == first_article_id
        )
        return {r.attempt: r.channel_version for r in self.session.execute(stmt)}

    # --- evidence and decisions ---

    def add_evidence(self, evidence: dec.DecisionEvidence) -> None:
        self.session.execute(sa.insert(_ev).values(**evidence.__dict__))

    def evidence(self, site_id: str, evidence_id: str) -> dec.DecisionEvidence | None:
        stmt = sa.select(_ev).where(_ev.c.site_id == site_id, _ev.c.id == evidence_id)
        row = self.session.execute(stmt).one_or_none()
        if row is None:
            return None
        values = dict(row._mapping)
        values["content"] = bytes(values["content"])
        return dec.DecisionEvidence(**values)

    def add_decision(self, d: dec.CustomerDecisionRecord) -> None:
        self.session.execute(sa.insert(_rec).values(**_decision_values(d)))

    def save_status(self, d: dec.CustomerDecisionRecord) -> None:
        self.session.execute(
            sa.update(_rec)
            .where(_rec.c.site_id == d.site_id, _rec.c.id == d.id)
            .values(
                status=d.status,
                verified_by=d.verified_by,
                verified_at=d.verified_at,
                refused_reason=d.refused_reason,
            )
        )

    def decisions(
        self, site_id: str, first_article_id: str, for_update: bool = False
    ) -> list[dec.CustomerDecisionRecord]:
        """The FAI's decisions in the order they were recorded."""
        stmt = (
            sa.select(_rec)
            .where(_rec.c.site_id == site_id, _rec.c.first_article_id == first_article_id)
            .order_by(_rec.c.recorded_at, _rec.c.id)
        )
        if for_update:
            stmt = stmt.with_for_update()
        return [_decision(r._mapping) for r in self.session.execute(stmt)]

    def add_settlement(self, s: dec.ConditionSettlement) -> None:
        self.session.execute(sa.insert(_set).values(**s.__dict__))

    def settlements(self, site_id: str, first_article_id: str) -> list[dec.ConditionSettlement]:
        stmt = (
            sa.select(_set)
            .where(_set.c.site_id == site_id, _set.c.first_article_id == first_article_id)
            .order_by(_set.c.settled_at, _set.c.id)
        )
        return [dec.ConditionSettlement(**r._mapping) for r in self.session.execute(stmt)]

    # --- first-pass yield ---

    def yield_records(
        self, customer_id: str, site_ids: Iterable[str] | None, program: str | None
    ) -> tuple[list[str], list[dec.CustomerDecisionRecord], list[dec.ConditionSettlement]]:
        """The ids of the customer's FAIs submitted at least once (within the sites and the
        program, when given), with their decisions and condition settlements."""
        fai, wo = orm.first_articles, orm.work_orders
        chosen = (
            sa.select(fai.c.site_id, fai.c.id)
            .join(wo, sa.and_(wo.c.site_id == fai.c.site_id, wo.c.id == fai.c.work_order_id))
            .where(fai.c.customer_id == customer_id, fai.c.submission_attempt >= 1)
        )
        if site_ids is not None:
            chosen = chosen.where(fai.c.site_id.in_(list(site_ids)))
        if program is not None:
            chosen = chosen.where(wo.c.program == program)
        keys = [(r.site_id, r.id) for r in self.session.execute(chosen)]
        if not keys:
            return [], [], []
        ids = [k[1] for k in keys]
        records = [
            _decision(r._mapping)
            for r in self.session.execute(sa.select(_rec).where(_rec.c.first_article_id.in_(ids)))
        ]
        settled = [
            dec.ConditionSettlement(**r._mapping)
            for r in self.session.execute(sa.select(_set).where(_set.c.first_article_id.in_(ids)))
        ]
        return ids, records, settled


def _configuration(row: Mapping[str, Any]) -> ch.ChannelConfiguration:
    return ch.ChannelConfiguration(
        customer_id=row["customer_id"],
        version=row["version"],
        authority=ch.Authority(row["authority"]),
        buy_off=ch.BuyOffMode(row["buy_off"]),
        form_revision=FormRevision(row["form_revision"]),
        ships_while_conditional=bool(row["ships_while_conditional"]),
        people=tuple(ch.CustomerPerson(**p) for p in row["people"]),
        entry_paths=frozenset(ch.EntryPath(p) for p in row["entry_paths"]),
        program=row["program"],
        portal_name=row["portal_name"],
        conditions_meaning=row["conditions_meaning"],
        set_by=row["set_by"],
        set_at=row["set_at"],
        reason=row["reason"],
        id=row["id"],
    )


def _decision_values(d: dec.CustomerDecisionRecord) -> dict[str, Any]:
    offset = d.decided_at.utcoffset() or timedelta(0)
    return {
        "site_id": d.site_id,
        "id": d.id,
        "first_article_id": d.first_article_id,
        "attempt": d.attempt,
        "outcome": d.outcome,
        "path": d.path,
        "status": d.status,
        "authority": d.authority,
        "channel_version": d.channel_version,
        "customer_person_id": d.customer_person_id,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at.astimezone(UTC),
        "decided_at_offset_minutes": int(offset.total_seconds() // 60),
        "recorded_by": d.recorded_by,
        "recorded_at": d.recorded_at,
        "reference": d.reference,
        "requested_action": d.requested_action,
        "comments": [c.__dict__ for c in d.comments],
        "conditions": [c.text for c in d.conditions],
        "containment_serial_numbers": list(d.containment_serial_numbers),
        "containment_lots": list(d.containment_lots),
        "evidence_id": d.evidence_id,
        "verified_by": d.verified_by,
        "verified_at": d.verified_at,
        "refused_reason": d.refused_reason,
    }


def _decision(row: Mapping[str, Any]) -> dec.CustomerDecisionRecord:
    offset = timezone(timedelta(minutes=row["decided_at_offset_minutes"]))
    action = row["requested_action"]
    return dec.CustomerDecisionRecord(
        site_id=row["site_id"],
        first_article_id=row["first_article_id"],
        attempt=row["attempt"],
        outcome=dec.Outcome(row["outcome"]),
        path=ch.EntryPath(row["path"]),
        authority=ch.Authority(row["authority"]),
        channel_version=row["channel_version"],
        customer_person_id=row["customer_person_id"],
        decided_by=row["decided_by"],
        # The customer's own clock, as it was given: UTC in storage, the offset beside it.
        decided_at=row["decided_at"].astimezone(offset),
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
        reference=row["reference"],
        requested_action=dec.RequestedAction(action) if action else None,
        comments=tuple(dec.ItemComment(**c) for c in row["comments"]),
        conditions=tuple(dec.Condition(i, t) for i, t in enumerate(row["conditions"], start=1)),
        containment_serial_numbers=tuple(row["containment_serial_numbers"]),
        containment_lots=tuple(row["containment_lots"]),
        evidence_id=row["evidence_id"],
        status=dec.DecisionStatus(row["status"]),
        verified_by=row["verified_by"],
        verified_at=row["verified_at"],
        refused_reason=row["refused_reason"],
        id=row["id"],
    )

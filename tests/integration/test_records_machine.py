"""A Hypothesis state machine over the FAI lifecycle, results, signatures and hold overrides,
run by several people in any order, some of it against the rules on purpose.

After every step: the FAIs rebuilt from their audit trail equal the database (R2), and no
rule of separation of duties is broken in what the database holds (R11): field 20 and field
22 signed by different people, a manual result never verified by who measured or entered it,
an override never counted on one person's signatures.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from plant import a_plant, an_fai, as_, person, sign

from firstarticle.domain import model
from firstarticle.domain.errors import DomainError
from firstarticle.domain.holds import HoldKind
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.domain.values import AttributeResult
from firstarticle.services import ServiceContext, first_articles, holds
from firstarticle.services.first_articles import ResultInput
from firstarticle.storage import orm

PEOPLE = ("inspector.a", "inspector.b", "q.verifier", "q.manager")
# The FAI columns an audit entry may change; each must end as the trail says.
AUDITED_COLUMNS = ("status", "purchase_order", "supplier_code", "comments", "reason")
# RELIABILITY.md's 100 examples of 50 steps; FIRSTARTICLE_MACHINE_EXAMPLES to explore more.
EXAMPLES = int(os.environ.get("FIRSTARTICLE_MACHINE_EXAMPLES", "100"))
STEPS = 50

people = st.sampled_from(PEOPLE)


def _decoded(changes: Any) -> dict[str, Any]:
    """An audit entry's changes as stored (JSON text or already decoded)."""
    return dict(json.loads(changes) if isinstance(changes, str) else changes or {})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def machine_for(ctx: ServiceContext, connection: sa.Connection, tally: dict[str, int]) -> type:
    plants = count()

    class Records(RuleBasedStateMachine):
        fais = Bundle("fais")
        hold_ids = Bundle("holds")

        def __init__(self) -> None:
            super().__init__()
            n = next(plants)
            self.plant = a_plant(ctx, code=f"M{n:03d}", part_number=f"9M{n:05d}-1")
            self.mine: list[str] = []
            self.holds: list[str] = []

        def attempt(self, action: Any) -> None:
            """Run one step; a refusal by the rules is a valid outcome, never a crash."""
            tally["steps"] += 1
            try:
                action()
            except DomainError:
                tally["refused"] += 1

        @rule(target=fais)
        def open_fai(self) -> str:
            fai_id = an_fai(ctx, self.plant).fai.id
            self.mine.append(fai_id)
            return fai_id

        @rule(fai_id=fais, action=st.sampled_from(list(FaiAction)), who=people)
        def move(self, fai_id: str, action: FaiAction, who: str) -> None:
            self.attempt(lambda: first_articles.transition(as_(ctx, who), fai_id, action))

        @rule(fai_id=fais, order=st.text("PO-0123456789", min_size=1, max_size=8))
        def update_purchase_order(self, fai_id: str, order: str) -> None:
            self.attempt(
                lambda: first_articles.update_first_article(ctx, fai_id, {"purchase_order": order})
            )

        @rule(fai_id=fais, who=people, accept=st.booleans())
        def enter_result(self, fai_id: str, who: str, accept: bool) -> None:
            verdict = AttributeResult.ACCEPT if accept else AttributeResult.REJECT
            entry = ResultInput(
                "2",
                ctx.clock.now(),
                model.ResultSource.MANUAL_ENTRY,
                attribute=verdict,
                operator=who,
            )
            self.attempt(lambda: first_articles.record_results(as_(ctx, who), fai_id, [entry]))

        @rule(fai_id=fais, who=people)
        def measure(self, fai_id: str, who: str) -> None:
            entry = ResultInput(
                "1",
                ctx.clock.now(),
                model.ResultSource.DEVICE_IMPORT,
                value=Decimal("25.01"),
                units="mm",
                device="CMM-1",
            )
            self.attempt(lambda: first_articles.record_results(as_(ctx, who), fai_id, [entry]))

        @rule(fai_id=fais, who=people)
        def verify(self, fai_id: str, who: str) -> None:
            detail = first_articles.get_first_article(ctx, fai_id)
            waiting = [
                r.result_id
                for line in detail.form3
                for r in line.results
                if r.source is model.ResultSource.MANUAL_ENTRY and r.verified_by is None
            ]
            if waiting:
                first = waiting[0]
                self.attempt(lambda: first_articles.verify_result(as_(ctx, who), fai_id, first))

        @rule(
            fai_id=fais,
            meaning=st.sampled_from(
                [SignatureMeaning.VERIFIED, SignatureMeaning.REVIEWED_APPROVED]
            ),
            who=people,
        )
        def sign_field(self, fai_id: str, meaning: SignatureMeaning, who: str) -> None:
            self.attempt(lambda: sign(ctx, fai_id, meaning, who))

        @rule(target=hold_ids)
        def place_hold(self) -> str:
            hold = holds.place_hold(
                ctx,
                site_id=self.plant.site.id,
                kind=HoldKind.SHIPMENT,
                part_revision_id=self.plant.revision.id,
                reason="Machine hold",
            )
            self.holds.append(hold.id)
            return hold.id

        @rule(hold_id=hold_ids, who=people)
        def request_override(self, hold_id: str, who: str) -> None:
            expires = ctx.clock.now() + timedelta(days=3)
            self.attempt(
                lambda: holds.request_override(
                    ctx.as_principal(person(ctx, who)), hold_id, reason="Ship", expires_at=expires
                )
            )

        @rule(hold_id=hold_ids, who=people)
        def second_signature(self, hold_id: str, who: str) -> None:
            hold = holds.get_hold(ctx, hold_id)
            open_ones = [o.id for o in hold.overrides if o.second_signer is None]
            if open_ones:
                signer = ctx.as_principal(person(ctx, who))
                self.attempt(lambda: holds.sign_override(signer, hold_id, open_ones[0]))

        @invariant()
        def fais_rebuilt_from_the_trail_equal_the_database(self) -> None:
            f = orm.first_articles
            for fai_id in self.mine:
                rebuilt: dict[str, Any] = {}
                a = orm.audit_entries
                trail = connection.execute(
                    sa.select(a.c.changes)
                    .where(a.c.record_type == "first_article", a.c.record_id == fai_id)
                    .order_by(a.c.position)
                ).scalars()
                for changes in trail:
                    for name, (_old, new) in _decoded(changes).items():
                        if name in AUDITED_COLUMNS:
                            rebuilt[name] = new
                row = connection.execute(
                    sa.select(*(f.c[c] for c in rebuilt)).where(f.c.id == fai_id)
                ).one()
                stored = {c: _text(v) for c, v in zip(rebuilt, row, strict=True)}
                expected = {c: _text(v) for c, v in rebuilt.items()}
                tally["r2_differences"] += stored != expected
                assert stored == expected

        @invariant()
        def no_separation_of_duties_is_broken(self) -> None:
            s, r, o = orm.signatures, orm.inspection_results, orm.hold_overrides
            for fai_id in self.mine:
                signed = connection.execute(
                    sa.select(s.c.meaning, s.c.signer_username).where(
                        s.c.record_id == fai_id, s.c.invalidated_at.is_(None)
                    )
                ).all()
                verifiers = {who for meaning, who in signed if meaning == "verified"}
                approvers = {who for meaning, who in signed if meaning == "reviewed_approved"}
                broken = verifiers & approvers
                results = connection.execute(
                    sa.select(r.c.operator, r.c.recorded_by, r.c.verified_by).where(
                        r.c.first_article_id == fai_id, r.c.verified_by.is_not(None)
                    )
                ).all()
                self_verified = [x for x in results if x.verified_by in (x.operator, x.recorded_by)]
                tally["r11_violations"] += len(broken) + len(self_verified)
                assert not broken, f"field 20 and 22 both signed by {broken}"
                assert not self_verified
            for hold_id in self.holds:
                one_person = connection.execute(
                    sa.select(sa.func.count()).where(
                        o.c.hold_id == hold_id, o.c.second_signer == o.c.requested_by
                    )
                ).scalar_one()
                tally["r11_violations"] += one_person
                assert one_person == 0

    return Records


@pytest.mark.requirement("R2", "R11")
def test_records_rebuilt_from_the_trail_match_and_duties_stay_separated(
    ctx: ServiceContext, connection: sa.Connection, figure: Any
) -> None:
    for who in PEOPLE:
        person(ctx, who)
    tally = {"steps": 0, "refused": 0, "r2_differences": 0, "r11_violations": 0}
    run_state_machine_as_test(
        machine_for(ctx, connection, tally),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    print(
        f"R2/R11: {tally['steps']} steps ({tally['refused']} refused by the rules), "
        f"records differing from their trail {tally['r2_differences']}, "
        f"separation-of-duties violations {tally['r11_violations']}"
    )
    figure("R2", "records rebuilt from the audit trail that differ", tally["r2_differences"], "0")
    figure("R11", "separation-of-duties violations", tally["r11_violations"], "0")
    assert tally["steps"] > EXAMPLES

"""A property over generated plants (Hypothesis state machine, real database): across random
sequences of customer decisions, revision releases, work orders, holds, overrides and NCs,
the gate never allows a serial whose configuration no approved, current FAI covers, unless an
active two-person override waives the missing approval; and never through a hold that no
override covers.

The machine keeps its own account of the plant (the oracle) from what it did, never from
what firstarticle says, and checks every gate answer against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from plant import a_plant, an_fai, approve, as_, complete_results, decide, sign

from firstarticle import bootstrap
from firstarticle.domain import model
from firstarticle.domain.holds import Decision, GateKind, HoldKind, HoldSource, HoldStatus
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import catalog, first_articles, gate, holds, mirror, orders

KINDS = [GateKind.SHIPMENT, GateKind.PRODUCTION]


@dataclass
class HoldAccount:
    """What the machine knows of one hold it placed or saw placed."""

    id: str
    kind: HoldKind
    source: HoldSource
    serials: frozenset[str]  # empty: the whole configuration
    overridden: set[str] = field(default_factory=set)  # "*": every serial it holds

    def stops(self, serial: str, question: GateKind) -> bool:
        if self.kind is not HoldKind.CONTAINMENT and self.kind.value != question.value:
            return False
        return not self.serials or serial in self.serials

    def lets_through(self, serial: str) -> bool:
        return "*" in self.overridden or serial in self.overridden


class GatePlant(RuleBasedStateMachine):
    """One plant per example, in a transaction rolled back at teardown."""

    engine = None  # set by the test
    settings_factory = None

    def __init__(self) -> None:
        super().__init__()
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        self.application = bootstrap.build(
            self.settings_factory(), bind=self.connection, clock=self.clock
        )
        self.ctx = self.application.context("q.engineer")
        self.serial_router: dict[str, str] = {}
        self.approved: dict[str, bool] = {}  # FAI id -> has an open NC
        self.holds: dict[str, HoldAccount] = {}
        self.revision_current = True
        self.fai_id = ""
        self.ncs = 0
        self.asked = self.allowed = 0

    clock = None  # set by the test

    def teardown(self) -> None:
        self.outer.rollback()
        self.connection.close()

    # --- the plant ---------------------------------------------------------------------

    @initialize()
    def a_plant_with_an_fai_in_draft(self) -> None:
        self.plant = a_plant(self.ctx)
        self.serial_router["SN0001"] = "R-1"
        self.fai_id = an_fai(self.ctx, self.plant).fai.id
        self._see_holds()

    def _see_holds(self) -> None:
        """Account for holds the lifecycle placed or released by itself (FAI required)."""
        page = holds.list_holds(self.ctx, site_id=self.plant.site.id, limit=200)
        for hold in page.items:
            if hold.status is HoldStatus.RELEASED:
                self.holds.pop(hold.id, None)
            elif hold.id not in self.holds:
                self.holds[hold.id] = HoldAccount(
                    hold.id, hold.kind, hold.source, frozenset(hold.serial_numbers)
                )

    def _status(self) -> FaiStatus:
        return first_articles.get_first_article(self.ctx, self.fai_id).fai.status

    @rule()
    def the_customer_approves(self) -> None:
        self._decide(model.DecisionOutcome.APPROVED, contain=False)

    @rule(
        outcome=st.sampled_from(
            [model.DecisionOutcome.REJECTED, model.DecisionOutcome.CONDITIONALLY_ACCEPTED]
        ),
        contain=st.booleans(),
    )
    def the_customer_does_not_approve(self, outcome: model.DecisionOutcome, contain: bool) -> None:
        self._decide(outcome, contain)

    def _decide(self, outcome: model.DecisionOutcome, contain: bool) -> None:
        status = self._status()
        # Readiness stops an FAI of a revision PLM has replaced (REV_NOT_RELEASED).
        if not self.revision_current or status not in {
            FaiStatus.DRAFT,
            FaiStatus.IN_PROGRESS,
            FaiStatus.REJECTED,
        }:
            return
        containment = contain and outcome is model.DecisionOutcome.REJECTED
        extra = (
            {"containment": True, "containment_serial_numbers": ["SN0001"]} if containment else {}
        )
        if status is FaiStatus.DRAFT:
            approve(self.ctx, self.fai_id, outcome=outcome, **extra)
        else:
            if status is FaiStatus.REJECTED:
                first_articles.transition(self.ctx, self.fai_id, FaiAction.REWORK, reason="rework")
            complete_results(self.ctx, self.fai_id)
            sign(self.ctx, self.fai_id, SignatureMeaning.VERIFIED, "q.verifier")
            sign(self.ctx, self.fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
            first_articles.transition(as_(self.ctx, "q.manager"), self.fai_id, FaiAction.SUBMIT)
            decide(self.ctx, self.fai_id, outcome, **extra)
        if outcome is model.DecisionOutcome.APPROVED:
            self.approved[self.fai_id] = False
        self._see_holds()

    # Late in a plant's story: a release before any approval only makes everything a deny.
    @precondition(lambda self: self.revision_current and bool(self.approved))
    @rule()
    def plm_releases_a_new_revision(self) -> None:
        catalog.add_revision(
            self.ctx,
            self.plant.part.id,
            revision="D",
            drawings=[catalog.DrawingSpec(self.plant.part.number, "D")],
        )
        self.revision_current = False

    @precondition(lambda self: len(self.serial_router) < 6)
    @rule(router=st.sampled_from(["R-1", "R-2"]))
    def erp_starts_a_work_order(self, router: str) -> None:
        n = len(self.serial_router) + 1
        serial = f"SN{n:04d}"
        orders.create_work_order(
            self.ctx,
            site_id=self.plant.site.id,
            number=f"WO-{n}",
            part_revision_id=self.plant.revision.id,
            quantity=1,
            customer_id=self.plant.customer.id,
            router=router,
            serial_numbers=[serial],
        )
        self.serial_router[serial] = router
        self._see_holds()

    @rule(
        kind=st.sampled_from([HoldKind.SHIPMENT, HoldKind.PRODUCTION, HoldKind.CONTAINMENT]),
        which=st.integers(0, 6),
    )
    def quality_places_a_hold(self, kind: HoldKind, which: int) -> None:
        serials = sorted(self.serial_router)
        chosen = [serials[which % len(serials)]] if which < 6 else []
        holds.place_hold(
            self.ctx,
            site_id=self.plant.site.id,
            kind=kind,
            part_revision_id=self.plant.revision.id,
            reason="Suspect lot of bar stock",
            customer_id=self.plant.customer.id,
            serial_numbers=chosen,
        )
        self._see_holds()

    @precondition(lambda self: bool(self.holds))
    @rule(which=st.integers(0, 20), serial_scoped=st.booleans())
    def two_people_override_a_hold(self, which: int, serial_scoped: bool) -> None:
        account = sorted(self.holds.values(), key=lambda h: h.id)[which % len(self.holds)]
        serials = sorted(self.serial_router)
        scope = [serials[which % len(serials)]] if serial_scoped else []
        override = holds.request_override(
            self.ctx,
            account.id,
            reason="Ship under customer concession",
            expires_at=self.ctx.clock.now() + timedelta(days=5),
            serial_numbers=scope,
        )
        holds.sign_override(as_(self.ctx, "q.manager"), account.id, override.id)
        account.overridden |= set(scope) if scope else {"*"}

    @precondition(lambda self: bool(self.approved))
    @rule(closed=st.booleans())
    def the_qms_opens_or_closes_an_nc(self, closed: bool) -> None:
        self.ncs += 1
        fai = first_articles.get_first_article(self.ctx, self.fai_id).fai
        mirror.apply(
            self.ctx,
            "nonconformances",
            [
                mirror.NonconformanceRecord(
                    "QMS-NC-1",
                    self.ncs,
                    self.plant.site.code,
                    fai.fair_identifier,
                    "NC-1",
                    status=model.NonconformanceStatus.CLOSED
                    if closed
                    else model.NonconformanceStatus.OPEN,
                    disposition=model.Disposition.USE_AS_IS if closed else None,
                )
            ],
        )
        self.approved[self.fai_id] = not closed

    # --- the property ------------------------------------------------------------------

    @invariant()
    def every_allow_is_backed_by_the_account(self) -> None:
        """ERP asks about every serial, for shipment and production, after every step."""
        if not self.serial_router:
            return
        for serial in sorted(self.serial_router):
            for kind in KINDS:
                self._ask(serial, kind)

    def _ask(self, serial: str, kind: GateKind) -> None:
        answer = gate.check(
            self.ctx,
            gate.GateRequest(
                site=self.plant.site.code,
                customer=self.plant.customer.code,
                part_number=self.plant.part.number,
                part_revision="C",
                kind=kind,
                serial_numbers=(serial,),
            ),
        )
        self.asked += 1
        if answer.decision is Decision.DENY:
            return
        self.allowed += 1
        router = self.serial_router[serial]
        covered = any(not open_nc for open_nc in self.approved.values()) and router == "R-1"
        waived = any(
            h.source is HoldSource.FAI_REQUIRED and h.lets_through(serial)
            for h in self.holds.values()
        )
        blocking = [
            h for h in self.holds.values() if h.stops(serial, kind) and not h.lets_through(serial)
        ]
        assert self.revision_current, f"allowed {serial} of a superseded revision"
        assert covered or waived, f"allowed {serial} (router {router}) without a covering FAI"
        assert not blocking, f"allowed {serial} through holds {[h.id for h in blocking]}"


@pytest.mark.requirement("G1", "G2")
def test_the_gate_never_allows_what_no_approved_current_fai_covers(engine, clock, application):
    """Random plants: every allow the gate gives is backed by the machine's own account."""
    GatePlant.engine = engine
    GatePlant.clock = clock
    GatePlant.settings_factory = staticmethod(lambda: application.settings)
    machine = GatePlant.TestCase
    machine.settings = settings(
        max_examples=30,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    machine().runTest()

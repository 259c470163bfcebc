"""Holds and the shipment gate on a real database: placement, release, overrides, fail-closed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa
from plant import a_plant, an_fai, approve, as_
from sqlalchemy import event

from firstarticle import bootstrap
from firstarticle.config import Settings
from firstarticle.domain import model
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.holds import Decision, GateKind, HoldKind, HoldSource, HoldStatus
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.services import catalog, first_articles, gate, holds, orders
from firstarticle.storage import orm


def ask(ctx, plant, *serials, kind=GateKind.SHIPMENT, lot=None, work_order=None, **changes):
    request = gate.GateRequest(
        site=plant.site.code,
        customer=plant.customer.code,
        part_number=plant.part.number,
        part_revision="C",
        kind=kind,
        serial_numbers=serials or ("SN0001",),
        lot=lot,
        work_order=work_order,
    )
    return gate.check(ctx, dataclasses.replace(request, **changes))


def codes(answer) -> set[str]:
    return {r.code for r in answer.reasons}


def active_holds(ctx, plant):
    page = holds.list_holds(ctx, site_id=plant.site.id, status=HoldStatus.ACTIVE)
    return list(page.items)


# --- automatic holds ----------------------------------------------------------------------


def test_first_production_without_an_approved_fai_places_a_shipment_hold(ctx):
    """A work order for a revision no approved FAI covers puts the configuration on hold."""
    plant = a_plant(ctx)
    (hold,) = active_holds(ctx, plant)
    assert (hold.kind, hold.source) == (HoldKind.SHIPMENT, HoldSource.FAI_REQUIRED)
    assert hold.customer_id == plant.customer.id
    assert "no approved FAI" in hold.reason


def test_a_second_work_order_does_not_stack_a_second_hold(ctx):
    """One FAI-required hold per configuration, however many work orders start."""
    plant = a_plant(ctx)
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-2",
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=plant.customer.id,
    )
    assert len(active_holds(ctx, plant)) == 1


def test_a_customer_that_requires_no_fai_gets_no_automatic_hold(ctx):
    """Customers configured without FAI requirement are not held."""
    plant = a_plant(ctx)
    relaxed = catalog.create_customer(ctx, code="NOFAI", name="Catalogue buyer", requires_fai=False)
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-9",
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=relaxed.id,
        serial_numbers=["X1"],
    )
    assert all(h.customer_id != relaxed.id for h in active_holds(ctx, plant))


def test_production_after_an_approved_fai_places_no_hold(ctx):
    """Once an FAI covers the configuration, new work orders are not held."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-3",
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=plant.customer.id,
    )
    assert active_holds(ctx, plant) == []


@pytest.mark.requirement("R1")
def test_approval_releases_the_fai_required_hold_and_audits_it(ctx, connection):
    """The lifecycle, not a person, lifts the hold; the release is in the audit trail."""
    plant = a_plant(ctx)
    (hold,) = active_holds(ctx, plant)
    approve(ctx, an_fai(ctx, plant).fai.id)
    released = holds.get_hold(ctx, hold.id)
    assert released.status is HoldStatus.RELEASED
    assert "approved" in (released.release_reason or "")
    actions = (
        connection.execute(
            sa.select(orm.audit_entries.c.action)
            .where(orm.audit_entries.c.record_id == hold.id)
            .order_by(orm.audit_entries.c.position)
        )
        .scalars()
        .all()
    )
    assert actions == ["hold.placed", "hold.released"]


def test_conditional_acceptance_releases_only_where_the_customer_ships_on_it(ctx):
    """Conditional acceptance lifts the shipment hold only for customers configured so."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id, outcome=model.DecisionOutcome.CONDITIONALLY_ACCEPTED)
    assert len(active_holds(ctx, plant)) == 1

    other = a_plant(ctx, code="TLS", part_number="9B1-1")
    with ctx.uow_factory() as uow:
        uow.customers.get(other.customer.id).ships_on_conditional_acceptance = True
        uow.commit()
    approve(ctx, an_fai(ctx, other).fai.id, outcome=model.DecisionOutcome.CONDITIONALLY_ACCEPTED)
    assert active_holds(ctx, other) == []


def test_a_rejection_asking_for_containment_holds_the_listed_serials(ctx):
    """Containment asked by the customer becomes a containment hold on those serials."""
    plant = a_plant(ctx, serials=("SN0001", "SN0002"))
    approve(
        ctx,
        an_fai(ctx, plant).fai.id,
        outcome=model.DecisionOutcome.REJECTED,
        comments="Balloon 1 tolerance transcribed wrong",
        containment=True,
        containment_serial_numbers=["SN0002"],
    )
    containment = [h for h in active_holds(ctx, plant) if h.kind is HoldKind.CONTAINMENT]
    assert [h.serial_numbers for h in containment] == [["SN0002"]]
    assert codes(ask(ctx, plant, "SN0002")) >= {"hold_active"}


def test_containment_is_refused_on_an_approval(ctx):
    """Only a rejection asks for containment."""
    plant = a_plant(ctx)
    with pytest.raises(ValidationError):
        approve(ctx, an_fai(ctx, plant).fai.id, containment=True)


# --- the gate -----------------------------------------------------------------------------


@pytest.mark.requirement("G1", "G3")
def test_the_gate_allows_an_approved_configuration_and_records_the_decision(ctx):
    """Approved FAI, known serial, no hold: allow, and the decision is in the log."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    answer = ask(ctx, plant)
    assert answer.decision is Decision.ALLOW
    assert codes(answer) == {"fai_approved"}
    logged = gate.list_decisions(ctx, site_id=plant.site.id).items[0]
    assert (logged["id"], logged["decision"]) == (answer.decision_id, "allow")
    assert logged["request"]["serial_numbers"] == ["SN0001"]
    assert logged["data_version"]["first_articles"]


@pytest.mark.requirement("G1")
def test_a_gate_answer_reads_its_facts_in_one_statement_on_postgresql(ctx, connection, is_postgres):
    """On PostgreSQL the configuration, the serials, the covering FAIs with their NCs and the
    holds with their overrides are one round trip, and the record is one insert; SQLite (no
    round trips) reads them one statement each."""
    plant = a_plant(ctx, serials=("SN0001", "SN0002"))
    fai = an_fai(ctx, plant).fai.id
    approve(ctx, fai)
    holds.place_hold(
        ctx,
        site_id=plant.site.id,
        kind=HoldKind.SHIPMENT,
        part_revision_id=plant.revision.id,
        reason="Containment",
        serial_numbers=["SN0002"],
    )
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "WITH"}:
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        allowed, held = ask(ctx, plant, "SN0001"), ask(ctx, plant, "SN0002")
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert (allowed.decision, held.decision) == (Decision.ALLOW, Decision.DENY)
    assert "hold_active" in codes(held)
    assert len(statements) == (4 if is_postgres else 10)


@pytest.mark.requirement("G1")
def test_the_gate_denies_while_the_fai_is_not_approved(ctx):
    """Without approval the answer is deny, naming the FAI and the hold."""
    plant = a_plant(ctx)
    an_fai(ctx, plant)
    answer = ask(ctx, plant)
    assert answer.decision is Decision.DENY
    assert codes(answer) == {"fai_not_approved", "hold_active"}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"site": "NOPE"}, "unknown_site"),
        ({"customer": "NOPE"}, "unknown_customer"),
        ({"part_number": "NOPE"}, "unknown_part_revision"),
        ({"part_revision": "Z"}, "unknown_part_revision"),
        ({"serial_numbers": ("SN9999",)}, "unknown_serial"),
        ({"lot": "LOT-NONE"}, "unknown_lot"),
        ({"work_order": "WO-NONE"}, "unknown_work_order"),
        ({"serial_numbers": ()}, "nothing_identified"),
    ],
)
@pytest.mark.requirement("G1")
def test_the_gate_denies_whatever_it_cannot_identify(ctx, changes, code):
    """Unknown site, customer, part, revision, serial, lot or work order: deny with a code."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    answer = ask(ctx, plant, **changes)
    assert answer.decision is Decision.DENY
    assert code in codes(answer)


@pytest.mark.requirement("G1")
def test_a_serial_of_another_revision_is_unknown_to_the_gate(ctx):
    """A serial built for another revision does not pass as this one's."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    rev_d = catalog.add_revision(
        ctx, plant.part.id, revision="D", drawings=[catalog.DrawingSpec("7A1234", "D")]
    )
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-D",
        quantity=1,
        part_revision_id=rev_d.id,
        customer_id=plant.customer.id,
        serial_numbers=["SN-D1"],
    )
    assert "unknown_serial" in codes(ask(ctx, plant, "SN-D1"))


@pytest.mark.requirement("G1")
def test_an_open_nonconformance_on_the_approved_fai_denies(ctx):
    """An NC reopened after approval stops shipment."""
    plant = a_plant(ctx)
    fai_id = an_fai(ctx, plant).fai.id
    approve(ctx, fai_id)
    with ctx.uow_factory() as uow:
        fai = uow.first_articles.get(fai_id)
        fai.nonconformances.append(
            model.NonconformanceLink(
                fai.site_id, fai.id, model.NonconformanceKind.NONCONFORMANCE, "NC-77"
            )
        )
        uow.commit()
    answer = ask(ctx, plant)
    assert answer.decision is Decision.DENY
    assert "open_nonconformance" in codes(answer)


@pytest.mark.requirement("G1")
def test_a_superseded_fai_no_longer_covers_its_configuration(ctx):
    """After supersession only the newer FAI counts; if it is not approved, deny."""
    plant = a_plant(ctx)
    old = an_fai(ctx, plant).fai.id
    approve(ctx, old)
    newer = an_fai(ctx, plant).fai
    first_articles.transition(
        ctx, old, FaiAction.SUPERSEDE, reason="redone", superseded_by=newer.fair_identifier
    )
    assert ask(ctx, plant).decision is Decision.DENY


def a_partial_on(ctx, plant, baseline: str):
    """A partial FAI of the plant's configuration that builds on ``baseline``."""
    return first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.PARTIAL,
        reason="Change of NC program on operation 20",
        balloons=["1", "2"],
        baseline_part_number=plant.part.number,
        baseline_part_revision="C",
        baseline_fair_identifier=baseline,
    ).fai


@pytest.mark.requirement("G1")
def test_a_partial_fai_covers_with_its_baseline_and_never_alone(ctx):
    """Baseline and approved partial: allow. The baseline superseded by the partial: deny,
    naming both (the partial inspected only what changed). A full FAI approved: allow again."""
    plant = a_plant(ctx)
    baseline = an_fai(ctx, plant).fai
    approve(ctx, baseline.id)
    partial = a_partial_on(ctx, plant, baseline.fair_identifier)
    approve(ctx, partial.id)
    assert ask(ctx, plant).decision is Decision.ALLOW
    first_articles.transition(
        ctx,
        baseline.id,
        FaiAction.SUPERSEDE,
        reason="Folded into the delta",
        superseded_by=partial.fair_identifier,
    )
    alone = ask(ctx, plant)
    assert alone.decision is Decision.DENY
    assert codes(alone) == {"partial_without_baseline"}
    (reason,) = alone.reasons
    assert partial.fair_identifier in reason.message
    assert baseline.fair_identifier in reason.message
    full = an_fai(ctx, plant).fai
    approve(ctx, full.id)
    again = ask(ctx, plant)
    assert again.decision is Decision.ALLOW
    assert codes(again) == {"fai_approved"}


@pytest.mark.requirement("G1")
def test_a_partial_fai_whose_baseline_is_not_found_does_not_cover(ctx):
    """A partial naming a FAIR that does not exist at the site covers nothing."""
    plant = a_plant(ctx)
    partial = a_partial_on(ctx, plant, "FAIR-NOWHERE-0001")
    approve(ctx, partial.id)
    answer = ask(ctx, plant)
    assert answer.decision is Decision.DENY
    assert "partial_without_baseline" in codes(answer)


def test_a_manual_hold_stops_shipment_of_its_serials_only(ctx):
    """A hold narrowed to serials leaves the others free."""
    plant = a_plant(ctx, serials=("SN0001", "SN0002"))
    approve(ctx, an_fai(ctx, plant).fai.id)
    holds.place_hold(
        ctx,
        site_id=plant.site.id,
        kind=HoldKind.SHIPMENT,
        part_revision_id=plant.revision.id,
        reason="Suspect heat lot",
        serial_numbers=["SN0002"],
    )
    assert ask(ctx, plant, "SN0001").decision is Decision.ALLOW
    assert ask(ctx, plant, "SN0002").decision is Decision.DENY
    assert ask(ctx, plant, "SN0001", "SN0002").decision is Decision.DENY


def test_a_production_hold_stops_production_but_not_shipment(ctx):
    """Hold kinds stop their own question; containment stops both."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    holds.place_hold(
        ctx,
        site_id=plant.site.id,
        kind=HoldKind.PRODUCTION,
        part_revision_id=plant.revision.id,
        reason="Tooling change",
    )
    assert ask(ctx, plant, kind=GateKind.PRODUCTION).decision is Decision.DENY
    assert ask(ctx, plant, kind=GateKind.SHIPMENT).decision is Decision.ALLOW


@pytest.mark.requirement("G2")
def test_a_hold_takes_effect_on_the_very_next_question(ctx):
    """No cached allow outlives a committed hold."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    assert ask(ctx, plant).decision is Decision.ALLOW
    holds.place_hold(
        ctx,
        site_id=plant.site.id,
        kind=HoldKind.SHIPMENT,
        part_revision_id=plant.revision.id,
        reason="Customer escape",
    )
    assert ask(ctx, plant).decision is Decision.DENY


# --- two-person overrides -------------------------------------------------------------------


@pytest.mark.requirement("G4")
def test_an_override_counts_only_after_a_second_person_signs_it(ctx, clock):
    """Requested by one, signed by another, until expiry: then the covered serial passes."""
    plant = a_plant(ctx, serials=("SN0001", "SN0002"))
    an_fai(ctx, plant)
    (hold,) = active_holds(ctx, plant)
    override = holds.request_override(
        as_(ctx, "q.manager"),
        hold.id,
        reason="AOG",
        expires_at=clock.now() + timedelta(hours=24),
        serial_numbers=["SN0001"],
    )
    assert ask(ctx, plant).decision is Decision.DENY
    with pytest.raises(ValidationError):
        holds.sign_override(as_(ctx, "q.manager"), hold.id, override.id)
    holds.sign_override(as_(ctx, "program.manager"), hold.id, override.id)
    allowed = ask(ctx, plant, "SN0001")
    assert allowed.decision is Decision.ALLOW
    assert codes(allowed) == {"hold_overridden"}
    assert ask(ctx, plant, "SN0002").decision is Decision.DENY


@pytest.mark.requirement("G4")
def test_an_expired_override_stops_counting_by_itself(ctx, clock):
    """Past its expiry the override is ignored without anyone acting."""
    plant = a_plant(ctx)
    an_fai(ctx, plant)
    (hold,) = active_holds(ctx, plant)
    override = holds.request_override(
        as_(ctx, "a"), hold.id, reason="urgent", expires_at=clock.now() + timedelta(hours=1)
    )
    holds.sign_override(as_(ctx, "b"), hold.id, override.id)
    assert ask(ctx, plant).decision is Decision.ALLOW
    clock.advance(hours=1)
    assert ask(ctx, plant).decision is Decision.DENY


@pytest.mark.requirement("G4")
def test_a_revoked_override_stops_counting(ctx, clock):
    """Revocation ends an override before its expiry."""
    plant = a_plant(ctx)
    an_fai(ctx, plant)
    (hold,) = active_holds(ctx, plant)
    override = holds.request_override(
        as_(ctx, "a"), hold.id, reason="urgent", expires_at=clock.now() + timedelta(hours=4)
    )
    holds.sign_override(as_(ctx, "b"), hold.id, override.id)
    holds.revoke_override(as_(ctx, "c"), hold.id, override.id, "Customer refused the unit")
    assert ask(ctx, plant).decision is Decision.DENY


@pytest.mark.parametrize("hours", [0, -1, 24 * 31])
def test_an_override_needs_a_future_expiry_within_thirty_days(ctx, clock, hours):
    """Overrides are time-boxed."""
    plant = a_plant(ctx)
    (hold,) = active_holds(ctx, plant)
    with pytest.raises(ValidationError):
        holds.request_override(
            ctx, hold.id, reason="x", expires_at=clock.now() + timedelta(hours=hours)
        )


@pytest.mark.requirement("G4", "R11")
def test_the_database_refuses_an_override_signed_twice_by_one_person(ctx, connection, clock):
    """The two-signer rule holds even for a write that bypasses the domain."""
    plant = a_plant(ctx)
    (hold,) = active_holds(ctx, plant)
    override = holds.request_override(
        as_(ctx, "a"), hold.id, reason="x", expires_at=clock.now() + timedelta(hours=1)
    )
    with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
        connection.execute(
            sa.update(orm.hold_overrides)
            .where(orm.hold_overrides.c.id == override.id)
            .values(second_signer="a", second_signed_at=clock.now())
        )


# --- failing closed -------------------------------------------------------------------------


def _unreachable_application(database_url: str, clock) -> bootstrap.Application:
    if database_url.startswith("sqlite"):
        url = "sqlite:////nonexistent-dir/firstarticle/unreachable.db"
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable"
    return bootstrap.build(Settings(database_url=url, database_timeout_seconds=1), clock=clock)


@pytest.mark.requirement("G1", "G5")
def test_a_thousand_questions_to_an_unreachable_database_are_all_denied(
    database_url, clock, figure
):
    """With the database down the gate answers deny, never allow and never an error."""
    ctx = _unreachable_application(database_url, clock).context("erp")
    request = gate.GateRequest(
        site="WCH",
        customer="C",
        part_number="P",
        part_revision="C",
        kind=GateKind.SHIPMENT,
        serial_numbers=("SN0001",),
    )
    answers = [gate.check(ctx, request) for _ in range(1000)]
    allows = sum(a.decision is Decision.ALLOW for a in answers)
    figure("G1", "allows with the database down (1,000 calls)", allows, "0")
    assert sum(a.decision is Decision.ALLOW for a in answers) == 0
    assert {r.code for a in answers for r in a.reasons} == {"gate_unavailable"}
    assert not any(a.recorded for a in answers)


@pytest.mark.requirement("G1", "G5")
def test_a_thousand_questions_to_a_slow_database_are_all_denied(ctx, connection, figure):
    """A database slower than the gate's deadline turns every allow into a deny."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    assert ask(ctx, plant).decision is Decision.ALLOW

    def slow(*_args: object) -> None:
        import time

        time.sleep(0.0005)

    event.listen(connection, "before_cursor_execute", slow)
    try:
        hurried = dataclasses.replace(ctx, gate_deadline_seconds=0.001)
        answers = [ask(hurried, plant) for _ in range(1000)]
    finally:
        event.remove(connection, "before_cursor_execute", slow)
    allows = sum(a.decision is Decision.ALLOW for a in answers)
    figure("G1", "allows with the database slower than the deadline (1,000 calls)", allows, "0")
    assert sum(a.decision is Decision.ALLOW for a in answers) == 0
    assert {r.code for a in answers for r in a.reasons} == {"gate_timeout"}


@pytest.mark.requirement("G1")
def test_an_internal_error_while_deciding_is_a_deny(ctx):
    """A bug in the gate's path answers deny with a reason, not an exception."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)

    class Exploding:
        def __init__(self, inner):
            self.inner = inner

        def __enter__(self):
            uow = self.inner.__enter__()
            uow.gate_reader.facts = lambda *a: (_ for _ in ()).throw(RuntimeError("boom"))
            return uow

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

    broken = dataclasses.replace(ctx, uow_factory=lambda: Exploding(ctx.uow_factory()))
    answers = [ask(broken, plant) for _ in range(1000)]
    assert sum(a.decision is Decision.ALLOW for a in answers) == 0
    assert {r.code for a in answers for r in a.reasons} == {"gate_internal_error"}


@pytest.mark.requirement("G1")
@pytest.mark.parametrize("kind", [GateKind.PRODUCTION, GateKind.SHIPMENT])
def test_a_revision_made_obsolete_by_a_newer_release_is_denied(ctx, kind):
    """Rev C is approved and allowed; PLM releases rev D: rev C is obsolete and the gate
    denies it (revision_obsolete) for production and shipment, whatever its FAI says."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    assert ask(ctx, plant, kind=kind).decision is Decision.ALLOW
    catalog.add_revision(
        ctx, plant.part.id, revision="D", drawings=[catalog.DrawingSpec(plant.part.number, "D")]
    )
    answer = ask(ctx, plant, kind=kind)
    assert answer.decision is Decision.DENY
    assert "revision_obsolete" in codes(answer)


@pytest.mark.requirement("G1")
def test_a_revision_still_in_work_is_denied(ctx):
    """A revision PLM has not released lets nothing move, even with an approved FAI."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    with ctx.uow_factory() as uow:
        uow.parts.revision(plant.revision.id).status = model.RevisionStatus.IN_WORK
        uow.commit()
    answer = ask(ctx, plant)
    assert answer.decision is Decision.DENY
    assert "revision_not_released" in codes(answer)

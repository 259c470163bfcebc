"""The gate's rules added for issue 12, each with a failing and a passing case on a real
database: the work order a serial was built on, the customer's approval, and shipping product
built to a revision the definition no longer allows (docs/gate-rules.md lists every rule)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plant import a_plant, an_fai, approve, as_, sign
from test_holds_and_gate import ask, codes

from firstarticle.domain import model
from firstarticle.domain.access import ForbiddenError, Role
from firstarticle.domain.errors import ConflictError
from firstarticle.domain.holds import Decision, GateKind
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import catalog, first_articles, orders, revision_orders


def a_second_work_order(ctx, plant, *, router: str, serial: str, purchase_order=None):
    return orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number=f"WO-{plant.site.code}-2",
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=plant.customer.id,
        router=router,
        purchase_order=purchase_order,
        serial_numbers=[serial],
    )


@pytest.mark.requirement("G1")
def test_a_serial_built_to_another_router_is_not_covered_by_the_approved_fai(ctx):
    """The FAI was built on router R-1; a serial from a work order on router R-2 (a process
    change) is denied with not_on_covering_work_order; one on R-1 is allowed."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    a_second_work_order(ctx, plant, router="R-2", serial="SN0100")
    denied = ask(ctx, plant, "SN0100")
    assert denied.decision is Decision.DENY
    assert codes(denied) == {"not_on_covering_work_order"}
    assert ask(ctx, plant, "SN0001").decision is Decision.ALLOW


@pytest.mark.requirement("G1")
def test_a_lot_is_judged_by_the_work_orders_that_built_it(ctx):
    """A lot built on a work order to an uncovered router is denied the same way."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-WCH-LOT",
        part_revision_id=plant.revision.id,
        quantity=10,
        customer_id=plant.customer.id,
        router="R-9",
        lot="LOT-9",
    )
    answer = ask(ctx, plant, lot="LOT-9", serial_numbers=())
    assert answer.decision is Decision.DENY
    assert "not_on_covering_work_order" in codes(answer)


@pytest.mark.requirement("G1")
def test_a_submitted_fai_awaiting_the_customer_is_a_missing_customer_approval(ctx):
    """Internally approved and submitted is not approved: customer_approval_missing names it;
    once the customer approves, the gate allows."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant).fai
    approve(ctx, fai.id, outcome=model.DecisionOutcome.REJECTED)  # submitted, then rejected
    first_articles.transition(ctx, fai.id, FaiAction.REWORK, reason="Re-machined")
    detail = first_articles.get_first_article(ctx, fai.id)
    assert detail.fai.status.value == "in_progress"
    sign(ctx, fai.id, SignatureMeaning.VERIFIED, "q.verifier")
    sign(ctx, fai.id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    first_articles.transition(as_(ctx, "q.manager"), fai.id, FaiAction.SUBMIT)
    answer = ask(ctx, plant)
    assert answer.decision is Decision.DENY
    assert "customer_approval_missing" in codes(answer)
    assert "fai_not_approved" not in codes(answer)


@pytest.mark.requirement("G1")
def test_shipping_an_old_revision_needs_the_customers_order_for_it(ctx):
    """Rev C is superseded by rev D. Shipment of a rev C serial is denied until the customer's
    order PO-77 is recorded as calling for rev C, and only for serials built against PO-77;
    production of rev C stays denied; withdrawing the order denies again."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    a_second_work_order(ctx, plant, router="R-1", serial="SN0200", purchase_order="PO-77")
    catalog.add_revision(
        ctx, plant.part.id, revision="D", drawings=[catalog.DrawingSpec(plant.part.number, "D")]
    )
    assert "revision_obsolete" in codes(ask(ctx, plant, "SN0200"))

    order = revision_orders.grant_revision_order(
        ctx,
        customer_id=plant.customer.id,
        part_revision_id=plant.revision.id,
        purchase_order="PO-77",
        reason="Spares order placed before rev D; customer letter CL-5512.",
    )
    allowed = ask(ctx, plant, "SN0200")
    assert allowed.decision is Decision.ALLOW
    assert "revision_ordered" in codes(allowed)
    assert ask(ctx, plant, "SN0001").decision is Decision.DENY  # built against no such order
    assert ask(ctx, plant, "SN0200", kind=GateKind.PRODUCTION).decision is Decision.DENY

    revision_orders.withdraw_revision_order(ctx, order.id, "Customer cancelled the spares.")
    assert ask(ctx, plant, "SN0200").decision is Decision.DENY


def test_a_revision_order_is_granted_once_and_only_by_who_manages_customers(ctx):
    """The same order twice is a conflict; an inspector may not grant one."""
    plant = a_plant(ctx)
    fields = {
        "customer_id": plant.customer.id,
        "part_revision_id": plant.revision.id,
        "purchase_order": "PO-1",
        "reason": "Customer letter",
    }
    revision_orders.grant_revision_order(ctx, **fields)
    with pytest.raises(ConflictError):
        revision_orders.grant_revision_order(ctx, **fields)
    inspector = ctx.as_principal(replace(ctx.principal, roles=frozenset({Role.INSPECTOR})))
    with pytest.raises(ForbiddenError):
        revision_orders.grant_revision_order(inspector, **{**fields, "purchase_order": "PO-2"})


@pytest.mark.requirement("G1")
def test_a_serial_named_with_a_work_order_it_was_not_built_on_is_denied(ctx):
    """ERP names WO-WCH-2 for SN0001, which WO-WCH-1 built: serial_work_order_mismatch; named
    with its own work order it is allowed."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    a_second_work_order(ctx, plant, router="R-1", serial="SN0300")
    assert codes(ask(ctx, plant, "SN0001", work_order="WO-WCH-2")) == {"serial_work_order_mismatch"}
    assert ask(ctx, plant, "SN0001", work_order="WO-WCH-1").decision is Decision.ALLOW


@pytest.mark.requirement("G1")
def test_a_work_order_of_another_revision_is_denied(ctx):
    """A work order that builds rev D cannot vouch for a rev C serial."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    rev_d = catalog.add_revision(
        ctx,
        plant.part.id,
        revision="D",
        drawings=[catalog.DrawingSpec(plant.part.number, "D")],
        status=model.RevisionStatus.IN_WORK,
    )
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-WCH-D",
        part_revision_id=rev_d.id,
        quantity=1,
        customer_id=plant.customer.id,
    )
    assert "work_order_revision_mismatch" in codes(ask(ctx, plant, work_order="WO-WCH-D"))


@pytest.mark.requirement("G1")
def test_a_customer_that_requires_no_fai_is_allowed_with_that_reason(ctx):
    """No FAI needed: allow, saying so (fai_not_required)."""
    plant = a_plant(ctx)
    relaxed = catalog.create_customer(ctx, code="RELAX", name="Tooling buyer", requires_fai=False)
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-WCH-T",
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=relaxed.id,
        serial_numbers=["SN0400"],
    )
    answer = ask(ctx, plant, "SN0400", customer="RELAX")
    assert (answer.decision, codes(answer)) == (Decision.ALLOW, {"fai_not_required"})


@pytest.mark.requirement("G1")
def test_a_caller_of_another_site_is_denied_site_not_permitted(ctx):
    """A system account bound to another site learns nothing and is denied."""
    plant = a_plant(ctx)
    approve(ctx, an_fai(ctx, plant).fai.id)
    other = catalog.create_site(ctx, code="OTH", name="Other plant")
    erp = ctx.as_principal(
        replace(ctx.principal, roles=frozenset({Role.SYSTEM_ERP}), site_ids=frozenset({other.id}))
    )
    answer = ask(erp, plant)
    assert (answer.decision, codes(answer)) == (Decision.DENY, {"site_not_permitted"})

"""Families of similar parts (AS9102: one full FAI for the family, per-part Form 3 for their
unique characteristics): a dash number of a tabulated drawing is inspected as a partial FAI
whose baseline is the family's full FAI of another part number; it starts with exactly the
characteristics that differ, and the gate covers it only together with the family's FAI."""

from __future__ import annotations

from decimal import Decimal

import plant
import pytest

from firstarticle.domain import model
from firstarticle.domain.holds import Decision, GateKind
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import ServiceContext, catalog, first_articles, gate, orders
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.services.first_articles import ResultInput

MEMBER = "7A1234-102"


def a_family_member(ctx: ServiceContext, family: plant.Plant) -> tuple[model.PartRevision, str]:
    """-102 on the same tabulated drawing as -101: balloons 1 and 2 as -101's, and a hole
    (balloon 3) -101 lacks. Its work order builds SN1021."""
    part = catalog.create_part(ctx, number=MEMBER, name="Bracket, long")
    revision = catalog.add_revision(
        ctx, part.id, revision="C", drawings=[catalog.DrawingSpec("7A1234", "C")]
    )
    catalog.add_characteristics(
        ctx,
        revision.id,
        "7A1234",
        [
            *plant.bracket_specs(),
            Spec(
                "3",
                model.CharacteristicType.DIMENSIONAL,
                nominal=Decimal("12.00"),
                upper_tolerance=Decimal("0.10"),
                lower_tolerance=Decimal("-0.10"),
                units="mm",
            ),
        ],
    )
    order = orders.create_work_order(
        ctx,
        site_id=family.site.id,
        number="WO-WCH-102",
        part_revision_id=revision.id,
        quantity=2,
        customer_id=family.customer.id,
        router="R-1",
        serial_numbers=["SN1021"],
    )
    return catalog.get_revision(ctx, revision.id), order.id


def the_member_fai(ctx: ServiceContext, work_order_id: str, family_fair: str) -> str:
    return first_articles.create_first_article(
        ctx,
        work_order_id=work_order_id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.PARTIAL,
        reason=f"Family 7A1234: {MEMBER} differs from 7A1234-101 by hole 3",
        baseline_part_number="7A1234-101",
        baseline_part_revision="C",
        baseline_fair_identifier=family_fair,
    ).fai.id


def approve_member(ctx: ServiceContext, fai_id: str) -> None:
    first_articles.transition(ctx, fai_id, FaiAction.START)
    plant.account_form2(ctx, fai_id)
    first_articles.record_results(
        plant.as_(ctx, "inspector.a"),
        fai_id,
        [
            ResultInput(
                "3",
                ctx.clock.now(),
                model.ResultSource.DEVICE_IMPORT,
                value=Decimal("12.03"),
                units="mm",
                device="CMM-1",
            )
        ],
    )
    plant.sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    plant.sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    first_articles.transition(plant.as_(ctx, "q.manager"), fai_id, FaiAction.SUBMIT)
    plant.decide(ctx, fai_id)


def shipping(family: plant.Plant) -> gate.GateRequest:
    return gate.GateRequest(
        site=family.site.code,
        customer=family.customer.code,
        part_number=MEMBER,
        part_revision="C",
        kind=GateKind.SHIPMENT,
        serial_numbers=("SN1021",),
    )


@pytest.fixture
def family(ctx: ServiceContext) -> tuple[plant.Plant, first_articles.FirstArticleDetail]:
    """The family's full FAI: 7A1234-101 rev C, approved by the customer."""
    built = plant.a_plant(ctx)
    return built, plant.approve(ctx, plant.an_fai(ctx, built).fai.id)


def test_a_family_member_starts_with_only_its_unique_characteristics(ctx, family):
    """-102's Form 3 lists hole 3 alone: balloons 1 and 2 are the family FAI's."""
    built, family_fai = family
    revision, work_order_id = a_family_member(ctx, built)
    fai_id = the_member_fai(ctx, work_order_id, family_fai.fai.fair_identifier)
    on_form3 = {
        row.characteristic_id for row in first_articles.get_first_article(ctx, fai_id).fai.form3
    }
    assert on_form3 == {c.id for c in revision.characteristics if c.balloon == "3"}


def test_the_gate_covers_a_member_with_its_own_partial_and_the_familys_fai(ctx, family):
    """Approved member partial plus approved family FAI: allow. The family FAI superseded:
    the member's partial alone covers nothing."""
    built, family_fai = family
    _revision, work_order_id = a_family_member(ctx, built)
    fai_id = the_member_fai(ctx, work_order_id, family_fai.fai.fair_identifier)
    assert gate.check(ctx, shipping(built)).decision is Decision.DENY
    approve_member(ctx, fai_id)
    assert gate.check(ctx, shipping(built)).decision is Decision.ALLOW
    newer = plant.an_fai(ctx, built).fai
    first_articles.transition(
        ctx,
        family_fai.fai.id,
        FaiAction.SUPERSEDE,
        reason="Family FAI redone",
        superseded_by=newer.fair_identifier,
    )
    alone = gate.check(ctx, shipping(built))
    assert alone.decision is Decision.DENY
    assert {r.code for r in alone.reasons} == {"partial_without_baseline"}

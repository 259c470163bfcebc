"""Builders of small plants through the services, for integration and API tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request

from firstarticle import bootstrap
from firstarticle.api.deps import get_context
from firstarticle.domain import channels as ch
from firstarticle.domain import model
from firstarticle.domain.access import (
    AuthMethod,
    AuthorizationKind,
    ExportAuthorization,
    Principal,
    Role,
)
from firstarticle.domain.decisions import ItemComment, Outcome, RequestedAction
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.records import BomLineRecord, DrawingRecord, PartRevisionRecord
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.domain.values import AttributeResult
from firstarticle.services import (
    ServiceContext,
    catalog,
    channels,
    decisions,
    fai_coverage,
    first_articles,
    identity,
    mirror,
    orders,
    signatures,
)
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.services.first_articles import FirstArticleDetail, ResultInput


@dataclass
class Plant:
    site: model.Site
    customer: model.Customer
    part: model.Part
    revision: model.PartRevision
    work_order: model.WorkOrder


def as_(ctx: ServiceContext, actor: str) -> ServiceContext:
    return ctx.as_principal(Principal.trusted(actor))


def bracket_specs(note: str = "Deburr all edges") -> list[Spec]:
    """Drawing 7A1234's two characteristics: bore 1 (25.00 ±0.05 mm, key) and note 2."""
    return [
        Spec(
            "1",
            model.CharacteristicType.DIMENSIONAL,
            nominal=Decimal("25.00"),
            upper_tolerance=Decimal("0.05"),
            lower_tolerance=Decimal("-0.05"),
            units="mm",
            designator=model.CharacteristicDesignator.KEY,
            sheet="1",
            zone="B2",
        ),
        Spec("2", model.CharacteristicType.NOTE, requirement=note),
    ]


def a_plant(
    ctx: ServiceContext,
    *,
    code: str = "WCH",
    part_number: str = "7A1234-101",
    serials: tuple[str, ...] = ("SN0001",),
    note: str = "Deburr all edges",
) -> Plant:
    """A site, a customer, a released part revision with two characteristics and a work order."""
    site = catalog.create_site(ctx, code=code, name=f"Plant {code}")
    customer = catalog.create_customer(ctx, code=f"C{code}", name="Aero Prime", vendor_code="AP-1")
    part = catalog.create_part(ctx, number=part_number, name="Bracket")
    revision = catalog.add_revision(
        ctx, part.id, revision="C", drawings=[catalog.DrawingSpec("7A1234", "C")]
    )
    catalog.add_characteristics(ctx, revision.id, "7A1234", bracket_specs(note))
    work_order = orders.create_work_order(
        ctx,
        site_id=site.id,
        number=f"WO-{code}-1",
        part_revision_id=revision.id,
        quantity=5,
        customer_id=customer.id,
        router="R-1",
        serial_numbers=list(serials),
    )
    return Plant(
        site,
        customer,
        catalog.get_part(ctx, part.id),
        catalog.get_revision(ctx, revision.id),
        work_order,
    )


def an_fai(ctx: ServiceContext, plant: Plant) -> FirstArticleDetail:
    return first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    )


ASSEMBLY = "ASM-500"


def a_bom(detail: str = "7A1234-101", detail_revision: str = "C") -> tuple[BomLineRecord, ...]:
    """An actuator's BOM: the plant's bracket (a detail, two of them), a catalogue cotter
    pin and a COTS relay."""
    return (
        BomLineRecord("10", detail, "Bracket", model.IndexPartType.DETAIL, 2, detail_revision),
        BomLineRecord("20", "MS24665-132", "Cotter pin", model.IndexPartType.STANDARD_CATALOGUE, 4),
        BomLineRecord("30", "KLR-28V", "Relay", model.IndexPartType.COTS, 1),
    )


def an_assembly_revision(
    version: int = 1, bom: tuple[BomLineRecord, ...] | None = None
) -> PartRevisionRecord:
    """PLM's record of ASM-500 rev A with its drawing and (by default) :func:`a_bom`."""
    return PartRevisionRecord(
        "PLM-ASM-500-A",
        version,
        ASSEMBLY,
        "Actuator assembly",
        "A",
        model.RevisionStatus.RELEASED,
        (
            DrawingRecord(
                ASSEMBLY,
                "A",
                characteristics=(
                    Spec("1", model.CharacteristicType.NOTE, requirement="Torque nuts to spec"),
                ),
            ),
        ),
        a_bom() if bom is None else bom,
    )


def an_assembly_work_order(ctx: ServiceContext, plant: Plant) -> model.WorkOrder:
    """ASM-500 rev A mirrored from PLM with its BOM, and a work order for it at the plant."""
    report = mirror.apply(ctx, "part-revisions", [an_assembly_revision()])
    revision_id = report.lines[0].record_id
    assert revision_id is not None
    return orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number=f"WO-{plant.site.code}-ASM",
        part_revision_id=revision_id,
        quantity=1,
        customer_id=plant.customer.id,
        serial_numbers=["ASN0001"],
    )


def an_assembly_fai(ctx: ServiceContext, work_order: model.WorkOrder) -> FirstArticleDetail:
    return first_articles.create_first_article(
        ctx,
        work_order_id=work_order.id,
        fai_type=model.FaiType.ASSEMBLY,
        scope=model.FaiScope.FULL,
        reason="New assembly",
    )


def account_form2(ctx: ServiceContext, fai_id: str) -> None:
    """State 'none applies' for every Form 2 category the FAI lists nothing of."""
    fai = first_articles.get_first_article(ctx, fai_id).fai
    listed = {row.kind for row in fai.form2} | {st.kind for st in fai.form2_statements}
    for kind in model.Form2Kind:
        if kind not in listed:
            fai_coverage.state_none_applies(
                ctx,
                fai_id,
                kind=kind,
                reason="The bracket is machined from bar stock we "
                "list nowhere else; no such entry applies.",
            )


def complete_results(ctx: ServiceContext, fai_id: str, value: str = "25.01") -> None:
    """Results for both characteristics (those on the FAI's Form 3), the manual one verified
    by a second person, and Form 2 accounted for."""
    account_form2(ctx, fai_id)
    now = ctx.clock.now()
    on_form3 = {line.char_no for line in first_articles.get_first_article(ctx, fai_id).form3}
    results = [
        ResultInput(
            "1",
            now,
            model.ResultSource.DEVICE_IMPORT,
            value=Decimal(value),
            units="mm",
            device="CMM-1",
        ),
        ResultInput(
            "2",
            now,
            model.ResultSource.MANUAL_ENTRY,
            attribute=AttributeResult.ACCEPT,
            operator="inspector.a",
        ),
    ]
    # A partial FAI's Form 3 may list one of the two: results only for what it lists.
    first_articles.record_results(
        as_(ctx, "inspector.a"), fai_id, [r for r in results if r.balloon in on_form3]
    )
    detail = first_articles.get_first_article(ctx, fai_id)
    for line in detail.form3:
        for result in line.results:
            if result.source is model.ResultSource.MANUAL_ENTRY and result.verified_by is None:
                first_articles.verify_result(as_(ctx, "inspector.b"), fai_id, result.result_id)


BUYER = "BUYER-1"  # the customer person the plant's channel names


def qms_channel(ctx: ServiceContext, customer_id: str) -> None:
    """Give the customer a QMS channel naming BUYER (its other fields kept), unless it has
    a configuration already."""
    view = channels.show_channel(ctx, customer_id)
    if view.current.version > 0:
        return
    channels.set_channel(
        ctx,
        customer_id,
        authority=ch.Authority.CUSTOMER_QMS,
        buy_off=ch.BuyOffMode.ONE_STEP,
        form_revision=view.customer.form_revision,
        ships_while_conditional=view.customer.ships_on_conditional_acceptance,
        people=[ch.CustomerPerson(BUYER, "Bea Buyer", "buyer@customer.example")],
    )


def decide(
    ctx: ServiceContext,
    fai_id: str,
    outcome: str = "approved",
    *,
    comments: str | None = None,
    containment: bool = False,
    containment_serial_numbers: list[str] | None = None,
    containment_lots: list[str] | None = None,
) -> FirstArticleDetail:
    """The customer's decision through its QMS integration (the channel set up on first
    use): a rejection comments on balloon 1 and asks for resubmission, or containment."""
    detail = first_articles.get_first_article(ctx, fai_id)
    assert detail.fai.customer_id is not None
    qms_channel(ctx, detail.fai.customer_id)
    chosen = Outcome(outcome)
    rejected = chosen is Outcome.REJECTED
    action = RequestedAction.CONTAINMENT if containment else RequestedAction.RESUBMISSION
    decisions.record_from_integration(
        ctx,
        fai_id,
        decisions.DecisionInput(
            outcome=chosen,
            customer_person_id=BUYER,
            decided_at=ctx.clock.now(),
            reference=f"QMS-{fai_id[:8]}",
            requested_action=action if rejected or containment else None,
            comments=[ItemComment(3, "1", comments or "Wrong")] if rejected else [],
            conditions=[comments or "conditions"]
            if chosen is Outcome.CONDITIONALLY_ACCEPTED
            else [],
            containment_serial_numbers=containment_serial_numbers or [],
            containment_lots=containment_lots or [],
        ),
    )
    return first_articles.get_first_article(ctx, fai_id)


def approve(ctx: ServiceContext, fai_id: str, **decision: Any) -> FirstArticleDetail:
    """Walk an FAI with complete results to a customer decision (approved by default)."""
    submit(ctx, fai_id)
    return decide(ctx, fai_id, **decision)


def submit(ctx: ServiceContext, fai_id: str) -> FirstArticleDetail:
    """Walk an FAI to submitted: results complete, fields 20 and 22 signed."""
    first_articles.transition(ctx, fai_id, FaiAction.START)
    complete_results(ctx, fai_id)
    sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    return first_articles.transition(as_(ctx, "q.manager"), fai_id, FaiAction.SUBMIT)


PASSWORD = "plant-test-password"


def person(ctx: ServiceContext, username: str) -> Principal:
    """A stored user (created on first use, password PASSWORD, US person) acting with every
    permission at every site, as a signed-in person: for tests about what, not who."""
    with ctx.uow_factory() as uow:
        user = uow.identity.by_username(username)
    if user is None:
        trusted = ctx.as_principal(Principal.trusted("test-admin"))
        user = identity.create_user(
            trusted,
            username=username,
            printed_name=username.replace(".", " ").title(),
            roles=[Role.QUALITY_ENGINEER],
            all_sites=True,
            password=PASSWORD,
        )
    return Principal(
        user_id=user.id,
        username=user.username,
        printed_name=user.printed_name,
        roles=frozenset(Role),
        site_ids=None,
        authorizations=(ExportAuthorization(AuthorizationKind.US_PERSON),),
        method=AuthMethod.PASSWORD_SESSION,
    )


def sign(
    ctx: ServiceContext, fai_id: str, meaning: SignatureMeaning, username: str
) -> FirstArticleDetail:
    """``username`` signs the FAI with a fresh nonce and their password."""
    signer = ctx.as_principal(person(ctx, username))
    nonce, _ = identity.issue_signing_nonce(signer)
    return signatures.sign_first_article(signer, fai_id, meaning, nonce=nonce, password=PASSWORD)


def trusting(app: FastAPI, application: bootstrap.Application) -> FastAPI:
    """``app`` with the caller taken from ``X-Actor`` as a trusted principal (tests only)."""

    def trusted(request: Request) -> ServiceContext:
        actor = request.headers.get("x-actor", "").strip() or "q.engineer"
        base = application.context("test-admin", request.state.request_id)
        return base.as_principal(person(base, actor))

    app.dependency_overrides[get_context] = trusted
    return app

"""Loads the demo plant through the services, so it has the audit trail a real plant would.

Characteristics and results of two parts come from real QIF 3.0 Results files shipped in
``demo/data`` (QIF working group samples, Boost Software License); the rest is generated
deterministically from a fixed seed.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources

from firstarticle.demo import channels as demo_channels
from firstarticle.demo import review
from firstarticle.domain import model
from firstarticle.domain.access import AuthMethod, AuthorizationKind, Principal, Role
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.decisions import Outcome
from firstarticle.domain.errors import NotFoundError
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.lifecycle import FaiAction, FaiStatus, actions_from
from firstarticle.domain.records import NonconformanceRecord
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.domain.triggers import EvaluationOutcome, EvaluationStatus
from firstarticle.domain.values import AttributeResult
from firstarticle.integrations.inspection.qif import QifResults, read_qif_results
from firstarticle.services import (
    ServiceContext,
    catalog,
    fai_coverage,
    first_articles,
    holds,
    identity,
    mirror,
    orders,
    signatures,
    triggers,
)
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.services.first_articles import SIGNED_ACTIONS, ResultInput

Progress = Callable[[str, int, int], None]
CT = model.CharacteristicType
D = model.CharacteristicDesignator

# People of the demo plant, one per duty, so that separation of duties shows.
INSPECTOR, SECOND_INSPECTOR = "l.nguyen", "r.okafor"
QUALITY_ENGINEER, QUALITY_MANAGER = "j.ortiz", "m.keller"
OPERATOR = "t.brandt"
PROGRAM_MANAGER = "p.adams"


@dataclass
class DemoSummary:
    """What the loader created."""

    sites: int = 0
    customers: int = 0
    parts: int = 0
    characteristics: int = 0
    work_orders: int = 0
    first_articles: int = 0
    results: int = 0
    users: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in dataclasses.asdict(self).items())


# Every demo person signs in with this password (README); demo mode only, never elsewhere.
DEMO_PASSWORD = "firstarticle-demo"
R = Role
# username, printed name, roles, sites (None: all), citizenships, US person, customer code
DEMO_PEOPLE: list[tuple[str, str, list[Role], list[str] | None, list[str], bool, str | None]] = [
    (OPERATOR, "Tom Brandt", [R.OPERATOR], ["WCH"], ["US"], True, None),
    (INSPECTOR, "Linh Nguyen", [R.INSPECTOR], ["WCH"], ["US"], True, None),
    (SECOND_INSPECTOR, "Ruth Okafor", [R.INSPECTOR], ["WCH"], ["US", "NG"], True, None),
    (QUALITY_ENGINEER, "Jorge Ortiz", [R.QUALITY_ENGINEER], ["WCH"], ["US"], True, None),
    (QUALITY_MANAGER, "Maria Keller", [R.QUALITY_ENGINEER], None, ["US", "DE"], True, None),
    ("s.dubois", "Sophie Dubois", [R.MANUFACTURING_ENGINEER], ["TLS"], ["FR"], False, None),
    ("a.moreau", "Antoine Moreau", [R.DESIGN_ENGINEER], None, ["FR"], False, None),
    ("k.wright", "Kim Wright", [R.DESIGN_ENGINEER], ["WCH"], ["US"], True, None),
    (PROGRAM_MANAGER, "Pat Adams", [R.PROGRAM_MANAGER], None, ["US"], True, None),
    ("d.cole", "Dana Cole", [R.SHIPPING], ["WCH"], ["US"], True, None),
    (
        "c.lee",
        "Chris Lee (Aero Prime)",
        [R.CUSTOMER_REPRESENTATIVE],
        None,
        ["US"],
        True,
        "AEROPRIME",
    ),
    ("e.fischer", "Eva Fischer", [R.AUDITOR], None, ["DE"], False, None),
    ("admin", "Alex Admin", [R.ADMINISTRATOR], None, ["US"], True, None),
    ("tls.admin", "Luc Martin", [R.ADMINISTRATOR], ["TLS"], ["FR"], False, None),
]
DEMO_SYSTEMS = [
    ("demo-erp", "ERP gate and order feed", R.SYSTEM_ERP),
    ("demo-plm", "PLM revision feed", R.SYSTEM_PLM),
    ("demo-qms", "QMS nonconformance feed", R.SYSTEM_QMS),
    ("demo-inspection", "CMM results drop", R.SYSTEM_INSPECTION),
]
# The one export-controlled part of the demo (journey 6); the others are EAR99.
ITAR_PART, ITAR_CATEGORY = "7A5000-1", "XIX"


def create_demo_people(ctx: ServiceContext) -> int:
    """The documented demo users, one per role, and the integration accounts."""
    customers = {c.code: c.id for c in catalog.list_customers(ctx, limit=200).items}
    count = 0
    for username, name, roles, sites, citizenships, us_person, customer in DEMO_PEOPLE:
        identity.create_user(
            ctx,
            username=username,
            printed_name=name,
            roles=roles,
            sites=sites or [],
            all_sites=sites is None,
            citizenships=citizenships,
            password=DEMO_PASSWORD,
            customer_ids=[customers[customer]] if customer else None,
        )
        if us_person:
            identity.add_authorization(
                ctx, username, kind=AuthorizationKind.US_PERSON, reason="Demo: US person"
            )
        count += 1
    identity.add_authorization(
        ctx,
        "e.fischer",
        kind=AuthorizationKind.AGREEMENT,
        regime=ExportRegime.ITAR,
        categories=[ITAR_CATEGORY],
        reference="TAA-2026-0193",
        expires_on=(ctx.clock.now() + timedelta(days=365)).date(),
        reason="Demo: technical assistance agreement for the audit",
    )
    for username, name, role in DEMO_SYSTEMS:
        identity.create_user(
            ctx, username=username, printed_name=name, roles=[role], all_sites=True
        )
        count += 1
    return count


def classify_demo_parts(ctx: ServiceContext) -> None:
    """Label the demo parts: one ITAR part, the rest EAR99."""
    for part in catalog.list_parts(ctx, limit=200).items:
        itar = part.number == ITAR_PART
        catalog.classify(
            ctx,
            part.id,
            regime=ExportRegime.ITAR if itar else ExportRegime.EAR99,
            category=ITAR_CATEGORY if itar else None,
            reason="Demo: jurisdiction and classification determination",
        )


def _as(ctx: ServiceContext, actor: str) -> ServiceContext:
    return ctx.as_principal(Principal.trusted(actor))


def read_packaged_qif(name: str) -> QifResults:
    """Read one of the QIF files shipped with the demo."""
    with resources.files("firstarticle.demo").joinpath("data", name).open("rb") as handle:
        return read_qif_results(handle)


def bracket_characteristics() -> list[Spec]:
    """The 42 ballooned characteristics of bracket 7A1234 rev C (journey 1)."""
    mm = "mm"
    specs: list[Spec] = [
        Spec(
            "1",
            CT.DIMENSIONAL,
            nominal=Decimal("120.00"),
            upper_tolerance=Decimal("0.25"),
            lower_tolerance=Decimal("-0.25"),
            units=mm,
            sheet="1",
            zone="B2",
        ),
        Spec(
            "2",
            CT.DIMENSIONAL,
            nominal=Decimal("45.00"),
            upper_tolerance=Decimal("0.10"),
            lower_tolerance=Decimal("-0.10"),
            units=mm,
            sheet="1",
            zone="B3",
            designator=D.KEY,
        ),
        Spec(
            "3",
            CT.DIMENSIONAL,
            nominal=Decimal("12.70"),
            upper_tolerance=Decimal("0.05"),
            lower_tolerance=Decimal("0.00"),
            units=mm,
            sheet="1",
            zone="C3",
            designator=D.KEY,
            requirement="⌀12.70 +0.05/0 mm THRU (2X)",
        ),
        Spec(
            "4",
            CT.MATERIAL,
            requirement="Aluminium alloy 7075-T7351 plate per AMS-QQ-A-250/12",
            sheet="1",
            zone="A1",
        ),
        Spec(
            "5",
            CT.SPECIAL_PROCESS,
            requirement="Chemical film per MIL-DTL-5541 Type II Class 1A",
            sheet="1",
            zone="A2",
        ),
    ]
    rng = random.Random(7_1234)
    balloon = 6
    while len(specs) < 42:
        zone = f"{'ABCD'[balloon % 4]}{1 + balloon % 6}"
        kind = balloon % 7
        if balloon == 17:
            specs.append(
                Spec(
                    "17",
                    CT.DIMENSIONAL,
                    requirement="⌖ ⌀0.05 Ⓜ | A | B | C",
                    nominal=Decimal("0"),
                    lower_limit=None,
                    upper_limit=Decimal("0.05"),
                    units=mm,
                    sheet="2",
                    zone="C4",
                    designator=D.KEY,
                )
            )
        elif kind == 0:
            specs.append(
                Spec(
                    str(balloon),
                    CT.DIMENSIONAL,
                    requirement=f"⏥ {Decimal('0.05') * (1 + balloon % 3)}",
                    nominal=Decimal("0"),
                    upper_limit=Decimal("0.05") * (1 + balloon % 3),
                    units=mm,
                    sheet="2",
                    zone=zone,
                )
            )
        elif kind == 1:
            # One radius for the text and the numbers: the text must name what is judged.
            radius = Decimal(rng.choice(["1.5", "3.0", "6.0"]))
            specs.append(
                Spec(
                    str(balloon),
                    CT.DIMENSIONAL,
                    requirement=f"R{radius} ±0.2 mm",
                    nominal=radius,
                    upper_tolerance=Decimal("0.2"),
                    lower_tolerance=Decimal("-0.2"),
                    units=mm,
                    sheet="2",
                    zone=zone,
                )
            )
        elif kind == 2:
            specs.append(
                Spec(
                    str(balloon),
                    CT.DIMENSIONAL,
                    requirement="Ra 1.6 µm max",
                    upper_limit=Decimal("1.6"),
                    units="um",
                    sheet="1",
                    zone=zone,
                )
            )
        else:
            nominal = Decimal(rng.randrange(500, 20000)) / 100
            tol = Decimal(rng.choice(["0.05", "0.10", "0.15", "0.25"]))
            specs.append(
                Spec(
                    str(balloon),
                    CT.DIMENSIONAL,
                    nominal=nominal,
                    upper_tolerance=tol,
                    lower_tolerance=-tol,
                    units=mm,
                    sheet=str(1 + balloon % 2),
                    zone=zone,
                )
            )
        balloon += 1
    specs[-2] = Spec(
        specs[-2].balloon,
        CT.NOTE,
        requirement="Identify per MIL-STD-130 with part number and serial",
        sheet="1",
        zone="D1",
    )
    specs[-1] = Spec(
        specs[-1].balloon, CT.NOTE, requirement="Break sharp edges 0.2-0.5 mm", sheet="1", zone="D2"
    )
    return specs


def _conforming_value(spec: Spec, rng: random.Random) -> Decimal:
    requirement = spec.build_requirement()
    low, high = requirement.lower_limit, requirement.upper_limit
    if low is None:
        low = Decimal("0") if high is not None and high >= 0 else (high or Decimal(0)) - 1
    if high is None:
        high = low + 1
    span = high - low
    return (low + span * Decimal(rng.randint(25, 75)) / 100).quantize(Decimal("0.001"))


def _results_for(
    specs: Sequence[Spec],
    at: datetime,
    serial: str | None,
    rng: random.Random,
    overrides: dict[str, Decimal] | None = None,
) -> list[ResultInput]:
    """Device results for numeric characteristics; attribute entries for notes and specs."""
    items = []
    for spec in specs:
        requirement = spec.build_requirement()
        if requirement.is_numeric:
            value = (overrides or {}).get(spec.balloon, _conforming_value(spec, rng))
            items.append(
                ResultInput(
                    spec.balloon,
                    at,
                    model.ResultSource.DEVICE_IMPORT,
                    value=value,
                    units=requirement.units,
                    serial_number=serial,
                    operator=OPERATOR,
                    device="CMM-02 Zeiss Contura",
                )
            )
        else:
            items.append(
                ResultInput(
                    spec.balloon,
                    at,
                    model.ResultSource.MANUAL_ENTRY,
                    attribute=AttributeResult.ACCEPT,
                    serial_number=serial,
                    operator=INSPECTOR,
                )
            )
    return items


def _verify_manual(ctx: ServiceContext, fai_id: str) -> None:
    detail = first_articles.get_first_article(ctx, fai_id)
    for line in detail.form3:
        for r in line.results:
            if r.source is model.ResultSource.MANUAL_ENTRY and r.verified_by is None:
                first_articles.verify_result(_as(ctx, SECOND_INSPECTOR), fai_id, r.result_id)


def _complete_form2(ctx: ServiceContext, fai_id: str) -> None:
    first_articles.add_form2_row(
        ctx,
        fai_id,
        kind=model.Form2Kind.MATERIAL,
        name="Aluminium 7075-T7351 plate",
        specification="AMS-QQ-A-250/12",
        supplier="Kaiser Aluminum",
        customer_approval=model.CustomerApprovalVerification.NOT_APPLICABLE,
        certificate_number="MTR-884213",
    )
    first_articles.add_form2_row(
        ctx,
        fai_id,
        kind=model.Form2Kind.SPECIAL_PROCESS,
        name="Chemical film",
        specification="MIL-DTL-5541 Type II Class 1A",
        supplier="Precision Finishing Inc.",
        customer_approval=model.CustomerApprovalVerification.YES,
        certificate_number="PFI-C-22871",
    )
    fai_coverage.state_none_applies(
        ctx,
        fai_id,
        kind=model.Form2Kind.FUNCTIONAL_TEST,
        reason="Drawing 7A1234 calls for no functional test.",
    )


def _person(ctx: ServiceContext, username: str) -> ServiceContext:
    """A demo person signed in, allowed at every site (the loader builds both plants)."""
    with ctx.uow_factory() as uow:
        user = uow.identity.by_username(username)
    assert user is not None, username
    return ctx.as_principal(
        dataclasses.replace(
            Principal.trusted(username, user.printed_name),
            user_id=user.id,
            method=AuthMethod.PASSWORD_SESSION,
        )
    )


def _sign(
    ctx: ServiceContext, fai_id: str, meaning: SignatureMeaning, username: str
) -> first_articles.FirstArticleDetail:
    """``username`` signs as a person would: fresh nonce, password. The loader lets the demo
    people sign at every site (the demo has one quality manager for both)."""
    signer = _person(ctx, username)
    nonce, _ = identity.issue_signing_nonce(signer)
    return signatures.sign_first_article(
        signer, fai_id, meaning, nonce=nonce, password=DEMO_PASSWORD
    )


def _walk(
    ctx: ServiceContext, fai_id: str, to: FaiStatus, *, decided_at: datetime, reason: str = ""
) -> None:
    """Move an FAI with complete content along the happy path until it reaches ``to``."""
    steps = [
        (FaiStatus.IN_PROGRESS, FaiAction.START, QUALITY_ENGINEER),
        (FaiStatus.PENDING_INTERNAL_REVIEW, FaiAction.REQUEST_REVIEW, QUALITY_ENGINEER),
        (FaiStatus.INTERNALLY_APPROVED, FaiAction.APPROVE_INTERNALLY, QUALITY_MANAGER),
        (FaiStatus.SUBMITTED, FaiAction.SUBMIT, QUALITY_ENGINEER),
    ]
    current = first_articles.get_first_article(ctx, fai_id).fai.status
    for status, action, actor in steps:
        if action in actions_from(current):
            if action is FaiAction.APPROVE_INTERNALLY:
                review.complete_review(ctx, fai_id, lambda name: _person(ctx, name))
            if action in SIGNED_ACTIONS:
                current = _sign(ctx, fai_id, SIGNED_ACTIONS[action], actor).fai.status
            else:
                current = first_articles.transition(_as(ctx, actor), fai_id, action).fai.status
        if status is to:
            return
    outcome = {
        FaiStatus.APPROVED: Outcome.APPROVED,
        FaiStatus.SUPERSEDED: Outcome.APPROVED,
        FaiStatus.CONDITIONALLY_ACCEPTED: Outcome.CONDITIONALLY_ACCEPTED,
        FaiStatus.REJECTED: Outcome.REJECTED,
    }[to]
    demo_channels.decide(
        _as(ctx, QUALITY_ENGINEER),
        _as(ctx, QUALITY_MANAGER),
        _as(ctx, "demo-qms"),
        fai_id,
        outcome,
        decided_at,
        reason,
    )


def load(ctx: ServiceContext, progress: Progress | None = None) -> DemoSummary:
    """Create the demo plant; expects an empty database (codes would collide otherwise)."""
    report = progress or (lambda label, done, total: None)
    summary = DemoSummary()
    now = ctx.clock.now()
    rng = random.Random(2026)
    total_steps = 8

    report("sites and customers", 0, total_steps)
    wichita = catalog.create_site(ctx, code="WCH", name="Wichita", timezone="America/Chicago")
    toulouse = catalog.create_site(ctx, code="TLS", name="Toulouse", timezone="Europe/Paris")
    summary.sites = 2
    aero = catalog.create_customer(
        ctx,
        code="AEROPRIME",
        name="Aero Prime",
        channel=model.CustomerChannel.PORTAL,
        vendor_code="AP-55102",
    )
    orbital = catalog.create_customer(
        ctx,
        code="ORBITAL",
        name="Orbital Dynamics",
        channel=model.CustomerChannel.QMS,
        vendor_code="OD-7731",
    )
    northwind = catalog.create_customer(
        ctx,
        code="NORTHWIND",
        name="Northwind Rotorcraft",
        channel=model.CustomerChannel.SOURCE_INSPECTION,
        ships_on_conditional_acceptance=True,
    )
    helix = catalog.create_customer(
        ctx, code="HELIX", name="Helix Space", channel=model.CustomerChannel.EMAIL_PACKAGE
    )
    summary.customers = 4
    summary.users = create_demo_people(ctx)
    review.set_up(ctx, aero.code)
    demo_channels.configure_demo_channels(ctx)

    # Journey 1: bracket 7A1234-101 rev C for Aero Prime, 42 characteristics, NC on balloon 17.
    report("bracket 7A1234-101", 1, total_steps)
    bracket = catalog.create_part(ctx, number="7A1234-101", name="Bracket, mounting")
    rev_c = catalog.add_revision(
        ctx, bracket.id, revision="C", drawings=[catalog.DrawingSpec("7A1234", "C")]
    )
    specs = bracket_characteristics()
    catalog.add_characteristics(ctx, rev_c.id, "7A1234", specs)
    summary.parts += 1
    summary.characteristics += len(specs)
    wo = orders.create_work_order(
        ctx,
        site_id=wichita.id,
        number="WO-58812",
        part_revision_id=rev_c.id,
        quantity=10,
        customer_id=aero.id,
        router="RTR-7A1234-C",
        lot="L2026-311",
        purchase_order="PO-4471920",
        operations=[
            orders.OperationSpec(10, "Saw cut plate", "SAW-1"),
            orders.OperationSpec(20, "5-axis mill", "HMC-4"),
            orders.OperationSpec(30, "Deburr", "BENCH-2"),
            orders.OperationSpec(40, "Chemical film", None, True, "Precision Finishing Inc."),
            orders.OperationSpec(50, "Final inspection", "CMM-02"),
        ],
        serial_numbers=[f"SN{n:04d}" for n in range(1, 11)],
    )
    summary.work_orders += 1
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=wo.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part: first production run",
        fair_identifier="FAIR-WCH-2026-0042",
    )
    fai_id = fai.fai.id
    first_articles.transition(_as(ctx, QUALITY_ENGINEER), fai_id, FaiAction.START)
    measured = now - timedelta(days=12)
    results = _results_for(specs, measured, "SN0001", rng, {"17": Decimal("0.06")})
    first_articles.record_results(_as(ctx, INSPECTOR), fai_id, results)
    first_articles.add_evidence(
        ctx,
        fai_id,
        kind=model.EvidenceKind.TRAVELER_STEP,
        uri="https://mes.example-plant.com/travelers/WO-58812/ops/20",
        sha256="4f1c2a9e" * 8,
        title="Traveler WO-58812 op 20, 5-axis mill, signed",
    )
    first_articles.link_nonconformance(
        ctx,
        fai_id,
        kind=model.NonconformanceKind.NONCONFORMANCE,
        number="NC-30911",
        title="Hole position 0.06 vs 0.05",
        balloons=["17"],
    )
    # The QMS, not a person, says the NC is dispositioned and closed (it adopts the link).
    mirror.apply(
        ctx,
        "nonconformances",
        [
            NonconformanceRecord(
                "QMS-NC-30911",
                4,
                "WCH",
                "FAIR-WCH-2026-0042",
                "NC-30911",
                status=model.NonconformanceStatus.CLOSED,
                disposition=model.Disposition.REWORK,
                title="Hole position 0.06 vs 0.05",
                balloons=("17",),
            )
        ],
    )
    first_articles.record_results(
        _as(ctx, INSPECTOR),
        fai_id,
        [
            ResultInput(
                "17",
                measured + timedelta(days=2),
                model.ResultSource.DEVICE_IMPORT,
                value=Decimal("0.031"),
                units="mm",
                serial_number="SN0001",
                operator=OPERATOR,
                device="CMM-02 Zeiss Contura",
                source_reference="re-measure after rework NC-30911",
            )
        ],
    )
    _verify_manual(ctx, fai_id)
    _complete_form2(ctx, fai_id)
    _walk(ctx, fai_id, FaiStatus.APPROVED, decided_at=now - timedelta(days=3))
    summary.first_articles += 1
    summary.results += len(results) + 1

    # Journey 3: rev D released; the partial FAI is still a draft.
    report("bracket rev D (delta FAI)", 2, total_steps)
    rev_d = catalog.add_revision(
        ctx, bracket.id, revision="D", drawings=[catalog.DrawingSpec("7A1234", "D")]
    )
    specs_d = [s for s in specs if s.balloon != specs[-1].balloon]
    specs_d = [
        dataclasses.replace(s, upper_tolerance=Decimal("0.15"), lower_tolerance=Decimal("-0.15"))
        if s.balloon in {"1", "2"}
        else s
        for s in specs_d
    ]
    specs_d.append(
        Spec(
            "43",
            CT.DIMENSIONAL,
            nominal=Decimal("6.35"),
            upper_tolerance=Decimal("0.05"),
            lower_tolerance=Decimal("0"),
            units="mm",
            requirement="⌀6.35 +0.05/0 mm THRU",
            sheet="2",
            zone="B1",
        )
    )
    catalog.add_characteristics(ctx, rev_d.id, "7A1234", specs_d)
    summary.characteristics += len(specs_d)
    wo_d = orders.create_work_order(
        ctx,
        site_id=wichita.id,
        number="WO-59140",
        part_revision_id=rev_d.id,
        quantity=25,
        customer_id=aero.id,
        router="RTR-7A1234-D",
        purchase_order="PO-4473011",
        serial_numbers=[f"SN{n:04d}" for n in range(11, 16)],
    )
    summary.work_orders += 1
    first_articles.create_first_article(
        ctx,
        work_order_id=wo_d.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.PARTIAL,
        reason="Drawing change 7A1234 rev D: tolerances of 1 and 2, hole 43 added",
        balloons=["1", "2", "43"],
        baseline_part_number="7A1234-101",
        baseline_part_revision="C",
        baseline_fair_identifier="FAIR-WCH-2026-0042",
    )
    summary.first_articles += 1

    # Real QIF results: the QIF working group's sample part, with its failing characteristics.
    report("QIF sample part", 3, total_steps)
    summary_qif = qif_part(
        ctx,
        read_packaged_qif("QIF_Results_Sample.QIF"),
        toulouse,
        helix,
        "QM_X_123456",
        "Housing, QIF sample",
        "WO-T1001",
        now,
        1,
    )
    summary.parts += 1
    summary.characteristics += summary_qif[0]
    summary.results += summary_qif[1]
    summary.work_orders += 1
    summary.first_articles += 1

    report("sheet metal part, six serials", 4, total_steps)
    summary_sm = qif_part(
        ctx,
        read_packaged_qif("SheetMetal_QIF_Results_6_samples.QIF"),
        toulouse,
        northwind,
        "WMR-5802-1",
        "Wing mirror reinforcement",
        "WO-T1002",
        now,
        6,
    )
    summary.parts += 1
    summary.characteristics += summary_sm[0]
    summary.results += summary_sm[1]
    summary.work_orders += 1
    summary.first_articles += 1

    # A family of small parts that shows every remaining lifecycle status.
    report("lifecycle showcase", 5, total_steps)
    showcase = [
        (
            "7A2200-3",
            "Link, actuator",
            orbital,
            FaiStatus.REJECTED,
            "Balloon 9 tolerance transcribed as ±0.1 instead of ±0.01; contain shipped serials",
        ),
        ("7A2210-1", "Clevis", orbital, FaiStatus.SUBMITTED, ""),
        (
            "7A2220-5",
            "Spacer, flanged",
            northwind,
            FaiStatus.CONDITIONALLY_ACCEPTED,
            "Accepted pending surface finish re-verification on next lot",
        ),
        ("7A2230-2", "Bushing", aero, FaiStatus.INTERNALLY_APPROVED, ""),
        ("7A2240-7", "Shim set", aero, FaiStatus.PENDING_INTERNAL_REVIEW, ""),
        ("7A2250-4", "Cover plate", helix, FaiStatus.CANCELLED, "Program cancelled by customer"),
        ("7A5100-1", "Housing sub-assembly", aero, FaiStatus.APPROVED, ""),
    ]
    for index, (number, name, customer, status, reason) in enumerate(showcase):
        _small_part(
            ctx,
            toulouse if index % 2 else wichita,
            customer,
            number,
            name,
            status,
            reason,
            now - timedelta(days=30 - index),
            rng,
        )
        summary.parts += 1
        summary.characteristics += 8
        summary.results += 8
        summary.work_orders += 1
        summary.first_articles += 1

    # Journey 7: an urgent shipment of one unit of an FAI still in review, by override.
    _override_urgent_shipment(ctx, "7A2230-2", "7A2230-A-001", now)

    report("superseded FAI", 6, total_steps)
    old = _small_part(
        ctx,
        wichita,
        aero,
        "7A2260-1",
        "Pin, hinge",
        FaiStatus.APPROVED,
        "",
        now - timedelta(days=60),
        rng,
        revision="A",
    )
    newer = _small_part(
        ctx,
        wichita,
        aero,
        "7A2260-1",
        "Pin, hinge",
        FaiStatus.APPROVED,
        "",
        now - timedelta(days=20),
        rng,
        revision="B",
    )
    first_articles.transition(
        _as(ctx, QUALITY_MANAGER),
        old,
        FaiAction.SUPERSEDE,
        reason="Rev B FAI approved",
        superseded_by=_fair(ctx, newer),
    )
    # Releasing rev B raised a design-change trigger; the team found the full FAI enough.
    _decide_covered(ctx, newer)
    summary.parts += 1
    summary.characteristics += 16
    summary.results += 16
    summary.work_orders += 2
    summary.first_articles += 2

    # Journey 5: the assembly, not ready while its sub-assembly list is incomplete.
    report("assembly 7A5000-1", 7, total_steps)
    assembly = catalog.create_part(ctx, number="7A5000-1", name="Actuator assembly")
    rev = catalog.add_revision(
        ctx, assembly.id, revision="A", drawings=[catalog.DrawingSpec("7A5000", "A")]
    )
    asm_specs = [
        Spec(
            "1",
            CT.DIMENSIONAL,
            nominal=Decimal("210.0"),
            upper_tolerance=Decimal("0.5"),
            lower_tolerance=Decimal("-0.5"),
            units="mm",
            sheet="1",
            zone="B2",
        ),
        Spec(
            "2",
            CT.FUNCTIONAL_TEST,
            requirement="Stroke test per ATP-5000 rev B",
            sheet="1",
            zone="C1",
        ),
        Spec(
            "3", CT.SOFTWARE, requirement="Controller software 2.3.1 loaded", sheet="1", zone="D1"
        ),
    ]
    catalog.add_characteristics(ctx, rev.id, "7A5000", asm_specs)
    wo_a = orders.create_work_order(
        ctx,
        site_id=wichita.id,
        number="WO-60001",
        part_revision_id=rev.id,
        quantity=2,
        customer_id=aero.id,
        router="RTR-7A5000-A",
        serial_numbers=["A0001", "A0002"],
    )
    asm = first_articles.create_first_article(
        ctx,
        work_order_id=wo_a.id,
        fai_type=model.FaiType.ASSEMBLY,
        scope=model.FaiScope.FULL,
        reason="New assembly",
    )
    for entry in [
        ("7A1234-101", "Bracket, mounting", model.IndexPartType.DETAIL, "C", "FAIR-WCH-2026-0042"),
        ("7A2200-3", "Link, actuator", model.IndexPartType.DETAIL, "A", None),
        ("7A5100-1", "Housing sub-assembly", model.IndexPartType.SUB_ASSEMBLY, "A", None),
        ("MS27641-4", "Bearing, ball (COTS)", model.IndexPartType.COTS, None, None),
        ("SW-ACT-CTRL", "Controller software", model.IndexPartType.SOFTWARE, "2.3.1", None),
    ]:
        number, name, kind, revision, fair = entry
        first_articles.add_index_entry(
            ctx,
            asm.fai.id,
            part_number=number,
            part_name=name,
            part_type=kind,
            revision=revision,
            fair_identifier=fair,
        )
    first_articles.transition(_as(ctx, QUALITY_ENGINEER), asm.fai.id, FaiAction.START)
    summary.parts += 1
    summary.characteristics += len(asm_specs)
    summary.work_orders += 1
    summary.first_articles += 1
    classify_demo_parts(ctx)
    report("done", total_steps, total_steps)
    return summary


def _override_urgent_shipment(
    ctx: ServiceContext, part_number: str, serial: str, now: datetime
) -> None:
    """Two people sign a 24-hour override of a shipment hold for one serial."""
    part = catalog.part_by_number(ctx, part_number)
    revision_ids = {r.id for r in part.revisions}
    hold = next(
        h
        for h in holds.list_holds(ctx, status=HoldStatus.ACTIVE, limit=200).items
        if h.part_revision_id in revision_ids
    )
    override = holds.request_override(
        _as(ctx, QUALITY_MANAGER),
        hold.id,
        reason="AOG shipment to the customer's line; FAI approval expected within the week",
        expires_at=now + timedelta(hours=24),
        serial_numbers=[serial],
    )
    signer = _person(ctx, PROGRAM_MANAGER)
    nonce, _ = identity.issue_signing_nonce(signer)
    signatures.sign_override(signer, hold.id, override.id, nonce=nonce, password=DEMO_PASSWORD)


def _decide_covered(ctx: ServiceContext, fai_id: str) -> None:
    """Decide the open re-FAI evaluations of the FAI's revision: a new FAI covers them."""
    fai = first_articles.get_first_article(ctx, fai_id).fai
    page = triggers.list_triggers(
        ctx, part_revision_id=fai.part_revision_id, status=EvaluationStatus.OPEN
    )
    for view in page.items:
        triggers.decide_evaluation(
            _as(ctx, QUALITY_MANAGER),
            view.trigger.id,
            outcome=EvaluationOutcome.NONE,
            reason=f"Covered by the full FAI {fai.fair_identifier} of this revision.",
        )


def _fair(ctx: ServiceContext, fai_id: str) -> str:
    return first_articles.get_first_article(ctx, fai_id).fai.fair_identifier


def qif_part(
    ctx: ServiceContext,
    qif: QifResults,
    site: model.Site,
    customer: model.Customer,
    number: str,
    name: str,
    wo_number: str,
    now: datetime,
    serial_count: int,
) -> tuple[int, int, str]:
    """A part whose characteristics and results come from a real QIF Results file, and an FAI
    carrying the file's supplier code, PO, drawing, results and NC numbers; the counts of
    characteristics and results, and the FAI's id."""
    part = catalog.create_part(ctx, number=qif.part_number or number, name=qif.part_name or name)
    drawing = qif.drawing_number or f"{part.number}-DWG"
    rev = catalog.add_revision(
        ctx,
        part.id,
        revision=qif.part_revision or "A",
        drawings=[catalog.DrawingSpec(drawing, qif.drawing_revision or qif.part_revision or "A")],
    )
    specs = []
    for c in qif.characteristics:
        if c.lower_limit is None and c.upper_limit is None:
            continue  # reference dimensions carry no requirement to verify (AS9102 allows omitting)
        specs.append(
            Spec(
                balloon=c.balloon,
                ctype=CT.DIMENSIONAL,
                requirement=c.requirement_text,
                nominal=c.nominal,
                lower_limit=c.lower_limit,
                upper_limit=c.upper_limit,
                units=c.units or "mm",
                sheet=c.sheet,
                zone=c.zone,
                designator=_designator(c.criticality),
            )
        )
    catalog.add_characteristics(ctx, rev.id, drawing, specs)
    serials = list(qif.serials) or [f"{number}-S1"]
    wo = orders.create_work_order(
        ctx,
        site_id=site.id,
        number=wo_number,
        part_revision_id=rev.id,
        quantity=max(serial_count, 1),
        customer_id=customer.id,
        router=f"RTR-{part.number}",
        serial_numbers=serials,
    )
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=wo.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=serials,
        supplier_code=qif.supplier_code,
        purchase_order=qif.purchase_order_number,
    )
    first_articles.transition(_as(ctx, QUALITY_ENGINEER), fai.fai.id, FaiAction.START)
    kept = {s.balloon for s in specs}
    seen: set[tuple[str, str | None]] = set()
    inputs = []
    measured = now - timedelta(days=5)
    for actual in qif.actuals:
        key = (actual.balloon, actual.serial)
        if actual.balloon not in kept or actual.value is None or key in seen:
            continue
        seen.add(key)
        units = next(s.units for s in specs if s.balloon == actual.balloon)
        inputs.append(
            ResultInput(
                actual.balloon,
                actual.measured_at or measured,
                model.ResultSource.FILE_IMPORT,
                value=actual.value,
                units=units,
                serial_number=actual.serial or serials[0],
                device=actual.device,
                source_reference=qif.file_sha256,
            )
        )
    first_articles.record_results(_as(ctx, INSPECTOR), fai.fai.id, inputs)
    # The file's nonconformance numbers (Form 3 field 11) and the report itself as evidence.
    by_nc: dict[str, list[str]] = {}
    for actual in qif.actuals:
        if actual.nonconformance and actual.nonconformance != "NA" and actual.balloon in kept:
            balloons = by_nc.setdefault(actual.nonconformance, [])
            if actual.balloon not in balloons:
                balloons.append(actual.balloon)
    for nc_number, balloons in by_nc.items():
        first_articles.link_nonconformance(
            ctx,
            fai.fai.id,
            kind=model.NonconformanceKind.NONCONFORMANCE,
            number=nc_number,
            title=f"Nonconforming in QIF report {qif.report_number or ''}".rstrip(),
            balloons=balloons,
        )
    first_articles.add_evidence(
        ctx,
        fai.fai.id,
        kind=model.EvidenceKind.INSPECTION_REPORT,
        uri=f"urn:sha256:{qif.file_sha256}",
        sha256=qif.file_sha256,
        title=f"QIF Results report {qif.report_number or number}",
    )
    first_articles.add_form2_row(
        ctx,
        fai.fai.id,
        kind=model.Form2Kind.MATERIAL,
        name="Aluminium 6061-T6 bar",
        specification="AMS4117",
        supplier="Alcoa",
        customer_approval=model.CustomerApprovalVerification.NOT_APPLICABLE,
        certificate_number=f"MTR-{number}",
    )
    for kind in (model.Form2Kind.SPECIAL_PROCESS, model.Form2Kind.FUNCTIONAL_TEST):
        fai_coverage.state_none_applies(
            ctx, fai.fai.id, kind=kind, reason="The drawing calls for none (bare machined part)."
        )
    return len(specs), len(inputs), fai.fai.id


def _designator(criticality: str | None) -> model.CharacteristicDesignator | None:
    try:
        return model.CharacteristicDesignator((criticality or "").lower())
    except ValueError:
        return None


def _small_part(
    ctx: ServiceContext,
    site: model.Site,
    customer: model.Customer,
    number: str,
    name: str,
    status: FaiStatus,
    reason: str,
    when: datetime,
    rng: random.Random,
    revision: str = "A",
) -> str:
    """A part of eight characteristics whose FAI is walked to ``status``; returns the FAI id."""
    try:
        part = catalog.part_by_number(ctx, number)
    except NotFoundError:
        part = catalog.create_part(ctx, number=number, name=name)
    drawing = number.split("-")[0]
    rev = catalog.add_revision(
        ctx, part.id, revision=revision, drawings=[catalog.DrawingSpec(drawing, revision)]
    )
    specs = [
        Spec(
            str(i),
            CT.DIMENSIONAL,
            nominal=Decimal(rng.randrange(300, 9000)) / 100,
            upper_tolerance=Decimal("0.05") * (1 + i % 3),
            lower_tolerance=-Decimal("0.05") * (1 + i % 3),
            units="mm",
            sheet="1",
            zone=f"{'ABCD'[i % 4]}{i}",
            designator=D.KEY if i == 1 else None,
        )
        for i in range(1, 8)
    ] + [Spec("8", CT.NOTE, requirement="Passivate per AMS2700 Method 1", sheet="1", zone="A4")]
    catalog.add_characteristics(ctx, rev.id, drawing, specs)
    wo = orders.create_work_order(
        ctx,
        site_id=site.id,
        number=f"WO-{number}-{revision}",
        part_revision_id=rev.id,
        quantity=5,
        customer_id=customer.id,
        router=f"RTR-{drawing}-{revision}",
        serial_numbers=[f"{drawing}-{revision}-{n:03d}" for n in range(1, 6)],
    )
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=wo.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    )
    fai_id = fai.fai.id
    if status is FaiStatus.CANCELLED:
        first_articles.transition(
            _as(ctx, QUALITY_MANAGER), fai_id, FaiAction.CANCEL, reason=reason
        )
        return fai_id
    first_articles.transition(_as(ctx, QUALITY_ENGINEER), fai_id, FaiAction.START)
    serial = f"{drawing}-{revision}-001"
    first_articles.record_results(
        _as(ctx, INSPECTOR), fai_id, _results_for(specs, when, serial, rng)
    )
    _verify_manual(ctx, fai_id)
    first_articles.add_form2_row(
        ctx,
        fai_id,
        kind=model.Form2Kind.SPECIAL_PROCESS,
        name="Passivation",
        specification="AMS2700 Method 1",
        supplier="Metal Finishing Co.",
        customer_approval=model.CustomerApprovalVerification.YES,
        certificate_number=f"MFC-{rng.randrange(10000, 99999)}",
    )
    first_articles.add_form2_row(
        ctx,
        fai_id,
        kind=model.Form2Kind.MATERIAL,
        name="Stainless steel 17-4PH bar",
        specification="AMS5643",
        supplier="Carpenter Technology",
        customer_approval=model.CustomerApprovalVerification.NOT_APPLICABLE,
        certificate_number=f"MTR-{rng.randrange(100000, 999999)}",
    )
    fai_coverage.state_none_applies(
        ctx,
        fai_id,
        kind=model.Form2Kind.FUNCTIONAL_TEST,
        reason=f"Drawing {drawing} calls for no functional test.",
    )
    if status is not FaiStatus.IN_PROGRESS:
        _walk(ctx, fai_id, status, decided_at=when + timedelta(days=2), reason=reason)
    return fai_id

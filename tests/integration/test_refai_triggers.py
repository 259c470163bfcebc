"""Re-FAI triggers on a real database: from the mirrored PLM release to the evaluation, the
production hold, the team's decision and the partial FAI it pre-builds (journey 3); events
recorded by people; the two-year production lapse (journey 4)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from plant import Plant, a_plant, account_form2, an_fai, approve, as_, decide, sign

from firstarticle.domain import model
from firstarticle.domain.access import Principal, Role
from firstarticle.domain.errors import NotFoundError, ValidationError
from firstarticle.domain.holds import Decision, GateKind, HoldKind, HoldSource, HoldStatus
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.notifications import Topic
from firstarticle.domain.records import (
    DrawingRecord,
    NonconformanceRecord,
    OperationSpec,
    PartRevisionRecord,
    WorkOrderRecord,
)
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.domain.triggers import (
    EvaluationDecidedError,
    EvaluationOutcome,
    EvaluationStatus,
    EventNature,
    ReFaiTrigger,
    ResultBeforeChangeError,
)
from firstarticle.services import (
    ServiceContext,
    fai_export,
    first_articles,
    gate,
    holds,
    identity,
    mirror,
    notifications,
    orders,
    outbox,
    trigger_detection,
    triggers,
)
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.services.result_import import ResultImportRefusedError, import_results
from firstarticle.services.triggers import BaselineMissingError, WorkOrderMissingError
from firstarticle.storage import orm

DIM = model.CharacteristicType.DIMENSIONAL


def rev_d(version: int = 1) -> PartRevisionRecord:
    """PLM releases rev D of the plant's bracket: balloon 1's tolerance tightens, the note
    (balloon 2) is removed and a hole (balloon 3) is added."""
    specs = (
        Spec(
            "1",
            DIM,
            nominal=Decimal("25.00"),
            upper_tolerance=Decimal("0.03"),
            lower_tolerance=Decimal("-0.03"),
            units="mm",
            designator=model.CharacteristicDesignator.KEY,
            sheet="1",
            zone="B2",
        ),
        Spec(
            "3",
            DIM,
            nominal=Decimal("6.00"),
            upper_tolerance=Decimal("0.1"),
            lower_tolerance=Decimal("-0.1"),
            units="mm",
        ),
    )
    return PartRevisionRecord(
        "PLM-7A1234-101-D",
        version,
        "7A1234-101",
        "Bracket",
        "D",
        model.RevisionStatus.RELEASED,
        (DrawingRecord("7A1234", "D", characteristics=specs),),
    )


@pytest.fixture
def approved(ctx: ServiceContext) -> tuple[Plant, first_articles.FirstArticleDetail]:
    """The plant of journey 1 with its rev C FAI approved by the customer."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant)
    return plant, approve(ctx, fai.fai.id)


def design_triggers(ctx: ServiceContext) -> list[triggers.TriggerView]:
    page = triggers.list_triggers(ctx)
    return [v for v in page.items if v.trigger.kind is ReFaiTrigger.DESIGN_CHANGE]


def test_a_plm_release_raises_a_trigger_with_evaluation_and_hold_then_a_partial_fai(ctx, approved):
    """Journey 3 end to end: release -> trigger -> evaluation for the default team -> a
    production hold on rev D -> 'partial' -> hold released -> a partial FAI on the baseline
    holding exactly the added and changed characteristics, naming the trigger."""
    plant, baseline = approved
    report = mirror.apply(ctx, "part-revisions", [rev_d()])
    rev_d_id = report.lines[0].record_id
    [view] = design_triggers(ctx)
    trigger, evaluation = view.trigger, view.evaluation
    assert (trigger.site_id, trigger.part_revision_id, trigger.customer_id) == (
        plant.site.id,
        rev_d_id,
        plant.customer.id,
    )
    assert (trigger.before, trigger.after, trigger.source_record_id) == (
        "C",
        "D",
        "PLM-7A1234-101-D",
    )
    assert trigger.baseline_first_article_id == baseline.fai.id
    assert evaluation.status is EvaluationStatus.OPEN
    assert evaluation.team == ["quality_engineer", "manufacturing_engineer", "design_engineer"]
    hold = holds.get_hold(ctx, evaluation.hold_id or "")
    assert (hold.kind, hold.source, hold.status, hold.part_revision_id) == (
        HoldKind.PRODUCTION,
        HoldSource.REFAI_EVALUATION,
        HoldStatus.ACTIVE,
        rev_d_id,
    )

    work_order = orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-WCH-D1",
        part_revision_id=rev_d_id,
        quantity=2,
        customer_id=plant.customer.id,
        router="R-1",
        serial_numbers=["SN0101"],
    )
    production = gate.check(
        ctx,
        gate.GateRequest(
            site=plant.site.code,
            customer=plant.customer.code,
            part_number=plant.part.number,
            part_revision="D",
            kind=GateKind.PRODUCTION,
            serial_numbers=("SN0101",),
        ),
    )
    assert production.decision is Decision.DENY
    assert "hold_active" in {r.code for r in production.reasons}

    decided = triggers.decide_evaluation(
        as_(ctx, "q.manager"),
        trigger.id,
        outcome=EvaluationOutcome.PARTIAL,
        reason="Balloon 1 tightened and a hole added; the rest is unaffected.",
    )
    assert decided.evaluation.status is EvaluationStatus.DECIDED
    assert (decided.evaluation.outcome, decided.evaluation.decided_by) == (
        EvaluationOutcome.PARTIAL,
        "q.manager",
    )
    assert holds.get_hold(ctx, hold.id).status is HoldStatus.RELEASED

    partial = first_articles.get_first_article(ctx, decided.evaluation.first_article_id or "")
    fai = partial.fai
    assert (fai.scope, fai.status, fai.work_order_id) == (
        model.FaiScope.PARTIAL,
        FaiStatus.DRAFT,
        work_order.id,
    )
    assert (fai.baseline_part_number, fai.baseline_part_revision) == ("7A1234-101", "C")
    assert fai.baseline_fair_identifier == baseline.fai.fair_identifier
    assert fai.refai_trigger == ReFaiTrigger.DESIGN_CHANGE
    assert fai.reason.startswith("Design change: 7A1234-101 rev D released")
    assert sorted(line.char_no for line in partial.form3) == ["1", "3"]

    approve_partial(ctx, fai.id, {"1": "25.01", "3": "6.02"})
    allowed_now = gate.check(
        ctx,
        gate.GateRequest(
            site=plant.site.code,
            customer=plant.customer.code,
            part_number=plant.part.number,
            part_revision="D",
            kind=GateKind.PRODUCTION,
            serial_numbers=("SN0101",),
        ),
    )
    assert allowed_now.decision is Decision.ALLOW, allowed_now.reasons


def approve_partial(ctx: ServiceContext, fai_id: str, values: dict[str, str]) -> None:
    """Measure the partial's balloons (mm, on the CMM), sign fields 20 and 22, submit, and
    record the customer's approval."""
    first_articles.transition(ctx, fai_id, FaiAction.START)
    account_form2(ctx, fai_id)
    first_articles.record_results(
        as_(ctx, "inspector.a"),
        fai_id,
        [
            first_articles.ResultInput(
                balloon,
                ctx.clock.now(),
                model.ResultSource.DEVICE_IMPORT,
                value=Decimal(value),
                units="mm",
                device="CMM-1",
            )
            for balloon, value in values.items()
        ],
    )
    sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    first_articles.transition(as_(ctx, "q.manager"), fai_id, FaiAction.SUBMIT)
    decide(ctx, fai_id)


def test_an_evaluation_is_decided_once(ctx, approved):
    """A second decision is refused with evaluation_decided and changes nothing."""
    mirror.apply(ctx, "part-revisions", [rev_d()])
    [view] = design_triggers(ctx)
    triggers.decide_evaluation(
        ctx, view.trigger.id, outcome=EvaluationOutcome.NONE, reason="Label change only."
    )
    with pytest.raises(EvaluationDecidedError):
        triggers.decide_evaluation(
            ctx, view.trigger.id, outcome=EvaluationOutcome.FULL, reason="Second thoughts."
        )
    again = triggers.get_trigger(ctx, view.trigger.id)
    assert (again.evaluation.outcome, again.evaluation.first_article_id) == (
        EvaluationOutcome.NONE,
        None,
    )


def test_a_partial_needs_an_open_work_order_and_refusing_writes_nothing(ctx, approved):
    """No work order builds rev D yet: work_order_missing, the evaluation stays open and the
    hold stays on."""
    mirror.apply(ctx, "part-revisions", [rev_d()])
    [view] = design_triggers(ctx)
    with pytest.raises(WorkOrderMissingError) as refused:
        triggers.decide_evaluation(
            ctx, view.trigger.id, outcome=EvaluationOutcome.PARTIAL, reason="Delta needed."
        )
    assert refused.value.code == "work_order_missing"
    again = triggers.get_trigger(ctx, view.trigger.id)
    assert again.evaluation.status is EvaluationStatus.OPEN
    assert holds.get_hold(ctx, again.evaluation.hold_id or "").status is HoldStatus.ACTIVE


def test_the_same_plm_change_fed_a_thousand_times_raises_one_trigger(ctx, approved, connection):
    """The same release, resent under a thousand new source versions (each applied as an
    update) and detected again each time, raises one trigger, one evaluation, one hold."""
    for version in range(1, 1001):
        mirror.apply(ctx, "part-revisions", [rev_d(version)])
    count = connection.execute(sa.select(sa.func.count()).select_from(orm.refai_triggers))
    assert count.scalar_one() == 1
    evaluations = connection.execute(
        sa.select(sa.func.count()).select_from(orm.refai_evaluations)
    ).scalar_one()
    held = connection.execute(
        sa.select(sa.func.count())
        .select_from(orm.holds)
        .where(orm.holds.c.source == HoldSource.REFAI_EVALUATION)
    ).scalar_one()
    assert (evaluations, held) == (1, 1)


def test_a_release_of_a_part_without_an_approved_fai_raises_nothing(ctx):
    """Nothing approved to re-evaluate: the mirror applies the release and detects nothing."""
    a_plant(ctx)
    report = mirror.apply(ctx, "part-revisions", [rev_d()])
    assert report.counts["created"] == 1
    assert triggers.list_triggers(ctx).total == 0


def test_a_plm_account_of_one_site_raises_nothing_at_another(ctx, approved):
    """Detection stays within the sites the mirroring account works at; the release applies."""
    plm = ctx.as_principal(
        dataclasses.replace(
            Principal.trusted("plm-bot"), roles=frozenset({Role.SYSTEM_PLM}), site_ids=frozenset()
        )
    )
    report = mirror.apply(plm, "part-revisions", [rev_d()])
    assert report.counts["created"] == 1
    assert triggers.list_triggers(ctx).total == 0


# --- events recorded by people ---------------------------------------------------------------


def test_an_event_raises_one_trigger_however_often_it_is_recorded(ctx, approved):
    """A flood in the heat-treat bay, recorded twice: one 'event' trigger on rev C with the
    approved FAI as baseline; deciding 'partial' for it needs that baseline only."""
    plant, baseline = approved
    when = datetime(2026, 11, 18, 6, 30, tzinfo=UTC)
    first = triggers.record_event(
        ctx,
        site_id=plant.site.id,
        part_revision_id=plant.revision.id,
        customer_id=plant.customer.id,
        nature=EventNature.NATURAL,
        description="Flood in the heat-treat bay",
        occurred_at=when,
    )
    second = triggers.record_event(
        ctx,
        site_id=plant.site.id,
        part_revision_id=plant.revision.id,
        customer_id=plant.customer.id,
        nature=EventNature.NATURAL,
        description="Flood in the heat-treat bay",
        occurred_at=when,
    )
    assert first.trigger.id == second.trigger.id
    assert first.trigger.kind is ReFaiTrigger.EVENT
    assert first.trigger.baseline_first_article_id == baseline.fai.id
    assert triggers.list_triggers(ctx).total == 1


def test_an_event_without_an_approved_baseline_cannot_be_decided_partial(ctx):
    """No approved FAI of the configuration: 'partial' is refused with baseline_missing."""
    plant = a_plant(ctx)
    view = triggers.record_event(
        ctx,
        site_id=plant.site.id,
        part_revision_id=plant.revision.id,
        nature=EventNature.MAN_MADE,
        description="Fire in the paint shop",
        occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    with pytest.raises(BaselineMissingError) as refused:
        triggers.decide_evaluation(
            ctx, view.trigger.id, outcome=EvaluationOutcome.PARTIAL, reason="Re-check paint."
        )
    assert refused.value.code == "baseline_missing"


def test_a_trigger_of_another_site_is_not_found(ctx, approved):
    """A caller of another site neither sees nor decides it."""
    mirror.apply(ctx, "part-revisions", [rev_d()])
    [view] = design_triggers(ctx)
    outsider = ctx.as_principal(
        dataclasses.replace(Principal.trusted("elsewhere"), site_ids=frozenset({"other"}))
    )
    with pytest.raises(NotFoundError):
        triggers.get_trigger(outsider, view.trigger.id)
    assert triggers.list_triggers(outsider).total == 0


# --- the two-year production lapse (journey 4) ----------------------------------------------


def last_run(ctx: ServiceContext, plant: Plant, completed_at: datetime) -> None:
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-WCH-OLD",
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=plant.customer.id,
        operations=[OperationSpec(10, "Mill", "HMC-4", completed_at=completed_at)],
    )


def restart(ctx: ServiceContext, plant: Plant, number: str, starts_at: datetime) -> None:
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number=number,
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=plant.customer.id,
        starts_at=starts_at,
    )


def lapses(ctx: ServiceContext) -> list[triggers.TriggerView]:
    return [
        v
        for v in triggers.list_triggers(ctx).items
        if v.trigger.kind is ReFaiTrigger.PRODUCTION_LAPSE
    ]


def test_a_work_order_26_months_after_the_last_production_raises_a_lapse(ctx, approved):
    """Journey 4: the lapse trigger names the last production and the restart; a second
    restarting work order of the same lapse raises nothing new."""
    plant, baseline = approved
    last = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)
    last_run(ctx, plant, last)
    restart(ctx, plant, "WO-WCH-NEW", last + timedelta(days=790))
    restart(ctx, plant, "WO-WCH-NEW2", last + timedelta(days=791))
    [view] = lapses(ctx)
    assert view.trigger.before == last.isoformat()
    assert view.trigger.baseline_first_article_id == baseline.fai.id


@pytest.mark.parametrize(
    ("offset", "raised"),
    [(-timedelta(minutes=1), False), (timedelta(0), True), (timedelta(minutes=1), True)],
)
def test_the_lapse_boundary_on_the_site_clock(ctx, approved, offset, raised):
    """Wichita is on US Central time; last production Feb 29 2024 16:00 local: the restart at
    Feb 28 2026 16:00 local (22:00 UTC) is exactly two years."""
    plant, _ = approved
    with ctx.uow_factory() as uow:
        site = uow.sites.get(plant.site.id)
        assert site is not None
        site.timezone = "America/Chicago"
        uow.commit()
    last_run(ctx, plant, datetime(2024, 2, 29, 22, 0, tzinfo=UTC))
    restart(ctx, plant, "WO-WCH-NEW", datetime(2026, 2, 28, 22, 0, tzinfo=UTC) + offset)
    assert bool(lapses(ctx)) is raised


@pytest.mark.parametrize(
    ("restart_at", "raised"),
    [
        (datetime(2026, 3, 31, 11, 59, tzinfo=UTC), False),  # a minute short of 12 months
        (datetime(2026, 3, 31, 12, 0, tzinfo=UTC), True),
    ],
)
def test_a_customer_rule_of_twelve_months_raises_the_lapse_sooner(
    ctx, approved, restart_at, raised
):
    """The customer's contract asks for an evaluation after twelve months without production
    (last run March 31 2025, noon UTC on a UTC site): the restart a minute short of twelve
    months raises nothing, at twelve months a lapse that says so."""
    plant, _ = approved
    triggers.set_customer_rules(
        ctx, plant.customer.code, lapse_months=12, reason="Contract AC-7 clause 4.2"
    )
    last_run(ctx, plant, datetime(2025, 3, 31, 12, 0, tzinfo=UTC))
    restart(ctx, plant, "WO-WCH-NEW", restart_at)
    found = lapses(ctx)
    assert len(found) == int(raised)
    if raised:
        assert found[0].trigger.what.startswith("No production for 1 year before")


def test_a_customer_rule_can_only_shorten_the_lapse(ctx, approved, connection):
    """25 months, or none at all, is refused with its field; the rule is audited."""
    plant, _ = approved
    with pytest.raises(ValidationError) as refused:
        triggers.set_customer_rules(ctx, plant.customer.code, lapse_months=25, reason="x")
    assert refused.value.details["field"] == "lapse_months"
    customer = triggers.set_customer_rules(
        ctx, plant.customer.code, lapse_months=18, reason="Contract AC-7 clause 4.2"
    )
    assert customer.refai_lapse_months == 18
    actions = connection.execute(
        sa.select(orm.audit_entries.c.action).where(orm.audit_entries.c.record_id == customer.id)
    ).scalars()
    assert "customer.refai_rules_set" in list(actions)


def test_a_mirrored_work_order_with_its_start_raises_the_lapse(ctx, approved):
    """ERP's work order carries its planned start; MES completion times come on operations."""
    plant, _ = approved
    last_run(ctx, plant, datetime(2023, 1, 10, 8, 0, tzinfo=UTC))
    mirror.apply(
        ctx,
        "work-orders",
        [
            mirror.WorkOrderRecord(
                "ERP-WO-9",
                1,
                plant.site.code,
                "WO-58899",
                plant.part.number,
                "C",
                3,
                customer=plant.customer.code,
                starts_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC),
            )
        ],
    )
    [view] = lapses(ctx)
    assert view.trigger.after == "2026-12-01T06:00:00+00:00"


def test_detection_with_nothing_to_detect_returns_no_events(ctx):
    """A work order without a start, a revision in work: nothing detected, nothing fails."""
    plant = a_plant(ctx)
    with ctx.uow_factory() as uow:
        work_order = uow.work_orders.get(plant.work_order.id)
        assert work_order is not None
        assert trigger_detection.on_work_order(uow, ctx, work_order) == []
        part = uow.parts.get(plant.part.id)
        assert part is not None
        revision = part.revisions[0]
        revision.status = model.RevisionStatus.IN_WORK
        assert trigger_detection.on_revision_released(uow, ctx, part, revision) == []


# --- routing changes (journey 4, the moved heat treat) ---------------------------------------


def routed_order(ctx: ServiceContext, plant: Plant, number: str, heat_treater: str) -> str:
    return orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number=number,
        part_revision_id=plant.revision.id,
        quantity=2,
        customer_id=plant.customer.id,
        router="R-1",
        serial_numbers=[f"{number}-1"],
        operations=[
            OperationSpec(10, "Mill", "HMC-4"),
            OperationSpec(40, "Heat treat", None, True, heat_treater),
        ],
    ).id


def test_a_heat_treat_moved_to_another_supplier_raises_one_source_change(ctx):
    """The approved FAI was built with heat treat at Therm Inc.; the next work orders send it
    to Hot Works Ltd.: one source-change trigger, whatever the number of such orders."""
    plant = a_plant(ctx)
    built_on = routed_order(ctx, plant, "WO-WCH-R1", "Therm Inc.")
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=built_on,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=["WO-WCH-R1-1"],
    )
    approve(ctx, fai.fai.id)
    routed_order(ctx, plant, "WO-WCH-R2", "Hot Works Ltd.")
    routed_order(ctx, plant, "WO-WCH-R3", "Hot Works Ltd.")
    routed_order(ctx, plant, "WO-WCH-R4", "Therm Inc.")  # as approved: nothing
    changes = list(triggers.list_triggers(ctx).items)
    assert [(v.trigger.kind, v.trigger.before, v.trigger.after) for v in changes] == [
        (ReFaiTrigger.SOURCE_CHANGE, "Therm Inc.", "Hot Works Ltd.")
    ]
    assert changes[0].trigger.baseline_first_article_id == fai.fai.id


# --- corrective action (QMS) ------------------------------------------------------------------


def test_a_corrective_action_from_the_qms_raises_one_trigger_on_the_fai(ctx, approved):
    """The QMS names CAR-0077 on an NC of the approved FAI: a corrective-action trigger with
    that FAI as baseline; the next versions of the same NC raise nothing new."""
    plant, baseline = approved
    nc = NonconformanceRecord(
        "QMS-40001",
        1,
        plant.site.code,
        baseline.fai.fair_identifier,
        "NC-40001",
        balloons=("1",),
        corrective_action="CAR-0077",
    )
    mirror.apply(ctx, "nonconformances", [nc])
    mirror.apply(ctx, "nonconformances", [dataclasses.replace(nc, source_version=2)])
    [view] = [
        v
        for v in triggers.list_triggers(ctx).items
        if v.trigger.kind is ReFaiTrigger.CORRECTIVE_ACTION
    ]
    assert (view.trigger.after, view.trigger.source_record_id) == ("CAR-0077", "QMS-40001")
    assert view.trigger.baseline_first_article_id == baseline.fai.id
    assert view.trigger.part_revision_id == plant.revision.id


def test_an_nc_without_a_corrective_action_raises_nothing(ctx, approved):
    """Most NCs are dispositioned without a corrective action: no trigger."""
    plant, baseline = approved
    nc = NonconformanceRecord(
        "QMS-40002", 1, plant.site.code, baseline.fai.fair_identifier, "NC-40002"
    )
    mirror.apply(ctx, "nonconformances", [nc])
    assert triggers.list_triggers(ctx).total == 0


# --- results come from product made after the change -----------------------------------------


def test_a_result_measured_before_the_change_is_refused_with_the_dates(ctx, approved):
    """The partial FAI an event opened takes results measured after the event only: an older
    one is refused with result_before_change naming both times (an imported row with
    measured_before_change), a newer one is recorded."""
    plant, _ = approved
    occurred = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
    view = triggers.record_event(
        ctx,
        site_id=plant.site.id,
        part_revision_id=plant.revision.id,
        customer_id=plant.customer.id,
        nature=EventNature.NATURAL,
        description="Earthquake; machines re-levelled",
        occurred_at=occurred,
    )
    decided = triggers.decide_evaluation(
        ctx,
        view.trigger.id,
        outcome=EvaluationOutcome.PARTIAL,
        reason="Re-check the bore.",
        balloons=["1"],
    )
    fai_id = decided.evaluation.first_article_id or ""
    first_articles.transition(ctx, fai_id, FaiAction.START)

    def result(at: datetime) -> first_articles.ResultInput:
        return first_articles.ResultInput(
            "1",
            at,
            model.ResultSource.DEVICE_IMPORT,
            value=Decimal("25.01"),
            units="mm",
            device="CMM-1",
        )

    with pytest.raises(ResultBeforeChangeError) as refused:
        first_articles.record_results(ctx, fai_id, [result(occurred - timedelta(minutes=1))])
    assert refused.value.code == "result_before_change"
    assert refused.value.details["changed_at"] == occurred.isoformat()
    [recorded] = first_articles.record_results(ctx, fai_id, [result(occurred)])
    assert recorded.measured_at == occurred

    header = "balloon,serial_number,value,units,attribute,status,measured_at,operator,device\n"
    early = header + "1,SN0001,25.02,mm,,,2026-11-19T07:59:00Z,,CMM-1\n"
    with pytest.raises(ResultImportRefusedError) as import_refused:
        import_results(ctx, fai_id, early.encode(), name="early.csv")
    assert [i.code for i in import_refused.value.report.refused] == ["measured_before_change"]


def test_field_14_must_keep_naming_the_trigger_that_opened_the_fai(ctx, approved):
    """The pre-built partial names its trigger, so field 14 passes; reworded so that it no
    longer says why, it blocks the package until it does again."""
    plant, _ = approved
    rev_d_id = mirror.apply(ctx, "part-revisions", [rev_d()]).lines[0].record_id
    orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number="WO-WCH-D2",
        part_revision_id=rev_d_id,
        quantity=1,
        customer_id=plant.customer.id,
        serial_numbers=["SN0201"],
    )
    [view] = design_triggers(ctx)
    decided = triggers.decide_evaluation(
        ctx, view.trigger.id, outcome=EvaluationOutcome.PARTIAL, reason="Balloon 1 tightened."
    )
    fai_id = decided.evaluation.first_article_id or ""

    def field14_rules() -> set[str]:
        return {f.rule for f in fai_export.presubmission_check(ctx, fai_id)} & {
            "FIELD14_TRIGGER_NOT_NAMED",
            "FIELD14_PARTIAL_WITHOUT_TRIGGER",
            "FIELD14_BASELINE_MISSING",
        }

    assert field14_rules() == set()
    first_articles.update_first_article(ctx, fai_id, {"reason": "Customer asked for it"})
    assert field14_rules() == {"FIELD14_TRIGGER_NOT_NAMED"}
    first_articles.update_first_article(
        ctx, fai_id, {"reason": "Design change: rev D, balloon 1 tightened"}
    )
    assert field14_rules() == set()


def test_a_partial_fai_no_evaluation_opened_is_flagged_for_a_person(ctx, approved):
    plant, _ = approved
    partial = first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.PARTIAL,
        reason="Some change",
        balloons=["1"],
        baseline_part_number=plant.part.number,
        baseline_part_revision="C",
    )
    findings = {f.rule: f for f in fai_export.presubmission_check(ctx, partial.fai.id)}
    assert not findings["FIELD14_PARTIAL_WITHOUT_TRIGGER"].blocking


# --- what a routing operation is made with (ERP/MES routing mirror) ---------------------------


def mirrored_order(
    plant: Plant,
    number: str,
    version: int,
    produces: tuple[str, ...] = ("1",),
    work_center: str = "HMC-4",
    supplier: str | None = None,
    **made_with: str,
) -> WorkOrderRecord:
    """ERP's work order for the plant's configuration with a 5-axis mill operation that
    produces balloon 1 (its inspection plan)."""
    mill: dict[str, object] = {
        "tooling": "FIX-0042",
        "material": "AL 7075-T7351",
        "nc_program": "P7A1234_r3.nc",
        "balloons": produces,
    }
    mill |= {"inspection_method": "CMM program CMM-7A1234 rev B"} | made_with
    return WorkOrderRecord(
        f"ERP-{number}",
        version,
        plant.site.code,
        number,
        plant.part.number,
        plant.revision.revision,
        2,
        customer=plant.customer.code,
        serial_numbers=(f"{number}-1",),
        operations=(
            OperationSpec(20, "5-axis mill", work_center, False, supplier, **mill),  # type: ignore[arg-type]
        ),
    )


def approved_on_mirrored_order(
    ctx: ServiceContext, plant: Plant, number: str, produces: tuple[str, ...] = ("1",)
) -> model.WorkOrder:
    """ERP's work order ``number`` mirrored, and a full FAI of its first serial approved."""
    mirror.apply(ctx, "work-orders", [mirrored_order(plant, number, 1, produces)])
    built_on = orders.work_order_by_number(ctx, plant.site.id, number)
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=built_on.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=[f"{number}-1"],
    )
    approve(ctx, fai.fai.id)
    return built_on


@pytest.mark.parametrize(
    ("field", "after", "kind"),
    [
        ("tooling", "FIX-0043", ReFaiTrigger.TOOLING_CHANGE),
        ("material", "AL 7050-T7451", ReFaiTrigger.MATERIAL_CHANGE),
        ("nc_program", "P7A1234_r4.nc", ReFaiTrigger.NC_PROGRAM_CHANGE),
        ("inspection_method", "Height gauge", ReFaiTrigger.INSPECTION_METHOD_CHANGE),
    ],
)
def test_a_mirrored_routing_change_of_what_an_operation_is_made_with_raises_its_trigger(
    ctx, field, after, kind
):
    """The approved FAI was built to one fixture, material, NC program and inspection method;
    ERP's next work order changes one of them (and sends it again and again): one trigger of
    that kind with before and after, an evaluation, and a production hold; the gate denies
    production of the configuration until the evaluation is signed."""
    plant = a_plant(ctx)
    built_on = approved_on_mirrored_order(ctx, plant, "WO-MW-1")
    assert built_on.operations[0].nc_program == "P7A1234_r3.nc"
    changed = mirrored_order(plant, "WO-MW-2", 1, **{field: after})
    for version in range(1, 6):
        mirror.apply(ctx, "work-orders", [dataclasses.replace(changed, source_version=version)])
    [view] = triggers.list_triggers(ctx).items
    before = mirrored_order(plant, "x", 1).operations[0].made_with()[field]
    assert (view.trigger.kind, view.trigger.before, view.trigger.after) == (kind, before, after)
    assert view.evaluation.status is EvaluationStatus.OPEN
    assert holds.get_hold(ctx, view.evaluation.hold_id).status is HoldStatus.ACTIVE
    asked = gate.GateRequest(
        site=plant.site.code,
        customer=plant.customer.code,
        part_number=plant.part.number,
        part_revision=plant.revision.revision,
        kind=GateKind.PRODUCTION,
        serial_numbers=("WO-MW-2-1",),
    )
    denied = gate.check(ctx, asked)
    assert "hold_active" in {r.code for r in denied.reasons}
    triggers.decide_evaluation(
        ctx, view.trigger.id, outcome=EvaluationOutcome.NONE, reason="Equivalent, see ER-12"
    )
    assert holds.get_hold(ctx, view.evaluation.hold_id).status is HoldStatus.RELEASED
    assert "hold_active" not in {r.code for r in gate.check(ctx, asked).reasons}


def test_an_opened_evaluation_is_announced_to_its_team_only(ctx, approved):
    """Quality engineers subscribed to opened evaluations hear of one (they are on the default
    team); shipping clerks subscribed to the same topic do not (they are not); the message
    carries ids and the trigger kind, never the evidence's texts."""
    plant, _ = approved
    for username, role in (("qe.team", Role.QUALITY_ENGINEER), ("ship.clerk", Role.SHIPPING)):
        identity.create_user(
            ctx,
            username=username,
            printed_name=username,
            roles=[role],
            sites=[plant.site.code],
            email=f"{username}@plant.example",
        )
        notifications.subscribe(
            ctx, site_id=plant.site.id, topic=Topic.EVALUATION_OPENED, role=role.value
        )
    mirror.apply(ctx, "part-revisions", [rev_d()])
    [view] = design_triggers(ctx)
    sent = [m for m in outbox.list_messages(ctx, limit=200).items if m.record_id == view.trigger.id]
    assert [m.destination for m in sent] == ["qe.team@plant.example"]
    data = sent[0].payload["data"]
    assert data["kind"] == "design_change"
    assert data["evaluation_id"] == view.evaluation.id
    assert sent[0].payload["link"].endswith(f"/web/triggers/{view.trigger.id}")
    assert "what" not in data
    assert "before" not in data


# --- a corrective-action partial clears its baseline's NC at the gate ---------------------


def shipment_of(plant: Plant, serial: str) -> gate.GateRequest:
    return gate.GateRequest(
        site=plant.site.code,
        customer=plant.customer.code,
        part_number=plant.part.number,
        part_revision=plant.revision.revision,
        kind=GateKind.SHIPMENT,
        serial_numbers=(serial,),
    )


def corrective_action_on(plant: Plant, fair: str, number: str, balloons: tuple[str, ...]):
    return NonconformanceRecord(
        f"QMS-{number}",
        1,
        plant.site.code,
        fair,
        number,
        balloons=balloons,
        corrective_action=f"CAR-{number}",
    )


def corrective_trigger(ctx: ServiceContext) -> triggers.TriggerView:
    [view] = [
        v
        for v in triggers.list_triggers(ctx).items
        if v.trigger.kind is ReFaiTrigger.CORRECTIVE_ACTION
    ]
    return view


@pytest.mark.parametrize(("other_nc", "cleared"), [(None, True), ("2", False)])
def test_an_approved_corrective_action_partial_clears_the_nc_it_re_inspected(
    ctx, approved, other_nc, cleared
):
    """The QMS names a corrective action on NC-40003 of the approved FAI (balloon 1): the
    gate denies on the open NC; the team decides a partial, which starts with balloon 1
    only, is re-inspected and approved; NC-40003 no longer stops the product and the allow
    says which partial cleared it. Another open NC on balloon 2, which the partial did not
    re-inspect, still stops it."""
    plant, baseline = approved
    fair = baseline.fai.fair_identifier
    mirror.apply(ctx, "nonconformances", [corrective_action_on(plant, fair, "NC-40003", ("1",))])
    if other_nc:
        mirror.apply(
            ctx,
            "nonconformances",
            [
                NonconformanceRecord(
                    "QMS-40004", 1, plant.site.code, fair, "NC-40004", balloons=(other_nc,)
                )
            ],
        )
    assert "open_nonconformance" in {
        r.code for r in gate.check(ctx, shipment_of(plant, "SN0001")).reasons
    }
    decided = triggers.decide_evaluation(
        ctx,
        corrective_trigger(ctx).trigger.id,
        outcome=EvaluationOutcome.PARTIAL,
        reason="Re-inspect balloon 1 on product made after the corrective action.",
    )
    partial_id = decided.evaluation.first_article_id or ""
    on_form3 = {
        row.characteristic_id for row in first_articles.get_first_article(ctx, partial_id).fai.form3
    }
    assert on_form3 == {c.id for c in plant.revision.characteristics if c.balloon == "1"}
    partial = approve(ctx, partial_id).fai
    answer = gate.check(ctx, shipment_of(plant, "SN0001"))
    codes = {r.code: r for r in answer.reasons}
    if cleared:
        assert answer.decision is Decision.ALLOW
        assert partial.fair_identifier in codes["nonconformance_cleared"].message
    else:
        assert answer.decision is Decision.DENY
        assert "NC-40004" in codes["open_nonconformance"].message


def test_a_corrective_action_on_an_nc_naming_no_characteristic_cannot_be_decided_partial(
    ctx, approved
):
    """Nothing says what to re-inspect: refused with its code, the evaluation stays open."""
    plant, baseline = approved
    mirror.apply(
        ctx,
        "nonconformances",
        [corrective_action_on(plant, baseline.fai.fair_identifier, "NC-40005", ())],
    )
    view = corrective_trigger(ctx)
    with pytest.raises(triggers.NothingToReinspectError) as refused:
        triggers.decide_evaluation(
            ctx, view.trigger.id, outcome=EvaluationOutcome.PARTIAL, reason="Re-inspect"
        )
    assert refused.value.code == "nothing_to_reinspect"
    assert triggers.get_trigger(ctx, view.trigger.id).evaluation.status is EvaluationStatus.OPEN


@pytest.mark.parametrize(("produces", "partial_on"), [(("1",), {"1"}), ((), None)])
def test_a_process_change_partial_starts_with_what_the_changed_operation_produces(
    ctx, produces, partial_on
):
    """Operation 20 (producing balloon 1) gets a new NC program: the team decides a partial,
    which starts with balloon 1 alone, is inspected and approved, and the gate allows the new
    work order's serial. An operation that lists nothing it produces cannot be decided
    partial (nothing_to_reinspect): the team decides full instead."""
    plant = a_plant(ctx)
    built_on = approved_on_mirrored_order(ctx, plant, "WO-PC-1", produces)
    assert built_on.operations[0].balloons == list(produces)
    changed = mirrored_order(plant, "WO-PC-2", 1, produces, nc_program="P7A1234_r4.nc")
    mirror.apply(ctx, "work-orders", [changed])
    [view] = triggers.list_triggers(ctx).items
    work_order_id = orders.work_order_by_number(ctx, plant.site.id, "WO-PC-2").id
    if partial_on is None:
        with pytest.raises(triggers.NothingToReinspectError):
            triggers.decide_evaluation(
                ctx,
                view.trigger.id,
                outcome=EvaluationOutcome.PARTIAL,
                reason="New NC program",
                work_order_id=work_order_id,
            )
        return
    decided = triggers.decide_evaluation(
        ctx,
        view.trigger.id,
        outcome=EvaluationOutcome.PARTIAL,
        reason="The new NC program re-proves the milled bore.",
        work_order_id=work_order_id,
    )
    partial_id = decided.evaluation.first_article_id or ""
    form3 = first_articles.get_first_article(ctx, partial_id).fai.form3
    balloons = {c.id: c.balloon for c in plant.revision.characteristics}
    assert {balloons[row.characteristic_id] for row in form3} == partial_on
    approve(ctx, partial_id)
    answer = gate.check(ctx, shipment_of(plant, "WO-PC-2-1"))
    assert answer.decision is Decision.ALLOW, answer.reasons


ROUTING_CHANGES = {
    ReFaiTrigger.PROCESS_CHANGE: {"work_center": "HMC-7"},
    ReFaiTrigger.SOURCE_CHANGE: {"supplier": "Precision Mill Co."},
    ReFaiTrigger.TOOLING_CHANGE: {"tooling": "FIX-0043"},
    ReFaiTrigger.MATERIAL_CHANGE: {"material": "AL 7050-T7451"},
    ReFaiTrigger.NC_PROGRAM_CHANGE: {"nc_program": "P7A1234_r4.nc"},
    ReFaiTrigger.INSPECTION_METHOD_CHANGE: {"inspection_method": "Bore gauge BG-12"},
}


@pytest.mark.parametrize("kind", [*ROUTING_CHANGES, "event", "production_lapse"])
def test_each_trigger_kind_ends_in_a_partial_fai_the_gate_counts(ctx, kind):
    """For each kind: the change -> its trigger with an open evaluation and a production
    hold -> 'partial' (with the team's balloon 1 where the change names none) -> a partial
    FAI on the approved baseline holding balloon 1 -> measured, signed, approved -> the gate
    allows the serial it was built for. (Design changes and corrective actions: the tests
    above.)"""
    plant = a_plant(ctx)
    built_on = approved_on_mirrored_order(ctx, plant, "WO-K-1")
    added: list[str] = []
    if kind in ROUTING_CHANGES:
        changed = mirrored_order(plant, "WO-K-2", 1, **ROUTING_CHANGES[kind])
        mirror.apply(ctx, "work-orders", [changed])
        work_order_id, serial = (
            orders.work_order_by_number(ctx, plant.site.id, "WO-K-2").id,
            ("WO-K-2-1"),
        )
    elif kind == "event":
        triggers.record_event(
            ctx,
            site_id=plant.site.id,
            part_revision_id=plant.revision.id,
            customer_id=plant.customer.id,
            nature=EventNature.MAN_MADE,
            description="Fire in the heat-treat bay",
            occurred_at=ctx.clock.now(),
        )
        work_order_id, serial, added = built_on.id, "WO-K-1-1", ["1"]
    else:
        # MES reports WO-K-1's mill completed 800 days ago; WO-K-3 restarts now.
        long_ago = ctx.clock.now() - timedelta(days=800)
        ran = mirrored_order(plant, "WO-K-1", 2, completed_at=long_ago)  # type: ignore[arg-type]
        mirror.apply(ctx, "work-orders", [ran])
        restart(ctx, plant, "WO-K-3", ctx.clock.now())
        work_order_id, serial, added = built_on.id, "WO-K-1-1", ["1"]
    [view] = triggers.list_triggers(ctx).items
    assert view.trigger.kind == kind
    assert view.evaluation.status is EvaluationStatus.OPEN
    assert holds.get_hold(ctx, view.evaluation.hold_id or "").status is HoldStatus.ACTIVE
    decided = triggers.decide_evaluation(
        ctx,
        view.trigger.id,
        outcome=EvaluationOutcome.PARTIAL,
        reason="Re-prove the bore on product made after the change.",
        work_order_id=work_order_id,
        balloons=added,
    )
    partial_id = decided.evaluation.first_article_id or ""
    partial = first_articles.get_first_article(ctx, partial_id)
    assert [line.char_no for line in partial.form3] == ["1"]
    approve_partial(ctx, partial_id, {"1": "25.01"})
    answer = gate.check(ctx, shipment_of(plant, serial))
    assert answer.decision is Decision.ALLOW, answer.reasons

"""The FAI record on a real database: round trips, exact decimals, all-or-nothing writes."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import pytest
import sqlalchemy as sa
from plant import a_plant, an_fai, as_, complete_results, decide, sign

from firstarticle.domain import model
from firstarticle.domain.errors import ConflictError, NotFoundError, ValidationError
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import catalog, first_articles, orders
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.services.first_articles import ResultInput
from firstarticle.storage import orm


def count(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_an_fai_and_everything_it_owns_survive_a_round_trip(ctx, connection):
    """Form 1, 2 and 3 content, results, NC links and evidence read back as written."""
    plant = a_plant(ctx, serials=("SN1", "SN2"))
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=["SN1", "SN2"],
        additional_changes="ECO-1182 built in",
    )
    fai_id = fai.fai.id
    first_articles.add_form2_row(
        ctx,
        fai_id,
        kind=model.Form2Kind.MATERIAL,
        name="7075-T7351",
        certificate_number="MTR-1",
        customer_approval=model.CustomerApprovalVerification.YES,
    )
    first_articles.update_form3_row(ctx, fai_id, "1", tooling="GAUGE-7", comments="2X")
    now = ctx.clock.now()
    first_articles.record_results(
        ctx,
        fai_id,
        [
            ResultInput(
                "1",
                now,
                model.ResultSource.DEVICE_IMPORT,
                value=Decimal("25.0499999999"),
                units="mm",
                serial_number="SN2",
                device="CMM-2",
                operator="op.1",
            ),
        ],
    )
    first_articles.link_nonconformance(
        ctx,
        fai_id,
        kind=model.NonconformanceKind.DEVIATION,
        number="DEV-7",
        balloons=["1"],
    )
    first_articles.add_evidence(
        ctx,
        fai_id,
        kind=model.EvidenceKind.TRAVELER_STEP,
        uri="https://mes.example/trav/1",
        sha256="AB" * 32,
        title="Op 10",
    )

    detail = first_articles.first_article_by_fair(ctx, fai.fai.fair_identifier)

    assert detail.fai.additional_changes == "ECO-1182 built in"
    assert [u.serial_number for u in detail.fai.units] == ["SN1", "SN2"]
    assert detail.fai.form2[0].customer_approval is model.CustomerApprovalVerification.YES
    line = next(line for line in detail.form3 if line.char_no == "1")
    assert line.tooling == "GAUGE-7"
    assert line.results[0].value == Decimal("25.0499999999")
    assert line.results[0].serial_number == "SN2"
    assert line.results[0].measured_at.tzinfo is not None
    assert detail.fai.nonconformances[0].characteristic_ids == [line.characteristic_id]
    assert detail.fai.evidence[0].sha256 == "ab" * 32
    assert detail.form1.organization_name == "Plant WCH"
    assert detail.form1.supplier_code == "AP-1"


def test_decimal_values_are_stored_exactly_on_every_database(ctx):
    """A requirement limit with many digits comes back digit for digit, never via float."""
    plant = a_plant(ctx)
    catalog.add_characteristics(
        ctx,
        plant.revision.id,
        "7A1234",
        [
            Spec(
                "3",
                model.CharacteristicType.DIMENSIONAL,
                nominal=Decimal("0.100000000001"),
                upper_tolerance=Decimal("0.000000000001"),
                lower_tolerance=Decimal("0"),
                units="in",
            )
        ],
    )
    revision = catalog.get_revision(ctx, plant.revision.id)
    c = next(c for c in revision.characteristics if c.balloon == "3")
    assert c.requirement.upper_limit == Decimal("0.100000000002")
    assert str(c.requirement.nominal) == "0.100000000001"


def test_timestamps_come_back_timezone_aware_in_utc(ctx):
    """Server times are stored and read as UTC."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant)
    stored = first_articles.get_first_article(ctx, fai.fai.id).fai
    assert stored.created_at == ctx.clock.now()
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == UTC.utcoffset(None)


def test_one_bad_result_in_a_batch_writes_none_of_them(ctx, connection):
    """Results are recorded all or none."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant)
    before = count(connection, orm.inspection_results)
    now = ctx.clock.now()
    with pytest.raises(ValidationError):
        first_articles.record_results(
            ctx,
            fai.fai.id,
            [
                ResultInput(
                    "1", now, model.ResultSource.DEVICE_IMPORT, value=Decimal("25"), units="mm"
                ),
                ResultInput(
                    "1", now, model.ResultSource.DEVICE_IMPORT, value=Decimal("25"), units="kg"
                ),
            ],
        )
    assert count(connection, orm.inspection_results) == before


def test_a_duplicate_site_code_is_a_conflict_and_writes_nothing(ctx, connection):
    """Creating a site twice is refused with ConflictError; the audit log gains nothing."""
    catalog.create_site(ctx, code="WCH", name="Wichita")
    audit_before = count(connection, orm.audit_entries)
    with pytest.raises(ConflictError):
        catalog.create_site(ctx, code="wch", name="Wichita again")
    assert count(connection, orm.sites) == 1
    assert count(connection, orm.audit_entries) == audit_before


def test_every_change_writes_an_audit_entry_in_the_same_transaction(ctx):
    """Creation, results, transitions: each leaves an entry naming actor and change."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant)
    first_articles.transition(ctx, fai.fai.id, FaiAction.START)
    complete_results(ctx, fai.fai.id)
    trail = first_articles.audit_trail(ctx, fai.fai.id)
    actions = [entry["action"] for entry in trail]
    assert actions[0] == "first_article.created"
    assert "fai.start" in actions
    assert actions.count("result.recorded") == 2
    assert "result.verified" in actions
    start = next(e for e in trail if e["action"] == "fai.start")
    assert start["actor"] == "q.engineer"
    assert start["changes"]["status"] == ["draft", "in_progress"]


def test_a_stale_write_to_an_fai_is_refused_as_a_conflict(ctx, connection, application):
    """Optimistic locking: a change based on an old version of the FAI is refused."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant)
    with application.uow() as uow:
        stored = uow.first_articles.get(fai.fai.id)
        connection.execute(
            sa.update(orm.first_articles)
            .where(orm.first_articles.c.id == fai.fai.id)
            .values(version=orm.first_articles.c.version + 1)
        )
        stored.comments = "edited on a stale copy"
        stored.touch(ctx.clock.now())
        with pytest.raises(ConflictError):
            uow.commit()


def test_fair_identifiers_are_numbered_per_site_and_year(ctx):
    """Generated FAIR identifiers read FAIR-SITE-YEAR-NNNN and count up."""
    plant = a_plant(ctx)
    first = an_fai(ctx, plant).fai.fair_identifier
    second = an_fai(ctx, plant).fai.fair_identifier
    assert (first, second) == ("FAIR-WCH-2026-0001", "FAIR-WCH-2026-0002")


def test_the_database_refuses_a_result_with_both_value_and_attribute(ctx, connection):
    """The check constraint backs the domain rule: a value or an attribute, not both."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant)
    char_id = plant.revision.characteristics[0].id
    now = ctx.clock.now()
    with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
        connection.execute(
            sa.insert(orm.inspection_results).values(
                site_id=plant.site.id,
                id="r-1",
                first_article_id=fai.fai.id,
                characteristic_id=char_id,
                value=Decimal("1"),
                attribute="accept",
                units="mm",
                source="manual_entry",
                measured_at=now,
                recorded_by="x",
                recorded_at=now,
            )
        )


def test_releasing_a_new_revision_makes_the_previous_one_obsolete(ctx):
    """PLM releases one revision at a time."""
    plant = a_plant(ctx)
    catalog.add_revision(
        ctx, plant.part.id, revision="D", drawings=[catalog.DrawingSpec("7A1234", "D")]
    )
    part = catalog.get_part(ctx, plant.part.id)
    statuses = {r.revision: r.status for r in part.revisions}
    assert statuses == {"C": model.RevisionStatus.OBSOLETE, "D": model.RevisionStatus.RELEASED}
    assert part.released_revision is not None
    assert part.released_revision.revision == "D"


def test_an_unknown_work_order_is_not_found(ctx):
    """Referencing a record that does not exist raises NotFoundError."""
    with pytest.raises(NotFoundError):
        first_articles.create_first_article(
            ctx,
            work_order_id="nope",
            fai_type=model.FaiType.DETAIL,
            scope=model.FaiScope.FULL,
            reason="x",
        )


def test_a_serial_number_repeats_only_across_work_orders(ctx):
    """Serials are unique within a work order."""
    plant = a_plant(ctx)
    with pytest.raises(ConflictError):
        orders.add_serials(ctx, plant.work_order.id, ["SN0001"])


def test_lists_filter_by_site_and_status_and_page(ctx):
    """FAI lists filter and paginate, reporting the total."""
    plant = a_plant(ctx)
    ids = [an_fai(ctx, plant).fai.id for _ in range(3)]
    first_articles.transition(ctx, ids[0], FaiAction.START)
    page = first_articles.list_first_articles(ctx, site_id=plant.site.id, limit=2)
    assert (page.total, len(page.items)) == (3, 2)
    started = first_articles.list_first_articles(ctx, status=FaiStatus.IN_PROGRESS)
    assert [f.id for f in started.items] == [ids[0]]
    with pytest.raises(ValidationError):
        first_articles.list_first_articles(ctx, limit=10_000)


def test_the_whole_lifecycle_runs_on_the_database(ctx, clock):
    """Draft to approved through the services, with signatures by different people."""
    plant = a_plant(ctx)
    fai_id = an_fai(ctx, plant).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    complete_results(ctx, fai_id)
    sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    first_articles.transition(as_(ctx, "q.manager"), fai_id, FaiAction.SUBMIT)
    clock.advance(days=1)
    detail = decide(ctx, fai_id, "approved")
    assert detail.fai.status is FaiStatus.APPROVED
    assert detail.fai.submission_attempt == 1
    assert detail.form1.customer_decision is not None
    assert detail.form1.documented_nonconformances is False

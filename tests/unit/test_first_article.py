"""The FirstArticle aggregate and the records it owns (firstarticle.domain.model, forms)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from builders import (
    INSPECTOR,
    NOW,
    OPERATOR,
    RECORDER,
    SITE_ID,
    a_characteristic,
    a_note,
    a_ready_world,
    a_released_part_with,
    a_result,
    a_work_order,
    an_evidence,
    an_fai,
    an_nc,
    another_revision_of,
    at,
    record,
)

from firstarticle.domain import forms, model
from firstarticle.domain.errors import (
    ConflictError,
    NotFoundError,
    UnitMismatchError,
    ValidationError,
)
from firstarticle.domain.lifecycle import EDITABLE_STATUSES, FaiAction, FaiStatus
from firstarticle.domain.values import AttributeResult, Conformance

MANUAL = model.ResultSource.MANUAL_ENTRY
NCS = model.NonconformanceStatus
C, NC = Conformance.CONFORMING, Conformance.NONCONFORMING
NOT_EDITABLE = sorted(set(FaiStatus) - EDITABLE_STATUSES)


def a_world_without_results(serials=("SN-001",)):
    """A released 2-characteristic part, a work order and an in-progress FAI, no results."""
    released = a_released_part_with(2)
    work_order = a_work_order(released.revision.id, serials=serials)
    fai = an_fai(released, work_order)
    return released, work_order, fai


# --- Form 1 field 19: documented nonconformances, derived -----------------------------------


def test_field_19_is_no_when_every_latest_result_conforms_and_no_nc_is_linked():
    """All results conforming and no NC: the FAIR contains no documented nonconformance."""
    world = a_ready_world()
    assert world.fai.has_documented_nonconformances(world.characteristics) is False


def test_field_19_is_yes_when_a_latest_result_is_nonconforming():
    """A nonconforming latest result is a nonconformance, NC number or not."""
    world = a_ready_world()
    c1 = world.released.characteristics[0]
    record(world.fai, c1, "10.06", serial=world.serial("SN-001"), measured_at=at(10))
    assert world.fai.has_documented_nonconformances(world.characteristics) is True


def test_field_19_is_yes_while_an_nc_is_open():
    """An open NC keeps field 19 Yes even when every result conforms."""
    world = a_ready_world()
    an_nc(world.fai, world.released.characteristics[0], status=NCS.OPEN)
    assert world.fai.has_documented_nonconformances(world.characteristics) is True


def test_field_19_is_yes_with_a_closed_use_as_is_nc():
    """Use-as-is leaves the product nonconforming by design: field 19 stays Yes when closed."""
    world = a_ready_world()
    c1 = world.released.characteristics[0]
    record(world.fai, c1, "10.06", serial=world.serial("SN-001"), measured_at=at(10))
    an_nc(world.fai, c1, status=NCS.CLOSED, disposition=model.Disposition.USE_AS_IS)
    assert world.fai.has_documented_nonconformances(world.characteristics) is True


@pytest.mark.parametrize("disposition", [model.Disposition.USE_AS_IS, model.Disposition.REPAIR])
def test_field_19_stays_yes_after_a_non_correcting_disposition_even_if_a_later_result_conforms(
    disposition,
):
    """Use-as-is and repair do not clear an NC, whatever the latest result says."""
    world = a_ready_world()
    c1 = world.released.characteristics[0]
    an_nc(world.fai, c1, status=NCS.CLOSED, disposition=disposition)
    assert world.fai.has_documented_nonconformances(world.characteristics) is True


def test_field_19_is_no_after_a_rework_nc_is_closed_and_the_characteristic_re_measured_conforming():
    """Nonconforming, reworked, closed, re-measured conforming: the newer result counts."""
    world = a_ready_world()
    c1 = world.released.characteristics[0]
    serial = world.serial("SN-001")
    record(world.fai, c1, "10.06", serial=serial, measured_at=at(10))
    nc = an_nc(world.fai, c1, status=NCS.OPEN)
    assert world.fai.has_documented_nonconformances(world.characteristics) is True
    nc.status, nc.disposition = NCS.CLOSED, model.Disposition.REWORK
    record(world.fai, c1, "10.01", serial=serial, measured_at=at(20))
    assert world.fai.has_documented_nonconformances(world.characteristics) is False


def test_field_19_stays_yes_when_a_rework_nc_is_closed_but_not_re_measured():
    """Closing a rework NC does not clear it until a conforming result proves the rework."""
    world = a_ready_world()
    c1 = world.released.characteristics[0]
    record(world.fai, c1, "10.06", serial=world.serial("SN-001"), measured_at=at(10))
    an_nc(world.fai, c1, status=NCS.CLOSED, disposition=model.Disposition.REWORK)
    assert world.fai.has_documented_nonconformances(world.characteristics) is True


def test_field_19_stays_yes_while_a_reworked_nc_is_dispositioned_but_not_closed():
    """A dispositioned NC is still open in the QMS, even after a conforming re-measurement."""
    world = a_ready_world()
    c1 = world.released.characteristics[0]
    an_nc(world.fai, c1, status=NCS.DISPOSITIONED, disposition=model.Disposition.REWORK)
    assert world.fai.has_documented_nonconformances(world.characteristics) is True


def test_form_1_shows_field_19_as_derived():
    """build_form1 fills documented_nonconformances from NCs and results."""
    world = a_ready_world()
    site = model.Site(code="TLS", name="Toulouse plant")
    kwargs = {
        "part": world.released.part,
        "revision": world.released.revision,
        "work_order": world.work_order,
        "site": site,
        "characteristics": world.characteristics,
    }
    assert forms.build_form1(world.fai, **kwargs).documented_nonconformances is False
    an_nc(world.fai, world.released.characteristics[0])
    form1 = forms.build_form1(world.fai, **kwargs)
    assert form1.documented_nonconformances is True
    assert form1.serial_numbers == ("SN-001",)
    assert form1.manufacturing_process_reference == "WO WO-1000 / Router RT-12 / Lot LOT-7"


# --- latest results ------------------------------------------------------------------------


def test_the_latest_measured_result_counts_even_if_recorded_earlier():
    """A late upload of an older measurement does not replace a newer measurement."""
    released, work_order, fai = a_world_without_results()
    c1, serial = released.characteristics[0], work_order.serials[0]
    newer = record(fai, c1, "10.01", serial=serial, measured_at=at(10), recorded_at=at(11))
    record(fai, c1, "10.06", serial=serial, measured_at=at(5), recorded_at=at(30))
    assert fai.latest_results()[(c1.id, serial.id)] is newer


def test_of_two_results_measured_at_the_same_time_the_later_recorded_counts():
    """Ties on measurement time are broken by recording time."""
    released, work_order, fai = a_world_without_results()
    c1, serial = released.characteristics[0], work_order.serials[0]
    record(fai, c1, "10.01", serial=serial, measured_at=at(10), recorded_at=at(20))
    correction = record(fai, c1, "10.02", serial=serial, measured_at=at(10), recorded_at=at(21))
    record(fai, c1, "10.03", serial=serial, measured_at=at(9), recorded_at=at(40))
    assert fai.latest_results()[(c1.id, serial.id)] is correction


def test_each_serial_keeps_its_own_latest_result():
    """Latest results are per characteristic and per serial."""
    released, work_order, fai = a_world_without_results(serials=("SN-001", "SN-002"))
    c1 = released.characteristics[0]
    first = record(fai, c1, serial=work_order.serials[0], measured_at=at(10))
    second = record(fai, c1, serial=work_order.serials[1], measured_at=at(5))
    latest = fai.latest_results()
    assert latest == {
        (c1.id, work_order.serials[0].id): first,
        (c1.id, work_order.serials[1].id): second,
    }


# --- recording results ---------------------------------------------------------------------


def test_recording_a_result_adds_it_and_returns_an_event():
    """A recorded result is kept and announced with a result.recorded event."""
    released, work_order, fai = a_world_without_results()
    result = a_result(released.characteristics[0], serial=work_order.serials[0], fai_id=fai.id)
    [event] = fai.record_result(result, released.characteristics[0], actor=RECORDER)
    assert fai.results == [result]
    assert (event.action, event.changes) == ("result.recorded", {"result": (None, result.id)})
    assert fai.updated_at == result.recorded_at


def test_a_result_for_a_characteristic_not_on_form_3_is_refused():
    """Only characteristics accounted for on Form 3 take results."""
    released = a_released_part_with(2)
    work_order = a_work_order(released.revision.id)
    fai = an_fai(released, work_order, all_characteristics=False)
    fai.add_to_scope(released.characteristics[0])
    outside = released.characteristics[1]
    with pytest.raises(ValidationError) as info:
        fai.record_result(a_result(outside, fai_id=fai.id), outside, actor=RECORDER)
    assert info.value.details["field"] == "balloon"
    assert "Balloon 2" in info.value.message
    assert fai.results == []


def test_a_result_for_a_serial_not_in_scope_is_refused():
    """A serial of the work order that is not in the FAI's scope takes no result."""
    released = a_released_part_with(1)
    work_order = a_work_order(released.revision.id, serials=("SN-001", "SN-002"))
    fai = an_fai(released, work_order, all_serials=False)
    fai.add_unit(work_order.serials[0])
    c1 = released.characteristics[0]
    with pytest.raises(ValidationError) as info:
        fai.record_result(a_result(c1, serial=work_order.serials[1]), c1, actor=RECORDER)
    assert info.value.details["field"] == "serial_number"
    assert fai.results == []


def test_a_value_in_units_that_cannot_be_compared_is_refused():
    """30 deg against a millimetre requirement raises UnitMismatchError and records nothing."""
    released, _, fai = a_world_without_results()
    c1 = released.characteristics[0]
    with pytest.raises(UnitMismatchError):
        fai.record_result(a_result(c1, "30", units="deg"), c1, actor=RECORDER)
    assert fai.results == []


def test_a_value_in_inches_against_a_millimetre_requirement_is_accepted_and_judged():
    """Comparable units are converted: 0.3937 in is 9.99998 mm, inside 10.00 ±0.05 mm."""
    released, _, fai = a_world_without_results()
    c1 = released.characteristics[0]
    result = record(fai, c1, "0.3937", units="in")
    assert result.conformance(c1.requirement) is C


def test_a_measured_value_against_a_text_requirement_is_refused():
    """A note is verified by an attribute verdict; a number cannot be judged against it."""
    released = a_released_part_with(0)
    note = released.add("5", a_note())
    work_order = a_work_order(released.revision.id)
    fai = an_fai(released, work_order)
    with pytest.raises(ValidationError):
        fai.record_result(a_result(note, "1", units="mm"), note, actor=RECORDER)
    accepted = record(fai, note, attribute=AttributeResult.ACCEPT)
    assert accepted.conformance(note.requirement) is C


@pytest.mark.parametrize("status", NOT_EDITABLE)
def test_a_result_is_refused_while_the_package_is_not_editable(status):
    """Once under review, submitted or decided, the package content is frozen."""
    released, _, fai = a_world_without_results()
    fai.status = status  # placed directly: this test is about content, not the lifecycle
    c1 = released.characteristics[0]
    with pytest.raises(ConflictError) as info:
        fai.record_result(a_result(c1), c1, actor=RECORDER)
    assert status.label.lower() in info.value.message
    assert fai.results == []


def test_a_rejected_fai_takes_new_results_for_its_rework():
    """Rejected is editable: corrections are recorded before resubmission."""
    released, _, fai = a_world_without_results()
    fai.status = FaiStatus.REJECTED
    record(fai, released.characteristics[0])
    assert len(fai.results) == 1


def test_a_manual_entry_verified_by_the_person_who_entered_it_is_refused():
    """Four eyes: whoever typed the value cannot also verify it."""
    released, _, fai = a_world_without_results()
    c1 = released.characteristics[0]
    result = a_result(c1, source=MANUAL, recorded_by="ed", operator=OPERATOR, verified_by="ed")
    with pytest.raises(ValidationError) as info:
        fai.record_result(result, c1, actor="ed")
    assert info.value.details["field"] == "verified_by"
    assert fai.results == []


def test_a_manual_entry_verified_by_a_second_person_is_accepted():
    """A manual entry that arrives verified by someone else needs no further verification."""
    released, _, fai = a_world_without_results()
    result = record(
        fai, released.characteristics[0], source=MANUAL, recorded_by="ed", verified_by=INSPECTOR
    )
    assert not result.needs_verification


def test_a_manual_entry_verified_by_its_own_operator_is_refused():
    """The person who measured cannot verify the value either, even when it arrives verified."""
    released, _, fai = a_world_without_results()
    c1 = released.characteristics[0]
    result = a_result(c1, source=MANUAL, recorded_by="ed", operator="ana", verified_by="ana")
    with pytest.raises(ValidationError):
        fai.record_result(result, c1, actor="ed")
    assert fai.results == []


# --- verifying manual entries --------------------------------------------------------------


def a_manual_entry_on(fai, characteristic):
    """Record an unverified manual entry typed by 'ed' from operator 'ana'."""
    return record(fai, characteristic, source=MANUAL, recorded_by="ed", operator="ana")


def test_a_second_person_verifies_a_manual_entry():
    """Verification records who and when, and returns a result.verified event."""
    released, _, fai = a_world_without_results()
    result = a_manual_entry_on(fai, released.characteristics[0])
    assert result.needs_verification
    [event] = fai.verify_result(result.id, INSPECTOR, at(5))
    assert (result.verified_by, result.verified_at) == (INSPECTOR, at(5))
    assert not result.needs_verification
    assert (event.action, event.actor) == ("result.verified", INSPECTOR)


@pytest.mark.parametrize("verifier", ["ed", "ana"], ids=["enterer", "operator"])
def test_the_operator_or_enterer_cannot_verify_a_manual_entry(verifier):
    """Neither the person who measured nor the person who typed the value may verify it."""
    released, _, fai = a_world_without_results()
    result = a_manual_entry_on(fai, released.characteristics[0])
    with pytest.raises(ValidationError) as info:
        fai.verify_result(result.id, verifier, at(5))
    assert info.value.details["field"] == "verified_by"
    assert result.verified_by is None


def test_a_result_cannot_be_verified_twice():
    """The second verification is a conflict and keeps the first verifier."""
    released, _, fai = a_world_without_results()
    result = a_manual_entry_on(fai, released.characteristics[0])
    fai.verify_result(result.id, INSPECTOR, at(5))
    with pytest.raises(ConflictError):
        fai.verify_result(result.id, "insp-dan", at(6))
    assert (result.verified_by, result.verified_at) == (INSPECTOR, at(5))


def test_a_device_import_needs_no_verification_and_refuses_one():
    """Only manual entries are verified."""
    released, _, fai = a_world_without_results()
    result = record(fai, released.characteristics[0])
    assert not result.needs_verification
    with pytest.raises(ValidationError):
        fai.verify_result(result.id, INSPECTOR, at(5))


def test_verifying_an_unknown_result_is_refused():
    """A result id that is not on this FAI cannot be verified."""
    _, _, fai = a_world_without_results()
    with pytest.raises(NotFoundError):
        fai.verify_result("no-such-result", INSPECTOR, at(5))


def test_verification_is_refused_once_the_package_is_frozen():
    """Verifying changes the package, so it needs an editable status."""
    released, _, fai = a_world_without_results()
    result = a_manual_entry_on(fai, released.characteristics[0])
    fai.status = FaiStatus.SUBMITTED
    with pytest.raises(ConflictError):
        fai.verify_result(result.id, INSPECTOR, at(5))
    assert result.verified_by is None


# --- inspection results as values ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "units", "attribute"),
    [(None, None, None), (Decimal("1"), "mm", AttributeResult.ACCEPT), (Decimal("1"), None, None)],
    ids=["neither", "both", "value-without-units"],
)
def test_a_result_is_either_a_value_with_units_or_an_attribute(value, units, attribute):
    """A result carries exactly one of a measured value (with units) or a verdict."""
    with pytest.raises(ValidationError):
        model.InspectionResult(
            SITE_ID,
            "fai",
            "c1",
            MANUAL,
            "ed",
            NOW,
            NOW,
            value=value,
            units=units,
            attribute=attribute,
        )


@pytest.mark.parametrize(
    ("attribute", "expected"), [(AttributeResult.ACCEPT, C), (AttributeResult.REJECT, NC)]
)
def test_an_attribute_verdict_decides_conformance(attribute, expected):
    """Accept conforms and reject does not, whatever the requirement."""
    c1 = a_characteristic()
    assert a_result(c1, attribute=attribute).conformance(c1.requirement) is expected


# --- scope and baseline --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"baseline_part_number": None}, "baseline_part_number"),
        ({"baseline_part_revision": "  "}, "baseline_part_revision"),
    ],
)
def test_a_partial_fai_needs_its_baseline(missing, field):
    """Form 1 field 14: a partial FAI names the baseline part number and revision."""
    kwargs = {
        "site_id": SITE_ID,
        "fair_identifier": "FAIR-0002",
        "part_revision_id": "rev-b",
        "work_order_id": "wo",
        "fai_type": model.FaiType.DETAIL,
        "scope": model.FaiScope.PARTIAL,
        "reason": "Rev B changes balloon 4",
        "baseline_part_number": "P-100",
        "baseline_part_revision": "A",
    }
    with pytest.raises(ValidationError) as info:
        model.FirstArticle(**{**kwargs, **missing})
    assert info.value.details["field"] == field
    assert model.FirstArticle(**kwargs).scope is model.FaiScope.PARTIAL


def test_a_full_fai_needs_no_baseline():
    """A full FAI stands on its own."""
    fai = model.FirstArticle(
        SITE_ID, "FAIR-0001", "rev-a", "wo", model.FaiType.DETAIL, model.FaiScope.FULL, "New part"
    )
    assert fai.baseline_part_number is None


@pytest.mark.parametrize("field", ["fair_identifier", "reason"])
def test_an_fai_needs_its_identifier_and_reason(field):
    """FAIR identifier (field 4) and reason (field 14) are required."""
    kwargs = {"fair_identifier": "FAIR-0001", "reason": "New part", field: "  "}
    with pytest.raises(ValidationError) as info:
        model.FirstArticle(
            SITE_ID,
            part_revision_id="r",
            work_order_id="w",
            fai_type=model.FaiType.DETAIL,
            scope=model.FaiScope.FULL,
            **kwargs,
        )
    assert info.value.details["field"] == field


def test_a_characteristic_is_accounted_for_on_form_3_only_once():
    """Adding a characteristic twice to Form 3 is a conflict."""
    released, _, fai = a_world_without_results()
    with pytest.raises(ConflictError):
        fai.add_to_scope(released.characteristics[0])
    assert len(fai.form3) == 2


def test_only_serials_of_the_fai_work_order_can_be_in_scope():
    """A serial built on another work order is refused."""
    released, _, fai = a_world_without_results()
    other = a_work_order(released.revision.id, number="WO-2000", serials=("SN-900",))
    with pytest.raises(ValidationError):
        fai.add_unit(other.serials[0])
    assert [u.serial_number for u in fai.units] == ["SN-001"]


def test_a_serial_is_put_in_scope_only_once():
    """The same serial twice in scope is a conflict."""
    _, work_order, fai = a_world_without_results()
    with pytest.raises(ConflictError):
        fai.add_unit(work_order.serials[0])


def test_the_scope_is_frozen_with_the_package():
    """Form 3 and scope units do not change after submission."""
    released = a_released_part_with(1)
    work_order = a_work_order(released.revision.id)
    fai = an_fai(released, work_order, all_characteristics=False, all_serials=False)
    fai.status = FaiStatus.SUBMITTED
    with pytest.raises(ConflictError):
        fai.add_to_scope(released.characteristics[0])
    with pytest.raises(ConflictError):
        fai.add_unit(work_order.serials[0])


# --- evidence ------------------------------------------------------------------------------


def test_an_evidence_hash_is_kept_in_lower_case():
    """An upper-case SHA-256 digest is accepted and normalised."""
    assert an_evidence(sha256="AB" * 32).sha256 == "ab" * 32


@pytest.mark.parametrize(
    "digest", ["a" * 63, "a" * 65, "g" * 64, "", "sha256:" + "a" * 57], ids=repr
)
def test_an_evidence_hash_that_is_not_64_hex_characters_is_refused(digest):
    """A SHA-256 digest is exactly 64 hexadecimal characters."""
    with pytest.raises(ValidationError) as info:
        an_evidence(sha256=digest)
    assert info.value.details["field"] == "sha256"


@pytest.mark.parametrize(
    "uri",
    ["https://mes.example/travelers/881", "s3://evidence/fai/881.pdf", "urn:uuid:6e8bc430-9c3a"],
)
def test_an_absolute_evidence_uri_is_accepted(uri):
    """scheme://... and urn:... point at evidence kept elsewhere."""
    assert an_evidence(uri=uri).uri == uri


@pytest.mark.parametrize("uri", ["reports/881.pdf", "C:\\reports\\881.pdf", "mes.example/881"])
def test_a_relative_evidence_uri_is_refused(uri):
    """A path without a scheme cannot be resolved by anyone else."""
    with pytest.raises(ValidationError) as info:
        an_evidence(uri=uri)
    assert info.value.details["field"] == "uri"


@pytest.mark.parametrize("uri", ["://mes.example/881", "reports/881.pdf?from=http://x"])
def test_a_uri_without_a_scheme_is_refused_even_if_it_contains_a_colon_slash_slash(uri):
    """'://' somewhere in the string does not make a relative path absolute."""
    with pytest.raises(ValidationError):
        an_evidence(uri=uri)


# --- work orders, drawings, parts ----------------------------------------------------------


def test_a_serial_number_is_unique_within_its_work_order():
    """Adding SN-001 twice (even with stray spaces) is a conflict."""
    work_order = a_work_order("rev-a", serials=("SN-001",))
    with pytest.raises(ConflictError):
        work_order.add_serial(" SN-001 ")
    assert [s.number for s in work_order.serials] == ["SN-001"]


def test_the_same_serial_number_may_exist_on_another_work_order():
    """Uniqueness is per work order."""
    a_work_order("rev-a", number="WO-1", serials=("SN-001",))
    assert a_work_order("rev-a", number="WO-2", serials=("SN-001",)).serials[0].number == "SN-001"


def test_a_blank_serial_number_is_refused():
    """A serial needs a number."""
    with pytest.raises(ValidationError):
        a_work_order("rev-a", serials=("  ",))


def test_a_serial_takes_the_work_order_lot_unless_given_its_own():
    """Serials inherit the work order's lot; an explicit lot wins."""
    work_order = a_work_order("rev-a", serials=("SN-001",), lot="LOT-7")
    own = work_order.add_serial("SN-002", lot="LOT-8")
    assert [work_order.serials[0].lot, own.lot] == ["LOT-7", "LOT-8"]


def test_a_work_order_builds_at_least_one_piece():
    """Quantity zero is refused."""
    with pytest.raises(ValidationError):
        a_work_order("rev-a", quantity=0)


def test_an_operation_sequence_is_unique_within_the_routing():
    """Operation 10 exists once per work order."""
    work_order = a_work_order("rev-a")
    with pytest.raises(ConflictError):
        work_order.add_operation(10, "Deburr")


def test_a_balloon_is_unique_within_a_drawing_revision():
    """Two characteristics cannot share balloon 1 on one drawing."""
    released = a_released_part_with(1)
    with pytest.raises(ConflictError):
        released.add("1")


def test_the_released_revision_is_the_most_recently_released_one():
    """Of A and B released, B (released later) is the released revision; obsolete is ignored."""
    released = a_released_part_with(1)
    newer = another_revision_of(released, "B", status=model.RevisionStatus.RELEASED)
    assert released.part.released_revision is newer.revision
    newer.revision.status = model.RevisionStatus.OBSOLETE
    assert released.part.released_revision is released.revision
    released.revision.status = model.RevisionStatus.IN_WORK
    assert released.part.released_revision is None


def test_a_reference_location_reads_sheet_and_zone():
    """Form 3 field 6 shows 'Sheet 1, Zone B3', or nothing when neither is known."""
    characteristic = a_characteristic()
    assert characteristic.reference_location == "Sheet 1, Zone B3"
    characteristic.sheet = characteristic.zone = None
    assert characteristic.reference_location is None


def test_only_rework_scrap_and_return_correct_the_product():
    """Use-as-is and repair leave the design nonconformity in the product."""
    assert {d for d in model.Disposition if d.corrects_product} == {
        model.Disposition.REWORK,
        model.Disposition.SCRAP,
        model.Disposition.RETURN_TO_SUPPLIER,
    }


def test_each_customer_outcome_takes_its_lifecycle_action():
    """Approved approves, conditionally accepted accepts conditionally, rejected rejects."""
    assert {o: o.action for o in model.DecisionOutcome} == {
        model.DecisionOutcome.APPROVED: FaiAction.APPROVE,
        model.DecisionOutcome.CONDITIONALLY_ACCEPTED: FaiAction.ACCEPT_CONDITIONALLY,
        model.DecisionOutcome.REJECTED: FaiAction.REJECT,
    }


# --- Form 3 --------------------------------------------------------------------------------


def test_balloons_sort_as_people_read_them():
    """2 before 10, 10 before 10A, 10A before 10B, and 10B before 11."""
    balloons = ["10B", "11", "10", "2", "10A", "1", "2A"]
    assert sorted(balloons, key=forms.natural_key) == ["1", "2", "2A", "10", "10A", "10B", "11"]
    assert forms.natural_key("2") < forms.natural_key("10") < forms.natural_key("10A")


def test_form_3_lists_characteristics_in_balloon_order():
    """Form 3 lines follow balloon order, not the order they were added."""
    released = a_released_part_with(0)
    for balloon in ("10", "2", "10A"):
        released.add(balloon)
    fai = an_fai(released, a_work_order(released.revision.id))
    lines = forms.build_form3(fai, {c.id: c for c in released.characteristics})
    assert [line.char_no for line in lines] == ["2", "10", "10A"]


def test_form_3_marks_earlier_results_as_superseded_and_computes_conformance():
    """Every result is listed oldest first; only the latest one counts."""
    released, work_order, fai = a_world_without_results()
    c1, serial = released.characteristics[0], work_order.serials[0]
    first = record(fai, c1, "10.06", serial=serial, measured_at=at(10))
    second = record(fai, c1, "10.01", serial=serial, measured_at=at(20))
    line = forms.build_form3(fai, {c.id: c for c in released.characteristics})[0]
    assert [(r.result_id, r.superseded, r.conformance) for r in line.results] == [
        (first.id, True, NC),
        (second.id, False, C),
    ]
    assert {r.serial_number for r in line.results} == {"SN-001"}
    assert (line.lower_limit, line.upper_limit, line.units) == (
        Decimal("9.95"),
        Decimal("10.05"),
        "mm",
    )


def test_form_3_lists_the_nc_numbers_of_each_characteristic():
    """Field 11 shows the NCs naming the characteristic, not deviations or other balloons."""
    released, _, fai = a_world_without_results()
    c1, c2 = released.characteristics
    an_nc(fai, c1, number="NC-0007")
    an_nc(fai, c1, number="DEV-0003", kind=model.NonconformanceKind.DEVIATION)
    lines = forms.build_form3(fai, {c.id: c for c in released.characteristics})
    assert [line.nonconformance_numbers for line in lines] == [("NC-0007",), ()]
    assert lines[0].tooling == "CMM-3"
    assert c2.id == lines[1].characteristic_id

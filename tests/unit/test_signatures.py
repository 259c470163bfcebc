"""Electronic signatures: meanings, binding to content (R9), manifestation (R8) and
separation of duties (R11)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from functools import cache

import pytest
from builders import (
    INSPECTOR,
    NOW,
    OPERATOR,
    RECORDER,
    World,
    a_ready_world,
    an_index_entry,
    an_nc,
    at,
    record,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from firstarticle.domain import model
from firstarticle.domain.errors import ConflictError, DomainError, ValidationError
from firstarticle.domain.forms import Form1, Form3Line, build_form1, build_form3
from firstarticle.domain.lifecycle import TRANSITIONS_BY_ACTION, FaiAction, FaiStatus
from firstarticle.domain.signatures import (
    MEANING_RULES,
    RULES_BY_MEANING,
    SeparationOfDutiesError,
    Signature,
    SignatureMeaning,
    check_not_signed,
    check_separation,
    content_sha256,
    invalid_signatures,
    signed_content,
)

M = SignatureMeaning
SHA = content_sha256(b"the package as signed")
OTHER_SHA = content_sha256(b"the package after a change")
SITE = model.Site(code="TLS", name="Toulouse plant")


def a_signature(
    fai: model.FirstArticle,
    meaning: SignatureMeaning = M.VERIFIED,
    *,
    by: str = "qe-jane",
    name: str = "Jane Roe",
    signed_at: datetime = NOW,
    sha: str = SHA,
) -> Signature:
    """A valid signature of ``meaning`` on ``fai`` by ``by``."""
    return Signature(
        site_id=fai.site_id,
        record_type="first_article",
        record_id=fai.id,
        meaning=meaning,
        signer_id=f"user:{by}",
        signer_username=by,
        printed_name=name,
        signed_at=signed_at,
        content_sha256=sha,
    )


def forms_of(world: World) -> tuple[Form1, list[model.Form2Row], list[Form3Line]]:
    """Forms 1, 2 and 3 of the world's FAI as a signer sees them."""
    form1 = build_form1(
        world.fai,
        part=world.released.part,
        revision=world.released.revision,
        work_order=world.work_order,
        site=SITE,
        characteristics=world.characteristics,
    )
    return form1, list(world.fai.form2), build_form3(world.fai, world.characteristics)


def sha_of(world: World) -> str:
    """The hash of the world's FAI content as it stands."""
    return content_sha256(signed_content(*forms_of(world)))


# --- the meanings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meaning", "label", "form1_fields", "record_type", "action", "signable_in"),
    [
        (
            M.VERIFIED,
            "Verified by",
            "20/21",
            "first_article",
            FaiAction.REQUEST_REVIEW,
            {FaiStatus.IN_PROGRESS},
        ),
        (
            M.REVIEWED_APPROVED,
            "Reviewed/approved by",
            "22/23",
            "first_article",
            FaiAction.APPROVE_INTERNALLY,
            {FaiStatus.PENDING_INTERNAL_REVIEW},
        ),
        (
            M.CUSTOMER_APPROVAL,
            "Customer approval",
            "24/25",
            "first_article",
            FaiAction.APPROVE,
            {FaiStatus.SUBMITTED, FaiStatus.CONDITIONALLY_ACCEPTED},
        ),
        (M.OVERRIDE, "Override approved by", None, "hold_override", None, set()),
        (M.RELEASE, "Release approved by", None, "hold", None, set()),
    ],
)
def test_each_meaning_has_its_row(meaning, label, form1_fields, record_type, action, signable_in):
    """Each meaning carries its printed label, Form 1 fields, record type, action and statuses."""
    rule_ = meaning.rule
    assert (rule_.meaning, rule_.label, meaning.label) == (meaning, label, label)
    assert rule_.form1_fields == form1_fields
    assert rule_.record_type == record_type
    assert rule_.action is action
    assert rule_.signable_in == signable_in


def test_the_table_has_exactly_one_row_per_meaning():
    """Every meaning has one row in the table, and the values are the stored strings."""
    assert [r.meaning for r in MEANING_RULES] == list(M)
    assert set(RULES_BY_MEANING) == set(M)
    assert [m.value for m in M] == [
        "verified",
        "reviewed_approved",
        "customer_approval",
        "override",
        "release",
    ]


def test_an_fai_meaning_may_be_signed_where_its_action_starts():
    """Each FAI meaning is signable exactly in the statuses its lifecycle action leaves from."""
    for rule_ in MEANING_RULES:
        if rule_.action is not None:
            assert rule_.signable_in == TRANSITIONS_BY_ACTION[rule_.action].sources


# --- the signature record --------------------------------------------------------------------


def test_a_naive_signing_time_is_refused():
    """A signing time without a zone is refused, since it cannot be shown with its zone."""
    fai = a_ready_world().fai
    with pytest.raises(ValidationError) as caught:
        a_signature(fai, signed_at=datetime(2026, 11, 20, 14, 0))
    assert caught.value.details["field"] == "signed_at"


def test_the_signing_time_is_kept_in_utc():
    """A signing time given in another zone is stored as the same instant in UTC."""
    paris = timezone(timedelta(hours=1))
    signature = a_signature(
        a_ready_world().fai, signed_at=datetime(2026, 11, 20, 15, 0, tzinfo=paris)
    )
    assert signature.signed_at == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    assert signature.signed_at.tzinfo is UTC


@pytest.mark.parametrize("sha", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, ""])
def test_a_content_hash_that_is_not_64_lowercase_hex_is_refused(sha):
    """Only a 64-character lowercase hexadecimal content hash is accepted."""
    with pytest.raises(ValidationError) as caught:
        a_signature(a_ready_world().fai, sha=sha)
    assert caught.value.details["field"] == "content_sha256"


def test_a_meaning_applies_only_to_its_record_type():
    """A field 20 signature on a hold, or a release on an FAI, is refused."""
    fai = a_ready_world().fai
    with pytest.raises(ValidationError):
        dataclasses.replace(a_signature(fai), record_type="hold")
    with pytest.raises(ValidationError):
        dataclasses.replace(a_signature(fai), meaning=M.RELEASE)


@pytest.mark.parametrize(
    "field_name",
    ["record_id", "record_type", "content_sha256", "signer_username", "meaning", "signed_at", "id"],
)
def test_a_signature_cannot_be_moved_or_rewritten(field_name):
    """The binding fields of a signature cannot be reassigned once it exists."""
    signature = a_signature(a_ready_world().fai)
    before = getattr(signature, field_name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(signature, field_name, "another")
    assert getattr(signature, field_name) == before


def test_binds_holds_only_for_the_exact_record_and_content():
    """binds() is true for the signed record and content, false for any other id, type or hash."""
    fai = a_ready_world().fai
    signature = a_signature(fai)
    assert signature.binds("first_article", fai.id, SHA)
    assert not signature.binds("first_article", model.new_id(), SHA)
    assert not signature.binds("hold", fai.id, SHA)
    assert not signature.binds("first_article", fai.id, OTHER_SHA)
    assert signature.matches(SHA)
    assert not signature.matches(OTHER_SHA)


def test_the_manifestation_shows_name_time_with_zone_and_meaning():
    """The manifestation reads: printed name, date and time in UTC, meaning with its field."""
    signature = a_signature(
        a_ready_world().fai,
        signed_at=datetime(2026, 11, 20, 15, 0, tzinfo=timezone(timedelta(hours=1))),
    )
    text = signature.manifestation()
    assert text == "Jane Roe — 2026-11-20 14:00:00 UTC — Verified by (Form 1 field 20)"
    assert all(part in text for part in ("Jane Roe", "2026-11-20 14:00:00 UTC", "Verified by"))


@pytest.mark.parametrize(
    ("meaning", "record_type", "shown"),
    [
        (M.REVIEWED_APPROVED, "first_article", "Reviewed/approved by (Form 1 field 22)"),
        (M.CUSTOMER_APPROVAL, "first_article", "Customer approval (Form 1 field 24)"),
        (M.OVERRIDE, "hold_override", "Override approved by"),
        (M.RELEASE, "hold", "Release approved by"),
    ],
)
def test_every_meaning_shows_in_the_manifestation(meaning, record_type, shown):
    """Each meaning appears in the manifestation with its Form 1 field when it has one."""
    signature = Signature(
        site_id="site-tls",
        record_type=record_type,
        record_id="rec-1",
        meaning=meaning,
        signer_id="user:pm",
        signer_username="pm-dora",
        printed_name="Dora Pérez",
        signed_at=NOW,
        content_sha256=SHA,
    )
    assert signature.manifestation() == f"Dora Pérez — 2024-03-04 09:30:00 UTC — {shown}"


def test_invalidating_a_signature_records_when_and_why():
    """invalidate() marks the signature invalid and returns a signature.invalidated event."""
    fai = a_ready_world().fai
    signature = a_signature(fai)
    event = signature.invalidate(at(5), "Form 3 changed after signing", actor="qe-carl")
    assert not signature.valid
    assert signature.invalidated_at == at(5)
    assert signature.invalidated_reason == "Form 3 changed after signing"
    assert event.action == "signature.invalidated"
    assert (event.record_type, event.record_id, event.site_id) == (
        "signature",
        signature.id,
        fai.site_id,
    )
    assert (event.actor, event.at, event.reason) == (
        "qe-carl",
        at(5),
        "Form 3 changed after signing",
    )
    assert event.changes["signed_record"] == (None, f"first_article:{fai.id}")


def test_an_invalidation_cannot_be_undone():
    """Once invalidated, a signature cannot be made valid again by clearing its fields."""
    signature = a_signature(a_ready_world().fai)
    signature.invalidate(at(1), "changed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        signature.invalidated_at = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        signature.invalidated_reason = "never mind"
    assert not signature.valid


def test_a_signature_is_invalidated_once_with_a_reason_and_a_zoned_time():
    """Invalidation needs a reason and a zoned time, and cannot happen twice."""
    signature = a_signature(a_ready_world().fai)
    with pytest.raises(ValidationError):
        signature.invalidate(at(1), "  ")
    with pytest.raises(ValidationError):
        signature.invalidate(datetime(2024, 3, 4, 10, 0), "changed")
    assert signature.valid
    assert signature.invalidated_reason is None
    signature.invalidate(at(1), "changed")
    with pytest.raises(ConflictError):
        signature.invalidate(at(2), "changed again")


# --- canonical signed content ------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """Everything a field 20/22 signer vouches for, as plain immutable data."""

    form1: Form1
    form2: tuple[model.Form2Row, ...]
    form3: tuple[Form3Line, ...]

    def sha(self) -> str:
        """The content hash of this package."""
        return content_sha256(signed_content(self.form1, self.form2, self.form3))


@cache
def a_full_package() -> Package:
    """A package in which every collection has entries and every optional field is shown."""
    world = a_ready_world()
    first, second = world.released.characteristics
    serial = world.serial("SN-001")
    record(world.fai, first, "10.06", serial=serial, measured_at=at(10))  # supersedes the first
    an_nc(world.fai, first)
    an_index_entry(world.fai)
    world.fai.comments = "Delta to rev A"
    world.fai.form3[1].comments = "Checked on CMM-3"
    assert second.id in {row.characteristic_id for row in world.fai.form3}
    form1, form2, form3 = forms_of(world)
    return Package(form1, tuple(form2), tuple(form3))


Path = tuple[str | int, ...]


def is_rows(items: tuple[object, ...] | list[object]) -> bool:
    """True for a non-empty collection of records (rather than of plain values)."""
    return bool(items) and is_dataclass(items[0])


def leaves(value: object, path: Path = ()) -> list[tuple[Path, object]]:
    """Every leaf field of the package as (path, type hint); rows of collections are walked."""
    found: list[tuple[Path, object]] = []
    if isinstance(value, tuple | list):
        for i, item in enumerate(value):
            found += leaves(item, (*path, i))
        return found
    assert is_dataclass(value)
    hints = typing.get_type_hints(type(value))
    for f in fields(value):
        if path == ("form1",) and f.name == "customer_decision":
            continue  # fields 24/25 come after the internal signatures
        child = getattr(value, f.name)
        if is_dataclass(child) or (isinstance(child, tuple | list) and is_rows(child)):
            found += leaves(child, (*path, f.name))
        else:
            found.append(((*path, f.name), hints[f.name]))
    return found


def collections_in(value: object, path: Path = ()) -> list[tuple[Path, int]]:
    """Every non-empty collection of rows in the package as (path, length)."""
    found: list[tuple[Path, int]] = []
    if isinstance(value, tuple | list):
        found.append((path, len(value)))
        for i, item in enumerate(value):
            found += collections_in(item, (*path, i))
        return found
    if is_dataclass(value):
        for f in fields(value):
            child = getattr(value, f.name)
            if isinstance(child, tuple | list) and is_rows(child):
                found += collections_in(child, (*path, f.name))
    return found


def get(value: object, path: Path) -> object:
    """The value at ``path``."""
    for step in path:
        value = value[step] if isinstance(step, int) else getattr(value, step)
    return value


def with_value(value: object, path: Path, new: object) -> object:
    """A copy of ``value`` with ``new`` at ``path``; the original is left as it was."""
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        items = list(value)
        items[step] = with_value(items[step], rest, new)
        return type(value)(items)
    clone = copy.copy(value)
    object.__setattr__(clone, step, with_value(getattr(value, step), rest, new))
    return clone


def without(value: object, path: Path, index: int) -> object:
    """A copy of ``value`` whose collection at ``path`` lacks its ``index``-th row."""
    rows = list(get(value, path))
    del rows[index]
    return with_value(value, path, tuple(rows))


def values_of(hint: object) -> st.SearchStrategy[object]:
    """Any value of the field type ``hint`` (times in UTC, Decimals finite)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(values_of(a) for a in args))
    if origin is tuple:
        return st.lists(values_of(args[0]), max_size=3).map(tuple)
    if hint is type(None):
        return st.none()
    if hint is bool:
        return st.booleans()
    if hint is str:
        return st.text(max_size=12)
    if hint is Decimal:
        return st.decimals(allow_nan=False, allow_infinity=False)
    if hint is datetime:
        return st.datetimes(timezones=st.just(UTC))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return st.sampled_from(list(hint))
    raise AssertionError(f"no strategy for {hint!r}")


def test_the_package_walk_reaches_every_form():
    """The field walk of the test package reaches Form 1, its index, Form 2 and Form 3 results."""
    paths = {
        path[:1] + tuple(p for p in path[1:] if isinstance(p, str))
        for path, _ in leaves(a_full_package())
    }
    assert ("form1", "index", "part_number") in paths
    assert ("form1", "drawings", "revision") in paths
    assert ("form2", "certificate_number") in paths
    assert ("form3", "results", "operator") in paths
    assert ("form3", "nonconformance_numbers") in paths
    assert ("form1", "customer_decision") not in paths
    assert len(a_full_package().form3[0].results) == 2


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_changing_any_one_field_changes_the_hash(data):
    """Changing any single field of Forms 1, 2 or 3 (one at a time) changes the content hash."""
    package = a_full_package()
    path, hint = data.draw(st.sampled_from(leaves(package)), label="field")
    current = get(package, path)
    new = data.draw(values_of(hint).filter(lambda v: v != current), label="new value")
    changed = with_value(package, path, new)
    assert isinstance(changed, Package)
    assert changed.sha() != package.sha()
    assert package.sha() == a_full_package().sha()  # the original is untouched


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_removing_any_row_changes_the_hash(data):
    """Dropping a drawing, index entry, Form 2 row, Form 3 line or result changes the hash."""
    package = a_full_package()
    path, length = data.draw(st.sampled_from(collections_in(package)), label="collection")
    index = data.draw(st.integers(0, length - 1), label="row")
    changed = without(package, path, index)
    assert isinstance(changed, Package)
    assert changed.sha() != package.sha()


@given(order=st.permutations(range(3)))
def test_the_order_of_form2_rows_does_not_change_the_hash(order):
    """Form 2 rows in any order give the same hash (their list order carries no meaning)."""
    package = a_full_package()
    assert len(package.form2) == 3
    shuffled = dataclasses.replace(package, form2=tuple(package.form2[i] for i in order))
    assert shuffled.sha() == package.sha()


def test_the_customer_decision_is_not_part_of_the_signed_content():
    """Fields 24/25 may be filled after fields 20 and 22 are signed without invalidating them."""
    package = a_full_package()
    decision = model.CustomerDecision(
        site_id="site-tls",
        first_article_id="fai",
        attempt=1,
        outcome=model.DecisionOutcome.APPROVED,
        channel=model.CustomerChannel.PORTAL,
        decided_by="cust-eve",
        decided_at=at(60),
        recorded_by="qe-carl",
        recorded_at=at(61),
    )
    decided = dataclasses.replace(
        package, form1=dataclasses.replace(package.form1, customer_decision=decision)
    )
    assert decided.sha() == package.sha()


def test_times_are_signed_as_the_same_instant_in_any_zone():
    """A result time written in another zone but at the same instant gives the same hash."""
    package = a_full_package()
    path: Path = ("form3", 0, "results", 0, "measured_at")
    utc = get(package, path)
    assert isinstance(utc, datetime)
    elsewhere = utc.astimezone(timezone(timedelta(hours=-5)))
    moved = with_value(package, path, elsewhere)
    assert isinstance(moved, Package)
    assert moved.sha() == package.sha()


def test_signed_content_is_compact_sorted_json_with_exact_decimals():
    """The content is UTF-8 JSON with sorted keys, no whitespace, Decimals as their strings."""
    package = a_full_package()
    content = signed_content(package.form1, package.form2, package.form3)
    document = json.loads(content)
    assert content == json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert "customer_decision" not in document["form1"]
    first_result = document["form3"][0]["results"][0]
    assert first_result["value"] == "10.00"
    assert first_result["measured_at"] == NOW.isoformat()
    assert first_result["conformance"] == "conforming"
    assert content_sha256(content) == hashlib.sha256(content).hexdigest()


def test_a_naive_time_in_the_content_is_refused():
    """Content holding a time without a zone cannot be signed, since its instant is unknown."""
    package = a_full_package()
    naive = with_value(package, ("form3", 0, "results", 0, "measured_at"), datetime(2024, 3, 4))
    assert isinstance(naive, Package)
    with pytest.raises(ValidationError):
        naive.sha()


# --- separation of duties ----------------------------------------------------------------------


def test_the_verifier_cannot_also_review_and_approve():
    """The field 22 signer may not be the valid field 20 signer of the same FAI."""
    fai = a_ready_world().fai
    signatures = [a_signature(fai, M.VERIFIED, by="qe-jane")]
    with pytest.raises(SeparationOfDutiesError) as caught:
        check_separation(M.REVIEWED_APPROVED, "qe-jane", fai, signatures)
    assert caught.value.code == "separation_of_duties"
    assert "field 22" in caught.value.message


def test_another_person_may_review_and_approve():
    """A field 22 signer other than the verifier is accepted."""
    fai = a_ready_world().fai
    check_separation(M.REVIEWED_APPROVED, "qe-max", fai, [a_signature(fai, by="qe-jane")])


def test_the_reviewer_cannot_then_verify():
    """The valid field 22 signer may not sign field 20 of the same FAI either."""
    fai = a_ready_world().fai
    signatures = [a_signature(fai, M.REVIEWED_APPROVED, by="qe-max")]
    with pytest.raises(SeparationOfDutiesError):
        check_separation(M.VERIFIED, "qe-max", fai, signatures)


def test_an_invalidated_verification_does_not_block_the_reviewer():
    """Once the field 20 signature is invalidated, its signer may sign field 22."""
    fai = a_ready_world().fai
    verified = a_signature(fai, by="qe-jane")
    verified.invalidate(at(3), "Form 3 changed")
    check_separation(M.REVIEWED_APPROVED, "qe-jane", fai, [verified])


def test_a_verification_of_another_fai_does_not_block_the_reviewer():
    """Only signatures on the same FAI count for separation of duties."""
    fai, other = a_ready_world().fai, a_ready_world().fai
    check_separation(M.REVIEWED_APPROVED, "qe-jane", fai, [a_signature(other, by="qe-jane")])


@pytest.mark.parametrize("person", [OPERATOR, RECORDER])
def test_a_verifier_who_measured_or_entered_a_result_is_refused(person):
    """Whoever was a result's operator or recorded it cannot verify the FAI (field 20)."""
    fai = a_ready_world().fai
    assert any(r.operator == OPERATOR and r.recorded_by == RECORDER for r in fai.results)
    with pytest.raises(SeparationOfDutiesError) as caught:
        check_separation(M.VERIFIED, person, fai, [])
    assert caught.value.details["result_id"] in {r.id for r in fai.results}


def test_a_verifier_who_produced_no_result_is_accepted():
    """A person who neither measured nor entered any result may verify the FAI."""
    world = a_ready_world()
    check_separation(M.VERIFIED, INSPECTOR, world.fai, [])


def test_the_customer_approval_is_not_limited_by_the_internal_signers():
    """Separation of duties between fields 20 and 22 says nothing about field 24."""
    fai = a_ready_world().fai
    signatures = [a_signature(fai, M.VERIFIED), a_signature(fai, M.REVIEWED_APPROVED, by="qe-max")]
    check_separation(M.CUSTOMER_APPROVAL, "qe-jane", fai, signatures)


def test_a_field_signed_twice_is_a_conflict_naming_who_and_when():
    """A second valid signature of field 20 is refused, naming the first signer and time."""
    fai = a_ready_world().fai
    signatures = [a_signature(fai, by="qe-jane", name="Jane Roe")]
    with pytest.raises(ConflictError) as caught:
        check_not_signed(M.VERIFIED, signatures)
    assert caught.value.code == "conflict"
    assert caught.value.message == (
        "Field 20 is already signed by Jane Roe (qe-jane) at 2024-03-04 09:30:00 UTC."
    )


def test_a_field_may_be_signed_again_after_invalidation_or_when_another_is_signed():
    """An invalidated signature, or one of another meaning, leaves the field open."""
    fai = a_ready_world().fai
    verified = a_signature(fai)
    check_not_signed(M.REVIEWED_APPROVED, [verified])
    verified.invalidate(at(1), "reset approved")
    check_not_signed(M.VERIFIED, [verified])


def test_invalid_signatures_are_the_valid_internal_ones_on_other_content():
    """Only valid field 20/22 signatures whose hash differs from the current one are flagged."""
    fai = a_ready_world().fai
    stale_20 = a_signature(fai, M.VERIFIED, sha=OTHER_SHA)
    stale_22 = a_signature(fai, M.REVIEWED_APPROVED, by="qe-max", sha=OTHER_SHA)
    current_20 = a_signature(fai, M.VERIFIED, by="qe-ivy")
    customer = a_signature(fai, M.CUSTOMER_APPROVAL, by="cust-eve", sha=OTHER_SHA)
    already = a_signature(fai, M.VERIFIED, by="qe-old", sha=OTHER_SHA)
    already.invalidate(at(1), "reset")
    signatures = [stale_20, stale_22, current_20, customer, already]
    assert invalid_signatures(signatures, SHA) == [stale_20, stale_22]


def test_recording_a_result_after_signing_flags_the_signature():
    """A result recorded after field 20 was signed makes the signature's hash stale (R9)."""
    world = a_ready_world()
    signature = a_signature(world.fai, sha=sha_of(world))
    assert invalid_signatures([signature], sha_of(world)) == []
    record(world.fai, world.released.characteristics[0], "10.01", measured_at=at(30))
    assert invalid_signatures([signature], sha_of(world)) == [signature]


# --- a state machine over sign attempts (R11: 0 violations) -------------------------------------

PEOPLE = ("qe-jane", "qe-max", "insp-bea", OPERATOR)
INTERNAL = (M.VERIFIED, M.REVIEWED_APPROVED)


class SigningMachine(RuleBasedStateMachine):
    """Random sign attempts, invalidations and new results by a small pool of people."""

    def __init__(self) -> None:
        super().__init__()
        self.world = a_ready_world()
        self.signatures: list[Signature] = []
        self.minutes = 0

    def now(self) -> datetime:
        """The machine's clock, one minute later on every call."""
        self.minutes += 1
        return at(self.minutes)

    def valid(self, meaning: SignatureMeaning) -> list[Signature]:
        """The valid signatures of ``meaning``."""
        return [s for s in self.signatures if s.valid and s.meaning is meaning]

    def conflicting_people(self, meaning: SignatureMeaning) -> set[str]:
        """Who may not sign ``meaning`` now, worked out here independently of the module."""
        other = M.REVIEWED_APPROVED if meaning is M.VERIFIED else M.VERIFIED
        people = {s.signer_username for s in self.valid(other)}
        if meaning is M.VERIFIED:
            people |= {r.operator for r in self.world.fai.results if r.operator}
            people |= {r.recorded_by for r in self.world.fai.results}
        return people

    @rule(meaning=st.sampled_from(INTERNAL), person=st.sampled_from(PEOPLE))
    def attempt_to_sign(self, meaning: SignatureMeaning, person: str) -> None:
        """Someone tries to sign field 20 or 22; the rules accept or refuse."""
        fai = self.world.fai
        try:
            check_not_signed(meaning, self.signatures)
            check_separation(meaning, person, fai, self.signatures)
        except ConflictError:
            assert self.valid(meaning), "refused a field that nobody validly signed"
            return
        except SeparationOfDutiesError:
            assert person in self.conflicting_people(meaning), "refused a person with no conflict"
            return
        assert person not in self.conflicting_people(meaning)
        signature = a_signature(
            fai,
            meaning,
            by=person,
            name=person.title(),
            signed_at=self.now(),
            sha=sha_of(self.world),
        )
        self.signatures.append(signature)

    @precondition(lambda self: any(s.valid for s in self.signatures))
    @rule(data=st.data())
    def invalidate_one(self, data: st.DataObject) -> None:
        """A reset invalidates one valid signature."""
        target = data.draw(st.sampled_from([s for s in self.signatures if s.valid]))
        target.invalidate(self.now(), "reset")

    @rule(person=st.sampled_from(PEOPLE), as_operator=st.booleans(), char=st.integers(0, 1))
    def record_a_result(self, person: str, as_operator: bool, char: int) -> None:
        """Someone measures or enters a result; stale signatures are invalidated (R9)."""
        who = {"operator": person} if as_operator else {"recorded_by": person}
        characteristic = self.world.released.characteristics[char]
        record(self.world.fai, characteristic, measured_at=self.now(), **who)
        for stale in invalid_signatures(self.signatures, sha_of(self.world)):
            stale.invalidate(self.now(), "content changed after signing")

    @invariant()
    def verifier_and_reviewer_are_different_people(self) -> None:
        """No person holds a valid field 20 and a valid field 22 signature at once."""
        verifiers = {s.signer_username for s in self.valid(M.VERIFIED)}
        reviewers = {s.signer_username for s in self.valid(M.REVIEWED_APPROVED)}
        assert not verifiers & reviewers

    @invariant()
    def at_most_one_valid_signature_per_meaning(self) -> None:
        """Each field carries at most one valid signature."""
        for meaning in INTERNAL:
            assert len(self.valid(meaning)) <= 1

    @invariant()
    def the_verifier_produced_no_result(self) -> None:
        """The valid verifier neither measured nor entered any result of the FAI."""
        producers = {r.operator for r in self.world.fai.results}
        producers |= {r.recorded_by for r in self.world.fai.results}
        assert not {s.signer_username for s in self.valid(M.VERIFIED)} & producers

    @invariant()
    def every_valid_signature_matches_the_content(self) -> None:
        """Every valid internal signature is bound to the content as it stands."""
        current = sha_of(self.world)
        fai = self.world.fai
        for meaning in INTERNAL:
            for signature in self.valid(meaning):
                assert signature.binds("first_article", fai.id, current)


def test_no_sequence_of_sign_attempts_breaks_separation_of_duties():
    """Whatever people attempt, fields 20 and 22 never share a valid signer (0 violations)."""
    run_state_machine_as_test(
        SigningMachine,
        settings=settings(max_examples=150, stateful_step_count=30, deadline=None),
    )


def test_signature_errors_are_domain_errors():
    """SeparationOfDutiesError is a DomainError with a stable code."""
    assert issubclass(SeparationOfDutiesError, DomainError)
    assert SeparationOfDutiesError.code == "separation_of_duties"

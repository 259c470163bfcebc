"""Electronic signatures (21 CFR Part 11): what each one means, what it is bound to, and who
may give it.

A signature is bound to one record and to the SHA-256 of the exact content its signer vouched
for (R9): its binding fields cannot be reassigned, and a later content change shows it as
invalid. Separation of duties (R11) and the one-valid-signature-per-meaning rule are pure
checks that services call before they store a signature.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum, StrEnum

from firstarticle.domain import model
from firstarticle.domain.errors import ConflictError, DomainError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.forms import Form1, Form3Line
from firstarticle.domain.lifecycle import FaiAction, FaiStatus

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Identifies the layout of :func:`signed_content`; a new layout gets a new number.
CONTENT_FORMAT = "firstarticle.signed-content/1"


class SeparationOfDutiesError(DomainError):
    """The signer already holds a duty that this signature must be independent of (R11)."""

    code = "separation_of_duties"


class SignatureRequiredError(DomainError):
    """The transition is performed by an electronic signature, not by a bare request."""

    code = "signature_required"


class SignatureMeaning(StrEnum):
    """What a signer means by signing; :attr:`rule` says where and when it applies."""

    VERIFIED = "verified"
    REVIEWED_APPROVED = "reviewed_approved"
    CUSTOMER_APPROVAL = "customer_approval"
    OVERRIDE = "override"
    RELEASE = "release"

    @property
    def rule(self) -> MeaningRule:
        """This meaning's row of :data:`MEANING_RULES`."""
        return RULES_BY_MEANING[self]

    @property
    def label(self) -> str:
        """The meaning as printed beside the signature."""
        return self.rule.label


@dataclass(frozen=True)
class MeaningRule:
    """One meaning: its printed label, the Form 1 fields it fills, the record type it signs,
    the lifecycle action it performs on an FAI, and the FAI statuses in which it may be given.
    """

    meaning: SignatureMeaning
    label: str
    form1_fields: str | None
    record_type: str
    action: FaiAction | None = None
    signable_in: frozenset[FaiStatus] = frozenset()

    @property
    def field_number(self) -> str | None:
        """The Form 1 field the signer's name fills ("20" of "20/21"), if any."""
        return self.form1_fields.split("/")[0] if self.form1_fields else None

    @property
    def place(self) -> str:
        """Where the signature stands, as a sentence subject: "Field 20", "Override approval"."""
        if self.field_number:
            return f"Field {self.field_number}"
        return f"{self.meaning.value.replace('_', ' ').capitalize()} approval"


_M, _S = SignatureMeaning, FaiStatus
MEANING_RULES: tuple[MeaningRule, ...] = (
    MeaningRule(
        _M.VERIFIED,
        "Verified by",
        "20/21",
        "first_article",
        FaiAction.REQUEST_REVIEW,
        frozenset({_S.IN_PROGRESS}),
    ),
    MeaningRule(
        _M.REVIEWED_APPROVED,
        "Reviewed/approved by",
        "22/23",
        "first_article",
        FaiAction.APPROVE_INTERNALLY,
        frozenset({_S.PENDING_INTERNAL_REVIEW}),
    ),
    MeaningRule(
        _M.CUSTOMER_APPROVAL,
        "Customer approval",
        "24/25",
        "first_article",
        FaiAction.APPROVE,
        frozenset({_S.SUBMITTED, _S.CONDITIONALLY_ACCEPTED}),
    ),
    MeaningRule(_M.OVERRIDE, "Override approved by", None, "hold_override"),
    MeaningRule(_M.RELEASE, "Release approved by", None, "hold"),
)
del _M, _S

RULES_BY_MEANING: Mapping[SignatureMeaning, MeaningRule] = {r.meaning: r for r in MEANING_RULES}
# The internal signatures that vouch for the FAIR content (fields 20 and 22).
CONTENT_MEANINGS = frozenset({SignatureMeaning.VERIFIED, SignatureMeaning.REVIEWED_APPROVED})


def _require_aware(at: datetime, field_name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(f"{field_name} must carry a time zone.", field=field_name)
    return at.astimezone(UTC)


def _format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(eq=False)
class Signature:
    """A person's electronic signature of one record's content, with a stated meaning.

    Times are stored in UTC. No field can be reassigned once it holds a value: the binding
    (record, content hash, signer, meaning, time) is fixed at creation, and the only change a
    signature admits is :meth:`invalidate`, once.
    """

    site_id: str
    record_type: str
    record_id: str
    meaning: SignatureMeaning
    signer_id: str
    signer_username: str
    printed_name: str
    signed_at: datetime
    content_sha256: str
    invalidated_at: datetime | None = None
    invalidated_reason: str | None = None
    id: str = field(default_factory=model.new_id)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "meaning", SignatureMeaning(self.meaning))
        if self.record_type != self.meaning.rule.record_type:
            raise ValidationError(
                f"A '{self.meaning.label}' signature applies to a "
                f"{self.meaning.rule.record_type}, not a {self.record_type}.",
                field="record_type",
            )
        put(self, "record_id", model.require_text(self.record_id, "record_id"))
        put(self, "signer_id", model.require_text(self.signer_id, "signer_id"))
        put(self, "signer_username", model.require_text(self.signer_username, "signer_username"))
        put(self, "printed_name", model.require_text(self.printed_name, "printed_name"))
        put(self, "signed_at", _require_aware(self.signed_at, "signed_at"))
        if not _SHA256.match(self.content_sha256):
            raise ValidationError(
                "content_sha256 must be 64 lowercase hexadecimal characters.",
                field="content_sha256",
            )
        if self.invalidated_at is not None:
            put(self, "invalidated_at", _require_aware(self.invalidated_at, "invalidated_at"))

    def __setattr__(self, name: str, value: object) -> None:
        # Every field is written once: the binding at creation, the invalidation when it comes.
        if getattr(self, name, None) is not None:
            raise FrozenInstanceError(f"A signature's {name} cannot be changed.")
        object.__setattr__(self, name, value)

    @property
    def valid(self) -> bool:
        """True until the signature is invalidated."""
        return self.invalidated_at is None

    def matches(self, content_sha256: str) -> bool:
        """True when ``content_sha256`` is the hash this signature was given on."""
        return self.content_sha256 == content_sha256

    def binds(self, record_type: str, record_id: str, content_sha256: str) -> bool:
        """True only for the exact record and content signed (never for another record)."""
        return (
            self.record_type == record_type
            and self.record_id == record_id
            and self.matches(content_sha256)
        )

    def invalidate(self, at: datetime, reason: str, *, actor: str = "system") -> Event:
        """Mark the signature invalid (its content changed, or a reset cleared it)."""
        if not self.valid:
            raise ConflictError(
                "The signature is already invalid.",
                signature_id=self.id,
                meaning=self.meaning.value,
            )
        reason, at = model.require_text(reason, "reason"), _require_aware(at, "invalidated_at")
        self.invalidated_reason, self.invalidated_at = reason, at
        return Event(
            action="signature.invalidated",
            record_type="signature",
            record_id=self.id,
            site_id=self.site_id,
            actor=actor,
            at=at,
            changes={
                "invalidated_at": (None, at.isoformat()),
                "signed_record": (None, f"{self.record_type}:{self.record_id}"),
                "meaning": (None, self.meaning.value),
            },
            reason=reason,
        )

    def manifestation(self) -> str:
        """Printed name, date and time with zone, and meaning, as every rendering shows (R8).

        E.g. ``Jane Roe — 2026-11-20 14:00:00 UTC — Verified by (Form 1 field 20)``.
        """
        rule = self.meaning.rule
        meaning = rule.label
        if rule.field_number:
            meaning += f" (Form 1 field {rule.field_number})"
        return f"{self.printed_name} — {_format_time(self.signed_at)} — {meaning}"


# --- canonical signed content ----------------------------------------------------------------


def _plain(value: object) -> object:
    """``value`` as JSON data, exactly: Decimal as its string, datetimes in UTC, enums as values."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _require_aware(value, "datetime").isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    raise TypeError(f"{type(value).__name__} has no canonical form for signing.")


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signed_content(
    form1: Form1, form2: Sequence[model.Form2Row], form3: Sequence[Form3Line]
) -> bytes:
    """The canonical bytes a signer of fields 20 and 22 vouches for.

    Every Form 1 field except the customer decision (fields 24/25 come after the internal
    signatures), every Form 2 row, and every Form 3 line with all its results, as UTF-8 JSON
    with sorted keys and no whitespace. Any field change changes the bytes; Form 2 rows are
    sorted by their own content, so the order a list happens to have does not.
    """
    header = _plain(form1)
    assert isinstance(header, dict)
    del header["customer_decision"]
    rows = sorted((_plain(row) for row in form2), key=_dumps)
    document = {
        "format": CONTENT_FORMAT,
        "form1": header,
        "form2": rows,
        "form3": [_plain(line) for line in form3],
    }
    return _dumps(document).encode("utf-8")


def content_sha256(content: bytes) -> str:
    """The lowercase hexadecimal SHA-256 of ``content``."""
    return hashlib.sha256(content).hexdigest()


# --- rules on who may sign -------------------------------------------------------------------


def _on(fai: model.FirstArticle, signatures: Sequence[Signature]) -> list[Signature]:
    return [
        s
        for s in signatures
        if s.valid and s.record_type == "first_article" and s.record_id == fai.id
    ]


def check_separation(
    meaning: SignatureMeaning,
    signer_username: str,
    fai: model.FirstArticle,
    signatures: Sequence[Signature],
) -> None:
    """Raise SeparationOfDutiesError when ``signer_username`` may not give ``meaning`` (R11).

    The reviewer/approver (field 22) is never the valid verifier (field 20) of the same FAI,
    nor the other way round; the verifier produced (operator) or entered (recorded_by) none
    of the FAI's results. Invalidated signatures bind nobody.
    """
    other = {
        SignatureMeaning.VERIFIED: SignatureMeaning.REVIEWED_APPROVED,
        SignatureMeaning.REVIEWED_APPROVED: SignatureMeaning.VERIFIED,
    }.get(meaning)
    for signature in _on(fai, signatures):
        if signature.meaning is other and signature.signer_username == signer_username:
            raise SeparationOfDutiesError(
                f"{signer_username} signed {other.rule.place.lower()} of FAIR "
                f"{fai.fair_identifier}; {meaning.rule.place.lower()} needs another person.",
                meaning=meaning.value,
                signer=signer_username,
                conflicting_signature_id=signature.id,
            )
    if meaning is SignatureMeaning.VERIFIED:
        for result in fai.results:
            if signer_username in (result.operator, result.recorded_by):
                raise SeparationOfDutiesError(
                    f"{signer_username} measured or entered results of FAIR "
                    f"{fai.fair_identifier} and cannot verify them (field 20).",
                    meaning=meaning.value,
                    signer=signer_username,
                    result_id=result.id,
                )


def check_not_signed(meaning: SignatureMeaning, signatures: Sequence[Signature]) -> None:
    """Raise ConflictError when one of ``signatures`` (those of one record) is a valid
    signature of ``meaning``: each meaning is signed at most once until invalidated.
    """
    for signature in signatures:
        if signature.valid and signature.meaning is meaning:
            raise ConflictError(
                f"{meaning.rule.place} is already signed by {signature.printed_name} "
                f"({signature.signer_username}) at {_format_time(signature.signed_at)}.",
                meaning=meaning.value,
                signature_id=signature.id,
                signed_by=signature.signer_username,
            )


def invalid_signatures(signatures: Sequence[Signature], current_sha256: str) -> list[Signature]:
    """The valid field 20 and 22 signatures whose content hash no longer matches (R9)."""
    return [
        s
        for s in signatures
        if s.valid and s.meaning in CONTENT_MEANINGS and not s.matches(current_sha256)
    ]

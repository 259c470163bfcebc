"""Electronic signatures (21 CFR Part 11, AS9102 Form 1 fields 20-25, hold overrides).

A signature is given in one unit of work that re-authenticates the signer on a fresh
single-use nonce (R10), checks the record's status, the one-valid-signature-per-meaning rule
and separation of duties (R11), binds the signature to the SHA-256 of the exact content
signed (R9) and performs the lifecycle step the meaning stands for. Two concurrent signatures
of the same meaning cannot both commit: the partial unique index on valid signatures and the
FAI's version column refuse the second, which the unit of work reports as ConflictError
(C1).

A signed FAI whose content changes later (a QMS nonconformance update, a result) has its
field 20 and 22 signatures invalidated by :func:`recheck_signatures` and goes back to work
where the lifecycle allows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import TransitionNotAllowedError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.holds import HoldOverride
from firstarticle.domain.lifecycle import FaiAction, actions_from
from firstarticle.domain.signatures import (
    CONTENT_MEANINGS,
    Signature,
    SignatureMeaning,
    check_not_signed,
    check_separation,
    content_sha256,
    invalid_signatures,
    signed_content,
)
from firstarticle.ports import UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    decision_paths,
    holds,
    identity,
    record,
)
from firstarticle.services.fai_lifecycle import FAI_RECORD as FAI_RECORD
from firstarticle.services.fai_lifecycle import apply_action
from firstarticle.services.fai_record import (
    FirstArticleDetail,
    assemble_fai,
    commit_fai,
    detail_of,
    load_fai,
)

CONTENT_CHANGED = "signed content changed"
RETURNED_TO_WORK = "returned to work: signed content changed"
# Identifies the layout of :func:`override_content`; a new layout gets a new number.
OVERRIDE_CONTENT_FORMAT = "firstarticle.override-content/1"

# The permission each meaning signed on an FAI needs; other meanings are not signed on FAIs.
PERMISSION_BY_MEANING: Mapping[SignatureMeaning, Permission] = {
    SignatureMeaning.VERIFIED: Permission.SIGN_VERIFIED,
    SignatureMeaning.REVIEWED_APPROVED: Permission.SIGN_APPROVED,
    SignatureMeaning.CUSTOMER_APPROVAL: Permission.SIGN_CUSTOMER,
}


@dataclass(frozen=True)
class SignatureView:
    """A signature as every rendering shows it (R8): printed name, UTC time, meaning, and
    whether it still stands for the record's current content (R9)."""

    id: str
    record_type: str
    record_id: str
    meaning: SignatureMeaning
    meaning_label: str
    form_field: str | None
    signer_username: str
    printed_name: str
    signed_at: datetime
    manifestation: str
    content_sha256: str
    content_matches: bool
    valid: bool
    invalidated_at: datetime | None
    invalidated_reason: str | None


def view(signature: Signature, current_sha256: str | None = None) -> SignatureView:
    """``signature`` as shown beside its record whose content now hashes to ``current_sha256``.

    A field 20 or 22 signature is valid only while it is not invalidated and its hash is the
    current one; other meanings while they are not invalidated. A content signature that no
    longer matches but was not invalidated yet is shown invalid with the reason.
    """
    matches = current_sha256 is None or signature.matches(current_sha256)
    stale = signature.meaning in CONTENT_MEANINGS and not matches
    reason = signature.invalidated_reason
    if signature.valid and stale:
        reason = CONTENT_CHANGED
    rule = signature.meaning.rule
    return SignatureView(
        id=signature.id,
        record_type=signature.record_type,
        record_id=signature.record_id,
        meaning=signature.meaning,
        meaning_label=rule.label,
        form_field=rule.form1_fields,
        signer_username=signature.signer_username,
        printed_name=signature.printed_name,
        signed_at=signature.signed_at.astimezone(UTC),
        manifestation=signature.manifestation(),
        content_sha256=signature.content_sha256,
        content_matches=matches,
        valid=signature.valid and not stale,
        invalidated_at=signature.invalidated_at,
        invalidated_reason=reason,
    )


def _fai_content_sha256(detail: FirstArticleDetail) -> str:
    return content_sha256(signed_content(detail.form1, detail.fai.form2, detail.form3))


def _signed(ctx: ServiceContext, signature: Signature, reason: str | None) -> Event:
    return Event(
        action="signature.signed",
        record_type="signature",
        record_id=signature.id,
        site_id=signature.site_id,
        actor=ctx.actor,
        at=signature.signed_at,
        changes={
            "signed_record": (None, f"{signature.record_type}:{signature.record_id}"),
            "meaning": (None, signature.meaning.value),
            "content_sha256": (None, signature.content_sha256),
            "signer": (None, signature.signer_username),
            "printed_name": (None, signature.printed_name),
            "signed_at": (None, signature.signed_at.isoformat()),
        },
        reason=reason,
    )


# --- first articles -----------------------------------------------------------------------


def sign_first_article(
    ctx: ServiceContext,
    fai_id: str,
    meaning: SignatureMeaning | str,
    *,
    nonce: str,
    password: str,
    totp_code: str | None = None,
    reason: str | None = None,
) -> FirstArticleDetail:
    """Sign Form 1 field 20 (verified), 22 (reviewed/approved) or 24 (customer approval)
    after re-authentication, and take the lifecycle step the meaning stands for.

    Raises AuthenticationError for wrong credentials or a used, expired or foreign nonce (a
    wrong password uses the nonce up), ForbiddenError for tokens and callers without the
    meaning's permission, ConflictError when the meaning is already signed (also when a
    concurrent signature committed first), SeparationOfDutiesError, and
    TransitionNotAllowedError or GuardFailedError when the FAI is not in a status, or not
    ready, to be signed so.
    """
    try:
        meaning = SignatureMeaning(meaning)
        permission = PERMISSION_BY_MEANING[meaning]
    except (ValueError, KeyError):
        raise ValidationError(
            "An FAI is signed as verified, reviewed_approved or customer_approval.",
            field="meaning",
        ) from None
    rule = meaning.rule
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, permission)
        user = identity.reauthenticate(
            ctx, uow, nonce=nonce, password=password, totp_code=totp_code
        )
        fai = loaded.fai
        existing = uow.signatures.for_record(FAI_RECORD, fai.id)
        # First: a loser of a race that reads after the winner committed sees its signature.
        check_not_signed(meaning, existing)
        if fai.status not in rule.signable_in:
            raise TransitionNotAllowedError(
                f"{rule.place} of FAIR {fai.fair_identifier} is signed when it is "
                f"{' or '.join(sorted(s.label.lower() for s in rule.signable_in))}, "
                f"not {fai.status.label.lower()}.",
                current_status=fai.status.value,
                meaning=meaning.value,
                signable_in=sorted(s.value for s in rule.signable_in),
            )
        check_separation(meaning, user.username, fai, existing)
        now = ctx.clock.now()
        signature = Signature(
            site_id=fai.site_id,
            record_type=rule.record_type,
            record_id=fai.id,
            meaning=meaning,
            signer_id=user.id,
            signer_username=user.username,
            printed_name=user.printed_name,
            signed_at=now,
            content_sha256=_fai_content_sha256(detail_of(loaded)),
        )
        uow.signatures.add(signature)
        events = [_signed(ctx, signature, reason)]
        if meaning is SignatureMeaning.CUSTOMER_APPROVAL:
            events += decision_paths.signed_approval(uow, ctx, loaded, user.username, signature.id)
        else:
            assert rule.action is not None
            events += apply_action(uow, ctx, loaded, rule.action, reason=reason)
        return commit_fai(uow, ctx, loaded, events)


def signatures_of(ctx: ServiceContext, fai_id: str) -> list[SignatureView]:
    """Every signature given on the FAI, oldest first, each checked against the FAI's
    content now."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.READ)
        current = _fai_content_sha256(detail_of(loaded))
        return [view(s, current) for s in uow.signatures.for_record(FAI_RECORD, fai_id)]


def withdraw_content_signatures(
    uow: UnitOfWork, ctx: ServiceContext, fai: model.FirstArticle, reason: str
) -> list[Event]:
    """Invalidate the FAI's valid field 20 and 22 signatures (the package went back to work,
    so both must be given again); the events to record in the caller's unit of work."""
    now = ctx.clock.now()
    return [
        s.invalidate(now, reason, actor=ctx.actor)
        for s in uow.signatures.for_record(FAI_RECORD, fai.id)
        if s.valid and s.meaning in CONTENT_MEANINGS
    ]


def recheck_signatures(
    uow: UnitOfWork, ctx: ServiceContext, fai: model.FirstArticle
) -> list[Event]:
    """After the content of ``fai`` changed in the caller's unit of work: invalidate the
    field 20 and 22 signatures whose content hash no longer matches and, where the lifecycle
    allows it (pending internal review, internally approved), return the FAI to work and
    withdraw its other content signatures. Returns the events for the caller to record; no
    access check (the caller has already decided it may change ``fai``).
    """
    signatures = uow.signatures.for_record(FAI_RECORD, fai.id)
    if not any(s.valid and s.meaning in CONTENT_MEANINGS for s in signatures):
        return []
    loaded = assemble_fai(uow, ctx, fai, check_labels=False)
    current = _fai_content_sha256(detail_of(loaded))
    stale = invalid_signatures(signatures, current)
    if not stale:
        return []
    now = ctx.clock.now()
    events = [s.invalidate(now, CONTENT_CHANGED, actor=ctx.actor) for s in stale]
    if FaiAction.RETURN_TO_WORK in actions_from(fai.status):
        events += fai.apply(
            FaiAction.RETURN_TO_WORK, actor=ctx.actor, at=now, reason=CONTENT_CHANGED
        )
        events += withdraw_content_signatures(uow, ctx, fai, RETURNED_TO_WORK)
    return events


# --- hold overrides -----------------------------------------------------------------------


def override_content(override: HoldOverride) -> bytes:
    """The canonical bytes the second signer of an override vouches for: the hold, the
    reason, the expiry (UTC), the serials and lots it covers, and who asked for it."""
    expires = override.expires_at
    if expires.tzinfo is None or expires.utcoffset() is None:
        raise ValidationError("expires_at must carry a time zone.", field="expires_at")
    document = {
        "format": OVERRIDE_CONTENT_FORMAT,
        "hold_id": override.hold_id,
        "reason": override.reason,
        "expires_at": expires.astimezone(UTC).isoformat(),
        "serial_numbers": sorted(override.serial_numbers),
        "lots": sorted(override.lots),
        "requested_by": override.requested_by,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


@dataclass(frozen=True)
class SignedOverride:
    """An override with its second signature, and that signature as rendered."""

    override: HoldOverride
    signature: SignatureView


def sign_override(
    ctx: ServiceContext,
    hold_id: str,
    override_id: str,
    *,
    nonce: str,
    password: str,
    totp_code: str | None = None,
) -> SignedOverride:
    """Give an override its second signature after re-authentication, as an electronic
    signature bound to the override's content (G4, R10, R11: the requester cannot sign)."""
    allowed(ctx, Permission.OVERRIDE_SIGN)
    meaning = SignatureMeaning.OVERRIDE
    with ctx.uow_factory() as uow:
        user = identity.reauthenticate(
            ctx, uow, nonce=nonce, password=password, totp_code=totp_code
        )
        hold, override, events = holds.second_signature(uow, ctx, hold_id, override_id)
        check_not_signed(meaning, uow.signatures.for_record(meaning.rule.record_type, override.id))
        digest = content_sha256(override_content(override))
        signature = Signature(
            site_id=hold.site_id,
            record_type=meaning.rule.record_type,
            record_id=override.id,
            meaning=meaning,
            signer_id=user.id,
            signer_username=user.username,
            printed_name=user.printed_name,
            signed_at=ctx.clock.now(),
            content_sha256=digest,
        )
        uow.signatures.add(signature)
        events.append(_signed(ctx, signature, override.reason))
        record(uow, ctx, events)
        uow.commit()
        return SignedOverride(override, view(signature, digest))

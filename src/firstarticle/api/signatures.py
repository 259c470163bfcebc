"""Electronic signatures over HTTP: signing nonces, FAIR signatures (Form 1 fields 20, 22,
24) and re-authenticated override signatures.

A signature needs the signer's password (and TOTP code where enrolled) on a nonce from
``POST /signing-nonces``. Passwords arrive as ``SecretStr``: they are never echoed, logged or
put into an error (a request validation problem reports where and why, not the value).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field, SecretStr, StringConstraints

from firstarticle.api.deps import Ctx
from firstarticle.api.schemas import In, LongText, Out, OverrideOut
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import identity, signatures

router = APIRouter(prefix="/api/v1")

Password = Annotated[SecretStr, Field(min_length=1, max_length=1024)]
Nonce = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Totp = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)]
FaiMeaning = Literal["verified", "reviewed_approved", "customer_approval"]


class NonceOut(Out):
    nonce: str
    expires_at: datetime


class Credentials(In):
    nonce: Nonce
    password: Password
    totp_code: Totp | None = None


class SignatureIn(Credentials):
    meaning: FaiMeaning
    reason: LongText | None = None


class SignatureOut(Out):
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


class SignedOverrideOut(Out):
    override: OverrideOut
    signature: SignatureOut


FAI_SIGNATURES = "/first-articles/{fai_id}/signatures"


@router.post("/signing-nonces", status_code=201, response_model=NonceOut, tags=["signatures"])
def issue_signing_nonce(ctx: Ctx, response: Response) -> Any:
    """A fresh single-use nonce for the caller's next signature (people in a session only)."""
    nonce, expires_at = identity.issue_signing_nonce(ctx)
    response.headers["Cache-Control"] = "no-store"
    return NonceOut(nonce=nonce, expires_at=expires_at)


@router.post(
    FAI_SIGNATURES, status_code=201, response_model=list[SignatureOut], tags=["signatures"]
)
def sign_first_article(fai_id: str, body: SignatureIn, ctx: Ctx) -> Any:
    """Sign the FAIR with a meaning, re-authenticated; answers the FAI's signatures."""
    signatures.sign_first_article(
        ctx,
        fai_id,
        SignatureMeaning(body.meaning),
        nonce=body.nonce,
        password=body.password.get_secret_value(),
        totp_code=body.totp_code,
        reason=body.reason,
    )
    return [SignatureOut.model_validate(v) for v in signatures.signatures_of(ctx, fai_id)]


@router.get(FAI_SIGNATURES, response_model=list[SignatureOut], tags=["signatures"])
def list_signatures(fai_id: str, ctx: Ctx) -> Any:
    """The FAI's signatures with printed name, UTC time and meaning, each checked against
    the FAI's current content."""
    return [SignatureOut.model_validate(v) for v in signatures.signatures_of(ctx, fai_id)]


@router.post(
    "/holds/{hold_id}/overrides/{override_id}/e-signatures",
    status_code=201,
    response_model=SignedOverrideOut,
    tags=["signatures", "holds"],
)
def sign_override(hold_id: str, override_id: str, body: Credentials, ctx: Ctx) -> Any:
    """The override's second signature, re-authenticated and bound to its content."""
    signed = signatures.sign_override(
        ctx,
        hold_id,
        override_id,
        nonce=body.nonce,
        password=body.password.get_secret_value(),
        totp_code=body.totp_code,
    )
    return SignedOverrideOut(
        override=OverrideOut.model_validate(signed.override),
        signature=SignatureOut.model_validate(signed.signature),
    )

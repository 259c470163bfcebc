"""Customer channels and decisions: the channel configuration of a customer, the three ways a
decision comes in (integration, transcription with evidence, signature), its verification,
conditions, and first-pass yield."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, Field

from firstarticle.api.deps import Ctx
from firstarticle.api.mirror import IdempotencyKey
from firstarticle.api.schemas import Out
from firstarticle.api.uploads import received_file, upload_body
from firstarticle.domain import channels as ch
from firstarticle.domain import decisions as dec
from firstarticle.domain.model import FormRevision
from firstarticle.integrations.record_fields import Code, In, LongText, Text
from firstarticle.services import channels, decisions, fai_yield, idempotency

router = APIRouter(prefix="/api/v1")
FAI = "/first-articles/{fai_id}/customer-decisions"
TAGS: list[str | Any] = ["customer decisions"]

# --- bodies -----------------------------------------------------------------------------------


class PersonIn(In):
    customer_person_id: Code
    name: Text
    email: Text | None = None
    username: Code | None = None


class ChannelIn(In):
    authority: ch.Authority
    portal_name: Text | None = None
    buy_off: ch.BuyOffMode = ch.BuyOffMode.ONE_STEP
    form_revision: FormRevision = FormRevision.C
    ships_while_conditional: bool = False
    conditions_meaning: LongText | None = None
    people: list[PersonIn] = Field(default_factory=list, max_length=200)
    entry_paths: list[ch.EntryPath] | None = None
    program: Code | None = None
    reason: LongText | None = None


class PersonOut(Out):
    customer_person_id: str
    name: str
    email: str | None
    username: str | None


class ChannelOut(Out):
    customer_id: str
    program: str
    version: int
    authority: ch.Authority
    portal_name: str | None
    buy_off: ch.BuyOffMode
    form_revision: FormRevision
    ships_while_conditional: bool
    conditions_meaning: str | None
    people: list[PersonOut]
    entry_paths: list[ch.EntryPath]
    set_by: str | None
    set_at: datetime | None


class ChannelViewOut(Out):
    customer_code: str
    current: ChannelOut
    versions: list[ChannelOut]


class CommentIn(In):
    form: int = Field(ge=1, le=3)
    item: Code
    comment: LongText


class DecisionIn(In):
    outcome: dec.Outcome
    customer_person_id: Code
    decided_at: AwareDatetime
    reference: Text | None = None
    requested_action: dec.RequestedAction | None = None
    comments: list[CommentIn] = Field(default_factory=list, max_length=1000)
    conditions: list[LongText] = Field(default_factory=list, max_length=100)
    containment_serial_numbers: list[Code] = Field(default_factory=list, max_length=10_000)
    containment_lots: list[Code] = Field(default_factory=list, max_length=1000)

    def given(self) -> decisions.DecisionInput:
        values = self.model_dump(exclude={"comments"})
        comments = [dec.ItemComment(c.form, c.item, c.comment) for c in self.comments]
        return decisions.DecisionInput(**values, comments=comments)


class TranscriptionIn(DecisionIn):
    evidence_id: Code


class RefusalIn(In):
    reason: LongText


class ConditionIn(In):
    met: bool
    note: LongText | None = None


class EvidenceOut(Out):
    id: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class CommentOut(Out):
    form: int
    item: str
    comment: str


class ConditionOut(Out):
    number: int
    text: str
    met: bool | None = None
    settled_by: str | None = None
    settled_at: datetime | None = None


class DecisionRecordOut(Out):
    id: str
    first_article_id: str
    attempt: int
    outcome: dec.Outcome
    path: ch.EntryPath
    status: dec.DecisionStatus
    authority: ch.Authority
    channel_version: int
    customer_person_id: str | None
    decided_by: str
    decided_at: datetime
    recorded_by: str
    recorded_at: datetime
    reference: str | None
    requested_action: dec.RequestedAction | None
    comments: list[CommentOut]
    conditions: list[ConditionOut]
    containment_serial_numbers: list[str]
    containment_lots: list[str]
    evidence: EvidenceOut | None
    verified_by: str | None
    verified_at: datetime | None
    refused_reason: str | None
    replayed: bool = False


class YieldOut(Out):
    customer: str
    site: str | None
    program: str | None
    first_submissions: int
    approved_first_time: int
    rejected_first_time: int
    conditional_open: int
    awaiting_decision: int
    first_pass_yield: float | None


def _channel(c: ch.ChannelConfiguration) -> ChannelOut:
    return ChannelOut(
        **{k: getattr(c, k) for k in ChannelOut.model_fields if k not in ("people", "entry_paths")},
        people=[PersonOut.model_validate(p) for p in c.people],
        entry_paths=sorted(c.entry_paths),
    )


def _view(v: channels.ChannelView) -> ChannelViewOut:
    return ChannelViewOut(
        customer_code=v.customer.code,
        current=_channel(v.current),
        versions=[_channel(c) for c in v.versions],
    )


def decision_out(v: decisions.DecisionView) -> DecisionRecordOut:
    """The API view of a recorded decision."""
    d = v.decision
    settled = {s.number: s for s in v.settlements}
    simple = {
        k: getattr(d, k)
        for k in DecisionRecordOut.model_fields
        if k not in ("comments", "conditions", "evidence", "replayed")
    }
    return DecisionRecordOut(
        **simple,
        comments=[CommentOut.model_validate(c) for c in d.comments],
        conditions=[
            ConditionOut(
                number=c.number,
                text=c.text,
                met=settled[c.number].met if c.number in settled else None,
                settled_by=settled[c.number].settled_by if c.number in settled else None,
                settled_at=settled[c.number].settled_at if c.number in settled else None,
            )
            for c in d.conditions
        ],
        evidence=EvidenceOut.model_validate(v.evidence) if v.evidence else None,
    )


# --- channel configuration -------------------------------------------------------------------


@router.get("/customers/{customer_id}/channel", response_model=ChannelViewOut, tags=["customers"])
def show_channel(
    customer_id: str, ctx: Ctx, program: Annotated[str | None, Query(max_length=64)] = None
) -> Any:
    """The customer's channel configuration in force (for the program) and its versions."""
    return _view(channels.show_channel(ctx, customer_id, program))


@router.put("/customers/{customer_id}/channel", response_model=ChannelViewOut, tags=["customers"])
def set_channel(customer_id: str, body: ChannelIn, ctx: Ctx) -> Any:
    """Write the next version of the customer's channel configuration (never an edit)."""
    values = body.model_dump(exclude={"people"})
    people = [ch.CustomerPerson(**p.model_dump()) for p in body.people]
    return _view(channels.set_channel(ctx, customer_id, people=people, **values))


# --- decisions -------------------------------------------------------------------------------


@router.post(FAI, status_code=201, response_model=DecisionRecordOut, tags=TAGS)
async def record_from_integration(
    fai_id: str, body: DecisionIn, request: Request, ctx: Ctx, key: IdempotencyKey = None
) -> JSONResponse:
    """Path (a), for the customer's system: the decision takes effect at once. The same
    Idempotency-Key replays the answer; with another body it is refused."""
    raw = await request.body()
    fingerprint = hashlib.sha256(f"POST {request.url.path}\n".encode() + raw).hexdigest()

    def handler() -> tuple[int, Any]:
        view = decisions.record_from_integration(ctx, fai_id, body.given())
        return 201, decision_out(view).model_dump(mode="json")

    answer = idempotency.run_once(ctx, key, fingerprint, handler)
    return JSONResponse({**answer.body, "replayed": answer.replayed}, answer.status_code)


@router.get(FAI, response_model=list[DecisionRecordOut], tags=TAGS)
def list_decisions(fai_id: str, ctx: Ctx) -> Any:
    """Every decision recorded on the FAI, oldest first, whatever its status."""
    return [decision_out(v) for v in decisions.decisions_of(ctx, fai_id)]


@router.post(
    FAI + "/evidence",
    status_code=201,
    response_model=EvidenceOut,
    tags=TAGS,
    openapi_extra=upload_body("The portal's PDF or screenshot, or the customer's email (.eml)."),
)
async def add_evidence(fai_id: str, request: Request, ctx: Ctx) -> Any:
    """Keep the file a decision came in, with its SHA-256, for a transcription to name."""
    max_bytes = decisions.MAX_EVIDENCE_BYTES
    async with received_file(request, "evidence", "no parameters", max_bytes) as upload:
        content = await upload.read()
        name, media_type = upload.filename or "evidence", upload.content_type
    evidence = decisions.add_evidence(
        ctx, fai_id, file_name=name, media_type=media_type, content=content
    )
    return EvidenceOut.model_validate(evidence)


@router.get(FAI + "/evidence/{evidence_id}", tags=TAGS, response_class=Response)
def evidence_file(fai_id: str, evidence_id: str, ctx: Ctx) -> Response:
    """The evidence file as it was uploaded."""
    e = decisions.evidence_of(ctx, fai_id, evidence_id)
    disposition = f'attachment; filename="{e.file_name.replace(chr(34), "")}"'
    headers = {"Content-Disposition": disposition, "X-Content-SHA256": e.sha256}
    return Response(e.content, media_type=e.media_type, headers=headers)


@router.post(FAI + "/transcriptions", status_code=201, response_model=DecisionRecordOut, tags=TAGS)
def transcribe(fai_id: str, body: TranscriptionIn, ctx: Ctx) -> Any:
    """Path (b): a decision copied from its evidence; pending until another person verifies."""
    given = DecisionIn.model_validate(body.model_dump(exclude={"evidence_id"})).given()
    return decision_out(decisions.transcribe(ctx, fai_id, given, body.evidence_id))


@router.post(FAI + "/{decision_id}/verification", response_model=DecisionRecordOut, tags=TAGS)
def verify(fai_id: str, decision_id: str, ctx: Ctx) -> Any:
    """A second person checked the transcription against its evidence: it takes effect."""
    return decision_out(decisions.verify(ctx, fai_id, decision_id))


@router.post(FAI + "/{decision_id}/refusal", response_model=DecisionRecordOut, tags=TAGS)
def refuse(fai_id: str, decision_id: str, body: RefusalIn, ctx: Ctx) -> Any:
    """The transcription does not match its evidence: it never takes effect."""
    return decision_out(decisions.refuse(ctx, fai_id, decision_id, body.reason))


@router.post(
    FAI + "/{decision_id}/conditions/{number}", response_model=DecisionRecordOut, tags=TAGS
)
def settle_condition(
    fai_id: str, decision_id: str, number: int, body: ConditionIn, ctx: Ctx
) -> Any:
    """A condition of the conditional acceptance met or failed."""
    view = decisions.settle_condition(
        ctx, fai_id, decision_id, number, met=body.met, note=body.note
    )
    return decision_out(view)


@router.get(
    "/reports/first-pass-yield",
    response_model=YieldOut,
    tags=["reports"],
    responses={404: {"description": "No such customer, or no such site the caller sees."}},
)
def first_pass_yield(
    ctx: Ctx,
    customer: Annotated[str, Query(max_length=64)],
    site: Annotated[str | None, Query(max_length=64)] = None,
    program: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Submissions approved on the first decided attempt over all first decisions, with the
    counts behind the ratio; resets are not rejections."""
    r = fai_yield.first_pass_yield(ctx, customer, site=site, program=program)
    return YieldOut(
        customer=r.customer_code,
        site=r.site_code,
        program=r.program,
        **r.counts.__dict__,
        first_pass_yield=r.counts.ratio,
    )
